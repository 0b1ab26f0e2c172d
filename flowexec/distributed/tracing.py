"""Traced steps on a cluster: `RunMetadata.step_stats` from every task of the step.

`Session.run(..., options=RunOptions(trace_level=FULL_TRACE), run_metadata=md)` on a
cluster asks every task to trace its part of the step (`TaskServer.start_run(...,
trace=True)`). A task traces as a local session does (`runtime.stats.step_stats`: per
device, per lane, each op's start and duration in its own wall clock) and answers a
`TaskTrace`, plain data that crosses processes as it is:

    (started, ended, [(device, [(node, start_us, duration_us, thread, label, lane)])])

where `started`/`ended` are the task's `time.time()` when its part began and finished,
and devices are the task's full names ("/job:ps/replica:0/task:0/device:CPU:0"), so each
task's devices are their own rows of `flowexec.timeline`'s trace.

One clock: a task on another machine may have a clock of its own. The master reads its
clock when it starts the task's part (t1) and when the answer arrives (t4); with the
task's `started` (t2) and `ended` (t3) that is NTP's exchange: the task's clock is ahead
by `offset = ((t2 - t1) + (t3 - t4)) / 2`, known within `delay = ((t4 - t1) - (t3 -
t2)) / 2`, the transport's share of the call. A task whose offset exceeds that bound has
its times shifted onto the master's clock; one within it (every process of one machine
reads one clock) is left as it measured, which no estimate could improve.

Cross-task arrows: a `_Recv`'s label names its `_Send` ("recv = _Recv(send)"; the step id
it reads is dropped), so the timeline draws the tensor from the sending task's `_Send`
to the receiving task's `_Recv`.
"""

from flowexec.runtime import config as config_mod


def encode(step_stats):
    """A StepStats as plain data: [(device, [(node, start_us, dur_us, thread, label,
    lane)])]."""
    return [(ds.device, [(ns.node_name, ns.all_start_micros, ns.all_end_rel_micros,
                          ns.thread_id, ns.timeline_label, ns.lane)
                         for ns in ds.node_stats])
            for ds in step_stats.dev_stats]


def clock_offset(sent, started, ended, received):
    """(offset, delay) in seconds of a task's clock against the master's, from the times
    of one call (see the module docstring): sent/received on the master's clock,
    started/ended on the task's."""
    offset = ((started - sent) + (ended - received)) / 2
    delay = max(((received - sent) - (ended - started)) / 2, 0.0)
    return offset, delay


def shift_of(sent, trace, received):
    """Microseconds to add to a task's times to put them on the master's clock: 0 when
    the clocks agree within what the call can tell."""
    offset, delay = clock_offset(sent, trace[0], trace[1], received)
    return 0 if abs(offset) <= delay else -int(round(offset * 1e6))


def merge(traces, edges=()):
    """One StepStats of the tasks' traces, devices sorted by name.

    Args:
        traces: [(TaskTrace, shift in µs)], one per task.
        edges: the split's `Edge`s (their `_Recv`s are labelled with their `_Send`s).
    """
    send_of = {e.recv: e.send for e in edges}
    by_device = {}
    for (_, _, devices), shift in traces:
        for device, nodes in devices:
            stats = by_device.setdefault(device, [])
            for node, start, dur, thread, label, lane in nodes:
                if node in send_of:
                    label = f"{node} = _Recv({send_of[node]})"
                stats.append(config_mod.NodeExecStats(
                    node_name=node, all_start_micros=start + shift, op_start_rel_micros=0,
                    op_end_rel_micros=dur, all_end_rel_micros=dur, thread_id=thread,
                    timeline_label=label, lane=lane))
    return config_mod.StepStats(
        [config_mod.DeviceStepStats(d, by_device[d]) for d in sorted(by_device)])
