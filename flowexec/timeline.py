"""Timeline: one traced step as a Chrome trace that Perfetto and chrome://tracing open.

TF1's `tensorflow.python.client.timeline`, for flowexec's `RunMetadata.step_stats`:

    run_metadata = tf.RunMetadata()
    sess.run(fetch, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
             run_metadata=run_metadata)
    trace = timeline.Timeline(run_metadata.step_stats).generate_chrome_trace_format()
    with open("step.json", "w") as f:
        f.write(trace)

Layout of the trace (as TensorFlow's, with lanes that the executor really used):

- one process per device, named "<device> Compute"; pids 0, 1, ... in sorted device order;
- one thread per lane of that device (tid = the lane index), named "lane N" on a CPU (a worker
  thread) and "stream N" on a GPU (a CUDA stream);
- one complete ("X") event per op: name = op type, cat "Op", ts = `all_start_micros` (wall
  clock, µs), dur = `all_end_rel_micros`, args {"name": node, "op": type, "input0": ...};
  a fused step (label "name = _FusedElementwise[a:Tanh, b:Mul](x)") is named
  "_FusedElementwise(Tanh, Mul)" and its args add "fused_ops": ["a:Tanh", "b:Mul"];
- with `show_dataflow`, one flow pair per (producer, consumer) edge whose ends ran on different
  devices or lanes: "s" on the producer's last microsecond, "t" on the consumer's first one
  after its start (cat "DataFlow", named after the producer as TensorFlow names it, one id per
  edge). Arrows inside one lane are left out, as TensorFlow does, because they only clutter.
  Both ends sit strictly inside their op's slice where the op lasted 2 µs or more: a timestamp
  on a boundary between two back-to-back ops binds the arrow to either of them in the viewers.

Inputs are read from each op's `timeline_label` ("name = OpType(input, ...)", producers by op
name; "producer:N" is also understood). An input whose producer is not in the stats (fed, or
not traced) gets no arrow. A tensor that crosses devices is received by a "_Recv" op on the
consumer's device, so its arrows go producer -> _Recv -> consumer. In a step on a cluster,
a `_Recv`'s label names the other task's `_Send` (flowexec.distributed.tracing), so the
arrow crosses tasks; a `_Recv` that started waiting before its sender ended gets the arrow
at its last microsecond, when the value arrived.

Output is deterministic: the same StepStats give the same string. A Timeline holds no state
between calls; it is safe to share between threads as long as the StepStats is not mutated.
"""

import json

from devices.spec import DeviceSpec

__all__ = ["Timeline"]


def _split_list(inner):
    return [s.strip() for s in inner.split(",")] if inner.strip() else []


def _parse_label(label):
    """Splits "name = Op[f:T, ...](a, b)" into ("name", "Op", ["a", "b"], ["f:T", ...]).

    The bracketed list (the user ops of a fused step) is optional; a label of another shape
    gives TF's fallback ("unknown", "unknown", [], []).
    """
    name, sep, rest = label.partition(" = ")
    fused = []
    bracket = rest.find("[")
    if 0 < bracket < rest.find("("):
        close = rest.find("]", bracket)
        if close < 0:
            return "unknown", "unknown", [], []
        fused = _split_list(rest[bracket + 1:close])
        rest = rest[:bracket] + rest[close + 1:]
    open_at = rest.find("(")
    if not sep or open_at <= 0 or not rest.endswith(")"):
        return "unknown", "unknown", [], []
    return name, rest[:open_at], _split_list(rest[open_at + 1:-1]), fused


def _lane_word(device):
    try:
        device_type = DeviceSpec.from_string(device).device_type
    except ValueError:
        device_type = None
    return "stream" if device_type == "GPU" else "lane"


class _Op:
    __slots__ = ("dur", "fused", "inputs", "name", "pid", "start", "tid", "type")

    def __init__(self, pid, tid, stats):
        self.pid = pid
        self.tid = tid
        self.start = int(stats.all_start_micros)
        self.dur = max(int(stats.all_end_rel_micros), 0)
        self.name = stats.node_name
        _, self.type, self.inputs, self.fused = _parse_label(stats.timeline_label or "")

    def sort_key(self):
        return self.start, self.pid, self.tid, self.name, self.dur

    def flow_out_ts(self):
        return self.start + max(self.dur - 1, 0)

    def flow_in_ts(self, src=None):
        """Where an arrow from `src` ends: one µs into this op; a `_Recv` that started
        waiting before `src` ended (a tensor from another task) at its last µs, when
        the value arrived."""
        if src is not None and self.type == "_Recv" and self.start < src.start + src.dur:
            return self.flow_out_ts()
        return self.start + (1 if self.dur >= 2 else 0)


class Timeline:
    """A class for visualizing execution timelines of flowexec steps (TF1's `Timeline`).

    Example:
        >>> run_metadata = tf.RunMetadata()
        >>> sess.run(y, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
        ...          run_metadata=run_metadata)
        >>> tl = timeline.Timeline(run_metadata.step_stats)
        >>> open("step.json", "w").write(tl.generate_chrome_trace_format())
    """

    def __init__(self, step_stats, graph=None):
        """Constructs a new Timeline.

        Args:
            step_stats: the `StepStats` recording execution times
                (`RunMetadata.step_stats` after a traced `Session.run`).
            graph: (Optional) the `Graph` that was executed. Accepted as TensorFlow accepts
                it; the trace is built from `step_stats` alone.

        Raises:
            TypeError: `step_stats` is not a StepStats (has no `dev_stats`).
        """
        if not hasattr(step_stats, "dev_stats"):
            hint = (" (pass run_metadata.step_stats)"
                    if hasattr(step_stats, "step_stats") else "")
            raise TypeError(f"Timeline expects a StepStats with dev_stats, got "
                            f"{type(step_stats).__name__}{hint}")
        self._step_stats = step_stats
        self._graph = graph

    def generate_chrome_trace_format(self, show_dataflow=True, show_memory=False):
        """Produces a trace in Chrome Trace Format.

        Args:
            show_dataflow: (Optional.) If True, add flow events connecting producers and
                consumers of tensors that ran on different devices or lanes.
            show_memory: (Optional.) Accepted for TensorFlow compatibility. flowexec does not
                trace tensor allocations, so no memory events are emitted either way.

        Returns:
            A JSON string ({"traceEvents": [...]}) that Perfetto and chrome://tracing open.
        """
        del show_memory  # allocations are not in flowexec's StepStats
        trace = {"traceEvents": self._events(show_dataflow)}
        return json.dumps(trace, indent=4, separators=(",", ": "))

    def _events(self, show_dataflow):
        dev_stats = list(self._step_stats.dev_stats)
        devices = sorted({ds.device for ds in dev_stats})
        pids = {device: pid for pid, device in enumerate(devices)}
        ops = []
        for ds in dev_stats:
            pid = pids[ds.device]
            ops.extend(_Op(pid, int(ns.lane), ns) for ns in ds.node_stats)
        ops.sort(key=_Op.sort_key)

        events = []
        for device, pid in pids.items():
            events.append({"name": "process_name", "ph": "M", "pid": pid,
                           "args": {"name": device + " Compute"}})
            events.append({"name": "process_sort_index", "ph": "M", "pid": pid,
                           "args": {"sort_index": pid}})
        for pid, tid in sorted({(op.pid, op.tid) for op in ops}):
            word = _lane_word(devices[pid])
            events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                           "args": {"name": f"{word} {tid}"}})
            events.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                           "args": {"sort_index": tid}})

        for op in ops:
            args = {"name": op.name, "op": op.type}
            for i, name in enumerate(op.inputs):
                args[f"input{i}"] = name
            title = op.type
            if op.fused:
                args["fused_ops"] = list(op.fused)
                title += "(" + ", ".join(f.rpartition(":")[2] for f in op.fused) + ")"
            events.append({"ph": "X", "cat": "Op", "name": title, "pid": op.pid,
                           "tid": op.tid, "ts": op.start, "dur": op.dur, "args": args})
        if show_dataflow:
            events.extend(_flows(ops))
        return events


def _flows(ops):
    producers = {op.name: op for op in ops}
    events = []
    for op in ops:
        seen = set()
        for name in op.inputs:
            src = producers.get(name)
            if src is None and ":" in name:
                src = producers.get(name.rpartition(":")[0])
            if src is None or src.name in seen:
                continue
            seen.add(src.name)
            if (src.pid, src.tid) == (op.pid, op.tid):
                continue
            flow_id = len(events) // 2
            events.append({"ph": "s", "cat": "DataFlow", "name": src.name, "pid": src.pid,
                           "tid": src.tid, "ts": src.flow_out_ts(), "id": flow_id})
            events.append({"ph": "t", "cat": "DataFlow", "name": src.name, "pid": op.pid,
                           "tid": op.tid, "ts": op.flow_in_ts(src), "id": flow_id})
    return events
