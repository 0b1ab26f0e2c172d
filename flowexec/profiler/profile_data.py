"""What the profiler knows about each graph node: shapes, types, flops, per-step runs.

tfprof's TFGraphNode / ExecStep / TFStats (tensorflow/core/profiler/internal/tfprof_node.*,
tfprof_stats.cc) over a flowexec Graph instead of a GraphDef:

- one `GraphNodeData` per op, in name order: its type, the `shape` attribute (the
  parameters of a variable: the product of its dims; a scalar counts 1), its outputs' static
  shapes, its inputs (data and control, as NodeDef input strings), its "types" (op type,
  op log types such as "_trainable_variables", the device it ran on) and static flops;
- per step (`add_run_meta(step, run_meta)`), per node, the `NodeExecStats` of
  `RunMetadata.step_stats`: times on a device whose name ends in cpu:N / gpu:N count as cpu
  time (one run each), those on a ".../stream:all" device as accelerator time; a stat whose
  node is not in the graph becomes a node of its own (its type is its name), as TF's.

Memory: flowexec's step stats carry no allocator records, so a run of a node is taken to
request (and peak at, and output) the bytes of its outputs' static shapes, residual 0 — what
TF reports when the op's allocator requested exactly its outputs.

Statistics with step < 0 average over the steps a node ran in (integer division, as TF).
Not thread-safe: one profile is built by one thread.
"""

import re
import sys

from flowexec.framework import tensor_shape
from flowexec.profiler import formatting

_CANONICAL = re.compile(r".*/(device:gpu|gpu|device:cpu|cpu):\d+")


def shape_to_vec(shape):
    """tfprof's ShapeProtoToVec: unknown rank -> [], scalar -> [1], unknown dim -> -1."""
    if shape is None:
        return []
    if not isinstance(shape, tensor_shape.TensorShape):
        shape = tensor_shape.as_shape(shape)
    if shape.ndims is None:
        return []
    if shape.ndims == 0:
        return [1]
    return [-1 if d is None else int(d) for d in shape.as_list()]


def _output_bytes(op):
    total = 0
    for t in op.outputs:
        n = t.shape.num_elements()
        try:
            size = t.dtype.size
        except (AttributeError, TypeError, ValueError):
            size = 0
        total += 0 if n is None or not size else n * size
    return total


def tf_node_def(op):
    """(inputs, attrs) of the op's TensorFlow NodeDef: a TF 1.x ref op (Assign, ...) reads
    its variable as input 0 where flowexec names it in an attribute, and flowexec's internal
    attributes (the variable's shape copied onto Assign) are left out (node_def_form)."""
    node_def = op.node_def
    inputs = list(node_def.input)
    attrs = dict(node_def.attr)
    form = getattr(op.op_def, "node_def_form", None)
    if form is not None:
        if form.ref_attr and not form.ref_is_input and form.ref_attr in attrs:
            names = attrs[form.ref_attr]
            inputs = ([names] if isinstance(names, str) else list(names)) + inputs
        for name in form.internal_attrs:
            attrs.pop(name, None)
    return inputs, attrs


class ExecStep:
    """The runs of one node in one step (tfprof's ExecStep)."""

    def __init__(self):
        self.run_count = 0
        self.all_start_micros = 0
        self.latest_end_micros = 0
        self.accelerator_execs = {}
        self.cpu_execs = {}
        self.devices = set()
        self.memory_execs = []

    def add_time_stats(self, dev, stat):
        self.devices.add(dev)
        start = int(stat.all_start_micros)
        if start <= 0:
            return
        self.all_start_micros = min(self.all_start_micros, start) \
            if self.all_start_micros > 0 else start
        dur = int(stat.op_end_rel_micros) or 1   # quick ops count 1 µs
        self.latest_end_micros = max(self.latest_end_micros, start + dur)
        if "stream:all" in dev:
            self.accelerator_execs.setdefault(dev, []).append((start, dur))
        elif _CANONICAL.fullmatch(dev):
            self.cpu_execs.setdefault(dev, []).append((start, dur))
            self.run_count += 1

    def add_memory_stats(self, stat, nbytes):
        if int(stat.all_start_micros) <= 0:
            sys.stderr.write(f"{stat.node_name} has no start time, skipping\n")
            return
        self.memory_execs.append({"requested": nbytes, "peak": nbytes, "residual": 0,
                                  "output": nbytes})

    @property
    def accelerator_exec_micros(self):
        return sum(d for execs in self.accelerator_execs.values() for _, d in execs)

    @property
    def cpu_exec_micros(self):
        return sum(d for execs in self.cpu_execs.values() for _, d in execs)

    @property
    def exec_micros(self):
        return self.accelerator_exec_micros + self.cpu_exec_micros

    def bytes(self, kind):
        return sum(m[kind] for m in self.memory_execs)


class GraphNodeData:
    """One graph node's static facts and runs (tfprof's TFGraphNode).

    `op` is the flowexec Operation (None for scope parents and nodes known only from step
    stats).
    """

    def __init__(self, name, op_type, op=None, nodes=None):
        self.name = name
        self.op = op_type
        self.operation = op
        self.nodes = nodes
        self.shape = []
        self.output_shapes = {}
        self.inputs = {}
        self.src_output_idx = {}
        self.op_types = {op_type}
        self.static_float_ops = 0
        self.execs = {}
        self.canonical_device = ""
        self.host_device = ""
        self.output_nbytes = 0
        if op is not None:
            inputs, attrs = tf_node_def(op)
            shape = attrs.get("shape")
            if isinstance(shape, tensor_shape.TensorShape):
                self.shape = shape_to_vec(shape)
            self.output_shapes = {i: shape_to_vec(t.shape) for i, t in enumerate(op.outputs)}
            self.output_nbytes = _output_bytes(op)
            for i, inp in enumerate(inputs):
                name_part, _, idx = inp.partition(":")
                if name_part.startswith("^"):
                    name_part = name_part[1:]
                self.inputs[i] = name_part
                self.src_output_idx[name_part] = int(idx) if idx else 0

    # runs ----------------------------------------------------------------------------------
    def add_step_stat(self, step, device, stat):
        dev = device.lower()
        if _CANONICAL.fullmatch(dev):
            if self.canonical_device:
                if self.canonical_device != dev:
                    return
            else:
                self.canonical_device = dev
                self.host_device = re.sub(r"gpu:\d+", "cpu:0", dev)
                self.op_types.add(dev)
        ex = self.execs.setdefault(step, ExecStep())
        ex.add_time_stats(dev, stat)
        if dev == self.canonical_device:
            ex.add_memory_stats(stat, self.output_nbytes)

    def _per_step(self, step, fn):
        if not self.execs:
            return 0
        if step >= 0:
            ex = self.execs.get(step)
            return 0 if ex is None else fn(ex)
        return sum(fn(ex) for ex in self.execs.values()) // len(self.execs)

    def run_count(self, step):
        return self._per_step(step, lambda e: e.run_count)

    def exec_micros(self, step):
        return self._per_step(step, lambda e: e.exec_micros)

    def accelerator_exec_micros(self, step):
        return self._per_step(step, lambda e: e.accelerator_exec_micros)

    def cpu_exec_micros(self, step):
        return self._per_step(step, lambda e: e.cpu_exec_micros)

    def requested_bytes(self, step):
        return self._per_step(step, lambda e: e.bytes("requested"))

    def peak_bytes(self, step):
        return self._per_step(step, lambda e: e.bytes("peak"))

    def residual_bytes(self, step):
        return self._per_step(step, lambda e: e.bytes("residual"))

    def output_bytes(self, step):
        return self._per_step(step, lambda e: e.bytes("output"))

    def float_ops(self, step):
        """Static flops; once per run when the node ran (tfprof's dynamic flops)."""
        if not self.execs:
            return self.static_float_ops
        return self.static_float_ops * self.run_count(step)

    @property
    def parameters(self):
        if self.shape and all(d >= 0 for d in self.shape):
            out = 1
            for d in self.shape:
                out *= d
            return out
        return 0

    def input_shapes(self):
        """{input index: dims of the tensor it reads} ([] when unknown)."""
        out = {}
        for i, name in sorted(self.inputs.items()):
            out[i] = []
            if self.nodes is None:
                continue
            src = self.nodes.get(name)
            if src is None or name not in self.src_output_idx:
                continue
            out[i] = list(src.output_shapes.get(self.src_output_idx[name], []))
        return out


class ProfileData:
    """The nodes of one graph with their op log and traced steps (tfprof's TFStats).

    Args:
        graph: a flowexec Graph (None: no nodes).
        run_meta: an optional RunMetadata, added as step 0.
        op_log: an optional OpLogProto (types and flops by node name).
    """

    def __init__(self, graph=None, run_meta=None, op_log=None):
        self.nodes = {}
        self.steps = set()
        self.miss_accelerator_stream = False
        if graph is not None:
            self.add_graph(graph)
        if run_meta is not None and run_meta.step_stats is not None:
            self.add_run_meta(0, run_meta)
        self.add_op_log(op_log)

    def add_graph(self, graph):
        for op in graph.get_operations():
            if op.name not in self.nodes:
                self.nodes[op.name] = GraphNodeData(op.name, op.type, op, self.nodes)

    def add_op_log(self, op_log):
        if op_log is None:
            return
        for entry in op_log.log_entries:
            node = self.nodes.get(entry.name)
            if node is None:
                continue
            node.op_types.update(entry.types)
            if entry.float_ops:
                node.static_float_ops = int(entry.float_ops)

    def add_run_meta(self, step, run_meta):
        self.steps.add(step)
        has_gpu_scheduling = has_gpu_stream = False
        for dev_stats in run_meta.step_stats.dev_stats:
            dev = dev_stats.device.lower()
            if "gpu" in dev:
                has_gpu_scheduling = True
                if "stream:all" in dev:
                    has_gpu_stream = True
            for stat in dev_stats.node_stats:
                name = stat.node_name.split(":", 1)[0]
                node = self.nodes.get(name)
                if node is None:
                    if name in ("RecvTensor", "_SOURCE") or "MEMCPY" in name:
                        continue
                    node = self.nodes[name] = GraphNodeData(name, name, None, self.nodes)
                node.add_step_stat(step, dev_stats.device, stat)
        if has_gpu_scheduling and not has_gpu_stream:
            self.miss_accelerator_stream = True

    def sorted_nodes(self):
        return [self.nodes[k] for k in sorted(self.nodes)]

    def missing_trace_report(self):
        if not self.miss_accelerator_stream:
            return ""
        return ("\n\nFound accelerator operation but misses accelerator stream stats!\n\n"
                "It's likely a gpu tracing issue rather than tf-profiler issue.\n"
                "If you found your operation missing accelerator time, consider to post to "
                "discuss@tensorflow.org!\n\n")

    def validate(self, opts):
        if opts.step >= 0 and opts.step not in self.steps:
            sys.stderr.write("Options -step=%d not found.\nAvailable steps: " % opts.step)
            for s in sorted(self.steps):
                sys.stderr.write("%d " % s)
            sys.stderr.write("\n")
            return False
        return True


def parent_node(name, kind=formatting.SCOPE_PARENT):
    """A scope (or graph root) node that is no graph op."""
    return GraphNodeData(name, kind)
