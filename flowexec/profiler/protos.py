"""The profiler's result records, shaped as tfprof's protos (no protobuf dependency).

`GraphNodeProto` (scope and graph views), `MultiGraphNodeProto` (op view), `AdviceProto`
(advise), `OpLogEntry` / `OpLogProto` (extra op information). Fields have TF's names and
defaults (0, "", empty lists); `str()` is protobuf's text format, fields in TF's field-number
order, default values left out, so `print(profile(...))` looks as under TF. Records are plain
mutable objects, not shared between threads by the profiler.
"""

__all__ = ["AdviceProto", "GraphNodeProto", "MultiGraphNodeProto", "OpLogEntry",
           "OpLogProto"]


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape_lines(dims):
    """A TensorShapeProto's text lines; an empty list is an unknown shape (tfprof's
    VecToShapeProto)."""
    if not dims:
        return ["unknown_rank: true"]
    out = []
    for d in dims:
        out += ["dim {", f"  size: {d}", "}"]
    return out


def _indent(lines):
    return ["  " + s for s in lines]


class _Message:
    """Base of the records: `_FIELDS` lists (name, kind) in field-number order; kinds are
    "int", "str", "strs" (repeated string), "shapes" (repeated shape), "shape_map"
    ({int: shape}), "msgs" (repeated record)."""

    _FIELDS = ()

    def __init__(self, **kwargs):
        for name, kind in self._FIELDS:
            setattr(self, name, self._default(kind))
        for k, v in kwargs.items():
            if not any(k == name for name, _ in self._FIELDS):
                raise TypeError(f"{type(self).__name__} has no field '{k}'")
            setattr(self, k, v)

    @staticmethod
    def _default(kind):
        if kind == "int":
            return 0
        if kind == "str":
            return ""
        if kind == "shape_map":
            return {}
        return []

    def _text_lines(self):
        lines = []
        for name, kind in self._FIELDS:
            value = getattr(self, name)
            if kind == "int":
                if value:
                    lines.append(f"{name}: {int(value)}")
            elif kind == "str":
                if value:
                    lines.append(f"{name}: {_quote(value)}")
            elif kind == "strs":
                lines += [f"{name}: {_quote(v)}" for v in value]
            elif kind == "shapes":
                for dims in value:
                    lines += [f"{name} {{"] + _indent(_shape_lines(dims)) + ["}"]
            elif kind == "shape_map":
                for key in sorted(value):
                    body = [f"key: {key}", "value {"] + _indent(_shape_lines(value[key]))
                    lines += [f"{name} {{"] + _indent(body + ["}"]) + ["}"]
            else:
                for child in value:
                    lines += [f"{name} {{"] + _indent(child._text_lines()) + ["}"]
        return lines

    def __str__(self):
        lines = self._text_lines()
        return "\n".join(lines) + "\n" if lines else ""

    __repr__ = __str__

    def __eq__(self, other):
        return type(self) is type(other) and all(
            getattr(self, n) == getattr(other, n) for n, _ in self._FIELDS)

    __hash__ = None

    def copy_without_children(self):
        """A copy with every field but the nested records (children, graph_nodes)."""
        out = type(self)()
        for name, kind in self._FIELDS:
            value = getattr(self, name)
            if kind == "msgs":
                continue
            setattr(out, name, dict(value) if isinstance(value, dict) else
                    list(value) if isinstance(value, list) else value)
        return out


_STAT_FIELDS = ("exec_micros", "accelerator_exec_micros", "cpu_exec_micros",
                "requested_bytes", "peak_bytes", "residual_bytes", "output_bytes",
                "parameters", "float_ops")


class GraphNodeProto(_Message):
    """One node of a 'scope' or 'graph' profile (tfprof's GraphNodeProto).

    Attributes:
        name: the node (graph op or name scope; the root is "_TFProfRoot").
        parameters, float_ops, exec_micros, accelerator_exec_micros, cpu_exec_micros,
            requested_bytes, peak_bytes, residual_bytes, output_bytes, run_count: the
            node's own statistics.
        total_*: the node's and its shown descendants' (see the options'
            account_displayed_op_only).
        total_definition_count: how many nodes the total covers.
        devices: the device the node ran on (traced runs).
        input_shapes: {input index: dims} (an empty list: unknown).
        children: the shown child nodes (GraphNodeProto).

    Example:
        >>> stats = tf.profiler.profile(graph)
        >>> stats.total_parameters
        2763
    """

    _FIELDS = (("name", "str"), ("exec_micros", "int"), ("requested_bytes", "int"),
               ("parameters", "int"), ("total_exec_micros", "int"),
               ("total_requested_bytes", "int"), ("total_parameters", "int"),
               ("devices", "strs"), ("shapes", "shapes"), ("children", "msgs"),
               ("float_ops", "int"), ("total_float_ops", "int"),
               ("input_shapes", "shape_map"), ("accelerator_exec_micros", "int"),
               ("cpu_exec_micros", "int"), ("total_accelerator_exec_micros", "int"),
               ("total_cpu_exec_micros", "int"), ("run_count", "int"),
               ("total_run_count", "int"), ("total_definition_count", "int"),
               ("peak_bytes", "int"), ("residual_bytes", "int"), ("output_bytes", "int"),
               ("total_peak_bytes", "int"), ("total_residual_bytes", "int"),
               ("total_output_bytes", "int"))


class MultiGraphNodeProto(_Message):
    """One node of an 'op' profile: the graph nodes of one op type (tfprof's
    MultiGraphNodeProto).

    Attributes:
        name: the op type ("MatMul"); the root is "_TFProfRoot".
        parameters, float_ops, exec_micros, ...: the sums over the type's accounted nodes.
        total_*: cumulative over this type and the types listed after it.
        graph_nodes: the accounted graph nodes (GraphNodeProto).
        children: as TF, a chain: the root's one child is the first shown type, whose one
            child is the second, and so on.

    Example:
        >>> stats = tf.profiler.profile(graph, cmd="op",
        ...     options=tf.profiler.ProfileOptionBuilder.float_operation())
        >>> stats.children[0].name
        'MatMul'
    """

    _FIELDS = (("name", "str"), ("exec_micros", "int"), ("requested_bytes", "int"),
               ("parameters", "int"), ("float_ops", "int"), ("total_exec_micros", "int"),
               ("total_requested_bytes", "int"), ("total_parameters", "int"),
               ("total_float_ops", "int"), ("graph_nodes", "msgs"), ("children", "msgs"),
               ("accelerator_exec_micros", "int"), ("cpu_exec_micros", "int"),
               ("total_accelerator_exec_micros", "int"), ("total_cpu_exec_micros", "int"),
               ("peak_bytes", "int"), ("residual_bytes", "int"), ("output_bytes", "int"),
               ("total_peak_bytes", "int"), ("total_residual_bytes", "int"),
               ("total_output_bytes", "int"))


class OpLogEntry(_Message):
    """Extra information about one graph node (tfprof's OpLogEntry).

    Attributes:
        name: the op's name.
        float_ops: its flops (0: none known).
        types: extra "types" the options' account_type_regexes can select
            (e.g. "_trainable_variables").
    """

    _FIELDS = (("name", "str"), ("float_ops", "int"), ("types", "strs"))


class OpLogProto(_Message):
    """Extra information about graph nodes (tfprof's OpLogProto).

    Attributes:
        log_entries: a list of OpLogEntry.

    Example:
        >>> log = tf.profiler.OpLogProto()
        >>> log.log_entries.append(tf.profiler.OpLogEntry(name="dense/MatMul",
        ...                                               types=["my_type"]))
    """

    _FIELDS = (("log_entries", "msgs"),)


class AdviceChecker(_Message):
    """The reports of one advisor checker (tfprof's AdviceProto.Checker)."""

    _FIELDS = (("reports", "strs"),)


class AdviceProto:
    """What `advise` found (tfprof's AdviceProto).

    Attributes:
        checkers: {checker name: AdviceChecker with its `reports` (strings)}.

    Example:
        >>> advice = tf.profiler.advise(graph, run_meta)
        >>> advice.checkers["ExpensiveOperationChecker"].reports
    """

    def __init__(self):
        self.checkers = {}

    def __str__(self):
        lines = []
        for name in sorted(self.checkers):
            body = [f"key: {_quote(name)}", "value {"]
            body += _indent(self.checkers[name]._text_lines()) + ["}"]
            lines += ["checkers {"] + _indent(body) + ["}"]
        return "\n".join(lines) + "\n" if lines else ""

    __repr__ = __str__
