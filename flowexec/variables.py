"""`tf.Variable` (TF1 ref-variable graph structure) and the variable collections' helpers.

A Variable named "v" adds these ops, colocated so that placement keeps them on one device:

    v                 VariableV2: the variable's tensor; its value lives in each Session
    v/initial_value   Const (only when the initial value is a Python/numpy value)
    v/Assign          Assign: the initializer
    v/read            Identity: the snapshot used wherever the variable is used as a tensor

The value of a variable lives in the Session's state (see `flowexec.ops.state_ops`), so two
sessions on one graph hold separate values and a fresh session starts uninitialized.
Variables join the GLOBAL_VARIABLES collection (and TRAINABLE_VARIABLES when trainable);
`global_variables_initializer()` groups their initializers.

Graph construction is not thread-safe (as in TensorFlow).
"""

import contextlib
import functools
import inspect
import threading
import weakref

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import (
    convert_to_tensor,
    register_tensor_conversion_function,
)
from flowexec.framework.default_session import get_default_session
from flowexec.framework.graph import GraphKeys
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import as_shape, unknown_shape
from flowexec.framework.tensor_slice import SaveSliceInfo
from flowexec.ops import constant_op, state_ops
from flowexec.ops.state_ops import assign, assign_add, assign_sub, count_up_to


def _graph_of(value):
    g = getattr(value, "graph", None)
    return g if g is not None else graph_mod.get_default_graph()


_CREATOR_KEYS = ("initial_value", "trainable", "collections", "validate_shape",
                 "caching_device", "name", "variable_def", "dtype", "expected_shape",
                 "import_scope", "constraint", "use_resource", "synchronization",
                 "aggregation", "shape")
_creators = threading.local()  # .stacks: {Graph: [creator, ...]}, outermost first


def _creator_stack(graph):
    stacks = getattr(_creators, "stacks", None)
    if stacks is None:
        stacks = _creators.stacks = weakref.WeakKeyDictionary()
    return stacks.setdefault(graph, [])


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """Scope in which `variable_creator(next_creator, **kwargs)` creates every `tf.Variable`
    (and so every `get_variable`) of the default graph on this thread (TF 1.x's
    `tf.variable_creator_scope`).

    The innermost scope's creator is called first; `next_creator(**kwargs)` calls the next
    one out, the last creates the Variable. kwargs are TF's: initial_value, trainable,
    collections, validate_shape, caching_device, name, variable_def, dtype,
    expected_shape, import_scope, constraint, use_resource, synchronization, aggregation,
    shape (and experimental_enable_variable_lifting); a creator may change them, or return
    something else entirely.

    Example:
        >>> def frozen(next_creator, **kwargs):
        ...     kwargs["trainable"] = False
        ...     return next_creator(**kwargs)
        >>> with tf.variable_creator_scope(frozen):
        ...     v = tf.Variable(1.0)       # not in TRAINABLE_VARIABLES
    """
    stack = _creator_stack(graph_mod.get_default_graph())
    stack.append(variable_creator)
    try:
        yield
    finally:
        stack.remove(variable_creator)


class _VariableMetaclass(type):
    """Routes `Variable(...)` through the creators of `variable_creator_scope` (TF's
    VariableMetaclass)."""

    def __call__(cls, *args, **kwargs):
        stack = _creator_stack(graph_mod.get_default_graph()) if cls is Variable else ()
        if not stack:
            return super().__call__(*args, **kwargs)
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
        bound.apply_defaults()
        call = dict(list(bound.arguments.items())[1:])
        call["experimental_enable_variable_lifting"] = True

        def default(**kw):
            return type.__call__(cls, **{k: kw[k] for k in _CREATOR_KEYS if k in kw})

        getter = default
        for creator in list(stack):
            getter = functools.partial(_call_creator, creator, getter)
        return getter(**call)


def _call_creator(creator, next_creator, **kwargs):
    return creator(next_creator, **kwargs)


class Variable(metaclass=_VariableMetaclass):
    """A tensor whose value persists across `Session.run` calls (TF1's RefVariable).

    Args:
        initial_value: a Tensor, a Python/numpy value, or a callable returning one; the
            value `initializer` assigns.
        trainable: also add the variable to TRAINABLE_VARIABLES (default True), so
            optimizers train it.
        collections: graph collections to add the variable to (default
            [GraphKeys.GLOBAL_VARIABLES]).
        validate_shape: require the initial value's shape to be fully known; False allows a
            variable of unknown shape.
        caching_device: device for the `read` snapshot (default: the variable's device).
        name: op name (default "Variable"), made unique in the current name scope.
        variable_def: a `VariableDef` proto: the Variable of existing ops (names in it,
            under `import_scope`), as `import_meta_graph` rebuilds them.
        dtype: convert the initial value to this type.
        expected_shape: deprecated in TF and ignored, as there.
        import_scope: accepted for TF compatibility; unused.
        constraint: an optional projection applied by users after updates; stored.
        use_resource: accepted for TF compatibility; every variable has ref semantics.
        synchronization, aggregation: accepted for TF compatibility; unused.
        shape: the variable's static shape, when it should differ from the initial value's.

    Raises:
        ValueError: no initial value, a bad `collections` argument, or an initial value
            of unknown shape with `validate_shape`.

    Example:
        >>> w = tf.Variable([[1.0, 2.0]], name="w")
        >>> w
        <tf.Variable 'w:0' shape=(1, 2) dtype=float32_ref>
        >>> with tf.Session() as sess:
        ...     sess.run(tf.global_variables_initializer())
        ...     sess.run(w.assign_add([[1.0, 1.0]]))
        array([[2., 3.]], dtype=float32)
    """

    # numpy defers to our reflected operators (np.float32(2) * v builds a Mul).
    __array_priority__ = 100

    SaveSliceInfo = SaveSliceInfo
    _save_slice_info = None  # set on the shards of a PartitionedVariable

    def __init__(self, initial_value=None, trainable=None, collections=None,
                 validate_shape=True, caching_device=None, name=None, variable_def=None,
                 dtype=None, expected_shape=None, import_scope=None, constraint=None,
                 use_resource=None, synchronization=None, aggregation=None, shape=None):
        if variable_def is not None:
            if initial_value is not None:
                raise ValueError("variable_def and initial_value are mutually exclusive.")
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if trainable is None:
            trainable = True
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        if not isinstance(collections, (list, tuple, set)):
            raise ValueError(  # noqa: TRY004 - TF raises ValueError here
                "collections argument to Variable constructor must be a list, tuple, or set. "
                f"Got {collections} of type {type(collections)}")
        if constraint is not None and not callable(constraint):
            raise ValueError("The `constraint` argument must be a callable.")
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        self._trainable = bool(trainable)
        self._constraint = constraint
        self._caching_device = caching_device
        init_from_fn = callable(initial_value)
        graph = graph_mod.get_default_graph() if init_from_fn else _graph_of(initial_value)
        with graph.as_default(), graph.control_dependencies(None), \
                graph.name_scope(name or "Variable") as scope:
            if init_from_fn:
                with graph.name_scope("Initializer"):
                    self._initial_value = convert_to_tensor(
                        initial_value(), name="initial_value", dtype=dtype)
            else:
                self._initial_value = convert_to_tensor(
                    initial_value, name="initial_value", dtype=dtype)
            if shape is not None:
                var_shape = as_shape(shape)
            elif validate_shape:
                var_shape = self._initial_value.shape
            else:
                var_shape = unknown_shape()
            if validate_shape and not self._initial_value.shape.is_fully_defined():
                raise ValueError(
                    f"initial_value must have a shape specified: {self._initial_value}")
            self._variable = state_ops.variable_op_v2(
                var_shape, self._initial_value.dtype, name=scope)
            var_op = self._variable.op
            self._initializer_op = assign(
                self._variable, self._initial_value, validate_shape=validate_shape,
                name="Assign").op
            if caching_device is not None:  # a cached copy lives apart from the variable
                with graph.device(caching_device):
                    self._snapshot = constant_op.identity(self._variable, name="read")
            else:
                with state_ops.colocate(var_op):
                    self._snapshot = constant_op.identity(self._variable, name="read")
        graph.add_to_collections(collections, self)

    def _init_from_proto(self, variable_def, import_scope=None):
        graph = graph_mod.get_default_graph()

        def element(name):
            if not name:
                return None
            return graph.as_graph_element(f"{import_scope}/{name}" if import_scope else name)

        self._variable = element(variable_def.variable_name)
        self._initializer_op = element(variable_def.initializer_name)
        self._initial_value = element(variable_def.initial_value_name)
        self._snapshot = element(variable_def.snapshot_name)
        self._trainable = bool(variable_def.trainable)
        self._constraint = None
        self._caching_device = None
        if variable_def.HasField("save_slice_info_def"):
            self._save_slice_info = SaveSliceInfo(
                save_slice_info_def=variable_def.save_slice_info_def, import_scope=import_scope)

    def to_proto(self, export_scope=None):
        """The variable as a `VariableDef` proto (names relative to `export_scope`), or None
        when the variable is not under `export_scope`."""
        from flowexec.graph_io import protos

        def strip(name):
            if not export_scope:
                return name
            return name[len(export_scope) + 1:] if name.startswith(export_scope + "/") else None

        if strip(self._variable.name) is None:
            return None
        vd = protos.proto_class("VariableDef")(
            variable_name=strip(self._variable.name),
            initializer_name=strip(self._initializer_op.name),
            snapshot_name=strip(self._snapshot.name), trainable=self._trainable)
        if self._initial_value is not None:
            vd.initial_value_name = strip(self._initial_value.name)
        if self._save_slice_info is not None:
            slice_def = self._save_slice_info.to_proto(export_scope)
            if slice_def is not None:
                vd.save_slice_info_def.CopyFrom(slice_def)
        return vd

    def _set_save_slice_info(self, save_slice_info):
        """Makes the Saver save this variable as a slice (`SaveSliceInfo`) of a larger one."""
        self._save_slice_info = save_slice_info

    def _get_save_slice_info(self):
        return self._save_slice_info

    @staticmethod
    def from_proto(variable_def, import_scope=None):
        """The Variable a `VariableDef` describes, over ops already in the default graph."""
        return Variable(variable_def=variable_def, import_scope=import_scope)

    # ----- identity ------------------------------------------------------------------------
    @property
    def name(self):
        """The variable tensor's name, e.g. "v:0"."""
        return self._variable.name

    @property
    def op(self):
        """The VariableV2 Operation."""
        return self._variable.op

    @property
    def graph(self):
        return self._variable.graph

    @property
    def device(self):
        return self._variable.device

    @property
    def dtype(self):
        return self._variable.dtype

    @property
    def shape(self):
        return self._variable.shape

    def get_shape(self):
        return self._variable.shape

    @property
    def trainable(self):
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    @property
    def initializer(self):
        """The Assign Operation that sets the initial value."""
        return self._initializer_op

    @property
    def initial_value(self):
        return self._initial_value

    def _ref(self):
        return self._variable

    def _as_graph_element(self):
        """The variable's tensor: what `sess.run(v)` evaluates."""
        return self._variable

    def _grad_target(self):
        """What gradients are taken with respect to: the variable's tensor, so that every
        read of it (`value()`, `read_value()`, conversions) contributes."""
        return self._variable

    # ----- values --------------------------------------------------------------------------
    def value(self):
        """The `read` snapshot tensor (the same tensor on every call)."""
        return self._snapshot

    def read_value(self):
        """A new Identity op reading the variable's current value, named "read"."""
        with self.graph.as_default():
            return constant_op.identity(self._variable, name="read")

    def initialized_value(self):
        """The variable's value once initialized, else its initial value (TF1 semantics).

        Use it to initialize another variable from this one: `tf.Variable(
        w.initialized_value() * 2)` works in one `global_variables_initializer()` run in
        whichever order the two initializers run, as both see that run's single evaluation
        of `w.initial_value`. The result is not differentiable.

        Example:
            >>> w = tf.Variable(tf.random_normal([3]), name="w")
            >>> v = tf.Variable(w.initialized_value() * 2.0, name="v")
            >>> sess.run(tf.global_variables_initializer())
            >>> np.allclose(sess.run(v), 2 * sess.run(w))
            True
        """
        with self.graph.as_default(), self.graph.control_dependencies(None):
            return state_ops.variable_value_or_initial(self._variable, self._initial_value)

    def count_up_to(self, limit):
        """Increments this int32/int64 scalar variable until it reaches `limit`.

        Returns a Tensor with the value before the increment; a run that finds the
        variable at `limit` raises OutOfRangeError "Reached limit of <limit>".

        Example:
            >>> step = tf.Variable(0)
            >>> nxt = step.count_up_to(3)
        """
        return state_ops.count_up_to(self._variable, limit)

    def eval(self, session=None):
        """The variable's value in `session` (default: the default session)."""
        return self._variable.eval(session=session)

    def load(self, value, session=None):
        """Assigns `value` by running the initializer with its initial value fed.

        Args:
            value: the new value (the variable's shape, unless validate_shape was False).
            session: the Session (default: the default session).

        Raises:
            ValueError: no session given and no default session.
        """
        session = session or get_default_session()
        if session is None:
            raise ValueError("Either session argument should be provided or default session "
                             "should be established")
        session.run(self._initializer_op, {self._initial_value: value})

    # ----- updates -------------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Assigns `value`; returns the new value's Tensor (the Operation if not read_value)."""
        t = assign(self._variable, value, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        """Adds `delta`; returns the new value's Tensor (the Operation if not read_value)."""
        t = assign_add(self._variable, delta, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        """Subtracts `delta`; returns the new value's Tensor (the Operation if not
        read_value)."""
        t = assign_sub(self._variable, delta, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def _scatter(self, kind, sparse_delta, use_locking, name):
        from flowexec.framework.indexed_slices import IndexedSlices
        from flowexec.ops import scatter_ops

        if not isinstance(sparse_delta, IndexedSlices):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        fn = getattr(scatter_ops, "scatter_" + kind)
        return fn(self._variable, sparse_delta.indices, sparse_delta.values,
                  use_locking=use_locking, name=name)

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        """Adds the rows of the IndexedSlices `sparse_delta` (ScatterAdd); returns the new
        value. Raises TypeError for anything but an IndexedSlices."""
        return self._scatter("add", sparse_delta, use_locking, name)

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        """Subtracts the rows of the IndexedSlices `sparse_delta` (ScatterSub).

        Example:
            >>> w.scatter_sub(tf.IndexedSlices(tf.ones([1, 3]), [2]))
        """
        return self._scatter("sub", sparse_delta, use_locking, name)

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Writes the rows of the IndexedSlices `sparse_delta` (ScatterUpdate)."""
        return self._scatter("update", sparse_delta, use_locking, name)

    def scatter_mul(self, sparse_delta, use_locking=False, name=None):
        """Multiplies rows by those of the IndexedSlices `sparse_delta` (ScatterMul)."""
        return self._scatter("mul", sparse_delta, use_locking, name)

    def scatter_div(self, sparse_delta, use_locking=False, name=None):
        """Divides rows by those of the IndexedSlices `sparse_delta` (ScatterDiv)."""
        return self._scatter("div", sparse_delta, use_locking, name)

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        """Rows become max(row, the IndexedSlices `sparse_delta`'s) (ScatterMax)."""
        return self._scatter("max", sparse_delta, use_locking, name)

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        """Rows become min(row, the IndexedSlices `sparse_delta`'s) (ScatterMin)."""
        return self._scatter("min", sparse_delta, use_locking, name)

    def sparse_read(self, indices, name=None):
        """The rows `indices` of the variable (a gather; its gradient is IndexedSlices)."""
        from flowexec.ops import array_ops

        with self.graph.as_default():
            return array_ops.gather(self._variable, indices, name=name)

    # ----- Python protocol -----------------------------------------------------------------
    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={self.get_shape()} "
                f"dtype={self.dtype.name}_ref>")

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"Cannot convert a symbolic Variable ({self.name}) to a numpy array. Evaluate it "
            "in a Session first.")

    __hash__ = object.__hash__


def _delegate(op_name):
    def method(self, *args):
        return getattr(Tensor, op_name)(self.value(), *args)
    method.__name__ = op_name
    method.__doc__ = f"`Tensor.{op_name}` applied to the variable's value."
    return method


for _op_name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                 "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
                 "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__",
                 "__abs__", "__invert__", "__and__", "__rand__", "__or__", "__ror__",
                 "__xor__", "__rxor__", "__lt__", "__le__", "__gt__", "__ge__",
                 "__getitem__"):
    setattr(Variable, _op_name, _delegate(_op_name))
del _op_name

VariableV1 = Variable


def _to_tensor(v, dtype=None, name=None, as_ref=False):
    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(v.dtype):
        raise ValueError(
            f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}' "
            f"for variable of type '{v.dtype.name}'")
    return v._ref() if as_ref else v.value()


register_tensor_conversion_function(Variable, _to_tensor)


# ----- collections ---------------------------------------------------------------------------
def global_variables(scope=None):
    """Variables in GraphKeys.GLOBAL_VARIABLES, filtered by `scope` (a name regex).

    Example:
        >>> v = tf.Variable(1.0, name="v")
        >>> tf.global_variables()
        [<tf.Variable 'v:0' shape=() dtype=float32_ref>]
    """
    return graph_mod.get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def all_variables():
    """Deprecated alias of `global_variables()`."""
    return global_variables()


def trainable_variables(scope=None):
    """Variables in GraphKeys.TRAINABLE_VARIABLES (those optimizers train by default)."""
    return graph_mod.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    """Variables in GraphKeys.LOCAL_VARIABLES (e.g. metric accumulators)."""
    return graph_mod.get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None):
    """Variables in GraphKeys.MODEL_VARIABLES."""
    return graph_mod.get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None):
    """Variables in GraphKeys.MOVING_AVERAGE_VARIABLES."""
    return graph_mod.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


# ----- initializers --------------------------------------------------------------------------
def variables_initializer(var_list, name="init"):
    """One op that runs the initializers of `var_list` (a NoOp when the list is empty).

    Example:
        >>> init = tf.variables_initializer([v, w])
        >>> sess.run(init)
    """
    if var_list:
        return constant_op.group(*[v.initializer for v in var_list], name=name)
    return constant_op.no_op(name=name)


def initialize_variables(var_list, name="init"):
    """Deprecated alias of `variables_initializer`."""
    return variables_initializer(var_list, name=name)


def global_variables_initializer():
    """The op that initializes every global variable: `variables_initializer(
    global_variables())`, named "init".

    Example:
        >>> sess.run(tf.global_variables_initializer())
    """
    return variables_initializer(global_variables())


def initialize_all_variables():
    """Deprecated alias of `global_variables_initializer()`."""
    return global_variables_initializer()


def local_variables_initializer():
    """The op that initializes every local variable, named "init"."""
    return variables_initializer(local_variables())


def initialize_local_variables():
    """Deprecated alias of `local_variables_initializer()`."""
    return local_variables_initializer()


def is_variable_initialized(variable):
    """A scalar bool tensor: whether `variable` holds a value in the session that runs it."""
    return state_ops.is_variable_initialized(variable)


def _default_var_list():
    var_list = global_variables() + local_variables()
    if not var_list:
        graph = graph_mod.get_default_graph()
        var_list = [op.outputs[0] for op in graph.get_operations() if op.type == "VariableV2"]
    return var_list


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-D string tensor with the names of the variables not initialized in the session.

    Args:
        var_list: Variables to check (default: global and local variables, or every
            VariableV2 op when there are none).
        name: name scope of the ops.

    Example:
        >>> v = tf.Variable(1.0, name="v")
        >>> sess.run(tf.report_uninitialized_variables())
        array([b'v'], dtype=object)
    """
    from flowexec.ops import array_ops, math_ops

    if var_list is None:
        var_list = _default_var_list()
    graph = graph_mod.get_default_graph()
    # As TF: the string work runs on the CPU, which has kernels for it on every machine;
    # each IsVariableInitialized stays with its variable.
    with graph.name_scope(name), graph.device("/cpu:0"):
        if not var_list:
            return constant_op.constant([], dtype=dtypes.string)
        init_vars = [state_ops.is_variable_initialized(v) for v in var_list]
        variables_mask = math_ops.logical_not(array_ops.stack(init_vars))
        variable_names_tensor = constant_op.constant([v.op.name.encode() for v in var_list])
        # tf.boolean_mask's construction: gather the names where the mask is true.
        indices = array_ops.reshape(math_ops.where(variables_mask), [-1])
        return array_ops.gather(variable_names_tensor, indices)


def assert_variables_initialized(var_list=None):
    """An op that fails with FailedPreconditionError when a variable is uninitialized.

    Returns the rank(s) of the variables (TF's construction: reading a variable is what
    checks it), or None when there are no variables.
    """
    from flowexec.ops import array_ops

    if var_list is None:
        var_list = _default_var_list()
    if not var_list:
        return None
    ranks = []
    for var in var_list:
        with state_ops.colocate(var.op):
            # A Rank op that is never folded away, as TF's rank_internal(optimize=False).
            ranks.append(apply_op("Rank", var._ref() if isinstance(var, Variable) else var,
                                  name="Rank"))
    if len(ranks) == 1:
        return ranks[0]
    return array_ops.stack(ranks)


__all__ = [
    "Variable",
    "all_variables",
    "assert_variables_initialized",
    "assign",
    "assign_add",
    "assign_sub",
    "count_up_to",
    "global_variables",
    "global_variables_initializer",
    "initialize_all_variables",
    "initialize_local_variables",
    "initialize_variables",
    "is_variable_initialized",
    "local_variables",
    "local_variables_initializer",
    "model_variables",
    "moving_average_variables",
    "report_uninitialized_variables",
    "trainable_variables",
    "variable_creator_scope",
    "variables_initializer",
]
