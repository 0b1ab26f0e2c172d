"""Op statistics: TF's `ops.RegisterStatistics` / `ops.get_stats_for_node_def` / `OpStats`.

A statistic (for now only "flops", read by `flowexec.profiler`) is a function of an op's
NodeDef and its graph, registered per (op type, statistic type):

    @tf.RegisterStatistics("MatMul", "flops")
    def _matmul_flops(graph, node):
        ...
        return tf.OpStats("flops", 2 * m * n * k)

`get_stats_for_node_def(graph, node_def, "flops")` calls it, or returns an empty
`OpStats("flops")` (value None) when the op type has no such function. Rules read static
shapes with `tensor_shape_from_node_def_name` and call `assert_is_fully_defined()`, whose
ValueError tells the caller (the profiler) that the op's shapes are not known.

The standard rules (TF's `profiler/internal/flops_registry.py` and the ones in `nn_ops.py`)
live in `flowexec/profiler/flops_registry.py`; an op definition of its own may register more.
Registration is not thread-safe (it happens at import); lookups are.
"""

__all__ = ["OpStats", "RegisterStatistics", "get_stats_for_node_def",
           "tensor_shape_from_node_def_name"]

_STATS_REGISTRY = {}


class OpStats:
    """A holder for one statistic of an op (TF's `tf.compat.v1.OpStats`).

    Attributes:
        statistic_type: the statistic's name, e.g. "flops".
        value: its value (a number), or None when the op has no such statistic.

    Example:
        >>> s = tf.OpStats("flops", 10)
        >>> s += tf.OpStats("flops", 5)
        >>> s.value
        15
    """

    __slots__ = ["statistic_type", "value"]

    def __init__(self, statistic_type, value=None):
        """Args:
            statistic_type: the statistic's name.
            value: its value, or None.
        """
        self.statistic_type = statistic_type
        self.value = value

    def __iadd__(self, other):
        """Adds `other`'s value (None counts as nothing).

        Raises:
            ValueError: `other` is a statistic of another type.
        """
        if other.statistic_type != self.statistic_type:
            raise ValueError("Can't add an OpStat of type %s to one of %s." %
                             (self.statistic_type, other.statistic_type))
        if self.value is None:
            self.value = other.value
        elif other.value is not None:
            self.value += other.value
        return self

    def __repr__(self):
        return f"OpStats({self.statistic_type!r}, {self.value!r})"


class RegisterStatistics:
    """Decorator registering the statistics function of an op type (TF's
    `tf.RegisterStatistics`).

    The function takes `(graph, node_def)` and returns an `OpStats`.

    Args:
        op_type: the op type name, e.g. "MatMul".
        statistic_type: the statistic, e.g. "flops".

    Raises:
        TypeError: `op_type` or `statistic_type` is not a string.
        ValueError: either contains a comma.
        KeyError: (when decorating) a function is already registered for the pair.

    Example:
        >>> @tf.RegisterStatistics("Foo", "doohickey")
        ... def _foo_stats(graph, node):
        ...     return tf.OpStats("doohickey", 20)
    """

    __slots__ = ["_op_type", "_statistic_type"]

    def __init__(self, op_type, statistic_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string.")
        if "," in op_type:
            raise TypeError("op_type must not contain a comma.")
        if not isinstance(statistic_type, str):
            raise TypeError("statistic_type must be a string.")
        if "," in statistic_type:
            raise TypeError("statistic_type must not contain a comma.")
        self._op_type = op_type
        self._statistic_type = statistic_type

    def __call__(self, f):
        key = self._op_type + "," + self._statistic_type
        if key in _STATS_REGISTRY:
            raise KeyError(f"Registering two statistical functions with name '{key}'! "
                           f"(Previous registration was in {_STATS_REGISTRY[key][1]})")
        code = getattr(f, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else repr(f)
        _STATS_REGISTRY[key] = (f, where)
        return f


def get_stats_for_node_def(graph, node, statistic_type):
    """Calls the statistics function registered for `node`'s op type (TF's
    `ops.get_stats_for_node_def`).

    Args:
        graph: the Graph holding the node.
        node: the op's NodeDef (`op.node_def`).
        statistic_type: e.g. "flops".

    Returns:
        The function's OpStats, or `OpStats(statistic_type)` (value None) when none is
        registered.

    Raises:
        ValueError: from the function, when the shapes it needs are not fully known.

    Example:
        >>> tf.get_stats_for_node_def(g, g.get_operation_by_name("MatMul").node_def,
        ...                           "flops").value
        192
    """
    entry = _STATS_REGISTRY.get(node.op + "," + statistic_type)
    if entry is None:
        return OpStats(statistic_type)
    return entry[0](graph, node)


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor a NodeDef input string names ("op", "op:1")
    (TF's `graph_util.tensor_shape_from_node_def_name`).

    Args:
        graph: the Graph.
        input_name: a NodeDef input string or an op name (output 0).

    Returns:
        A TensorShape.
    """
    canonical = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(canonical).shape
