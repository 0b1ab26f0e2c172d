"""TF 1.x's framework helpers at the top level: behaviour switches (eager, v2 behaviour,
control flow v2, resource variables, tensor equality, v2 TensorShape), `executing_eagerly`,
`init_scope`, `get_static_value`, `dimension_value`/`dimension_at_index`, `op_scope`,
`is_symbolic_tensor`, `tables_initializer`, `switch_case`, the variable enums, `Module` and
`make_template`.

flowexec runs graphs: the switches that ask for TF 1.x graph behaviour are honoured (they are
how flowexec already behaves) and the ones that ask for what flowexec cannot do (eager
execution, resource variables) raise ValueError saying so, instead of silently doing nothing.
flowexec's control flow is TF's functional (v2) kind and its TensorShape indexes to
Dimension-like values that compare and convert as ints, so those switches report and accept
what flowexec is.
"""

import contextlib
import enum
import functools
import re

from flowexec.framework import tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, get_default_graph, name_scope
from flowexec.framework.tensor import Tensor

__all__ = ["Module", "VariableAggregation", "VariableSynchronization", "control_flow_v2_enabled",
           "dimension_at_index", "dimension_value", "disable_control_flow_v2",
           "disable_eager_execution", "disable_resource_variables", "disable_tensor_equality",
           "disable_v2_behavior", "disable_v2_tensorshape", "enable_control_flow_v2",
           "enable_eager_execution", "enable_resource_variables", "enable_tensor_equality",
           "enable_v2_behavior", "enable_v2_tensorshape", "executing_eagerly",
           "executing_eagerly_outside_functions", "get_static_value", "init_scope",
           "initialize_all_tables", "is_symbolic_tensor", "make_template", "op_scope",
           "resource_variables_enabled", "switch_case", "tables_initializer"]


def _graph_only(what):
    return ValueError(f"{what}: flowexec runs TF 1.x graphs (Graph + Session) only; there is "
                      f"no eager mode or TF 2 behaviour to turn on")


# ----- behaviour switches ---------------------------------------------------------------------
def executing_eagerly():
    """False: flowexec always builds graphs (TF 1.x graph mode)."""
    return False


def executing_eagerly_outside_functions():
    """False: outside functions, flowexec builds graphs too."""
    return False


def disable_eager_execution():
    """Graph mode, which is the only mode flowexec has: nothing to change."""


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Raises ValueError: flowexec has no eager mode (TF 1.x graph mode only)."""
    raise _graph_only("enable_eager_execution")


def disable_v2_behavior():
    """TF 1.x behaviour, which is flowexec's: nothing to change."""


def enable_v2_behavior():
    """Raises ValueError: flowexec implements TF 1.x graph behaviour only."""
    raise _graph_only("enable_v2_behavior")


def control_flow_v2_enabled():
    """True: flowexec's `cond`/`while_loop` are TF's functional (v2) control flow ops."""
    return True


def enable_control_flow_v2():
    """Functional (v2) control flow, which is flowexec's: nothing to change."""


def disable_control_flow_v2():
    """Raises ValueError: flowexec has only functional control flow (If/While), not TF 1.x's
    Switch/Merge dataflow form."""
    raise ValueError("disable_control_flow_v2: flowexec's control flow is functional "
                     "(If/While ops); TF 1.x's Switch/Merge form is not available")


def resource_variables_enabled():
    """False: flowexec's variables are TF 1.x reference variables."""
    return False


def disable_resource_variables():
    """Reference variables, which are flowexec's: nothing to change."""


def enable_resource_variables():
    """Raises ValueError: flowexec has TF 1.x reference variables only."""
    raise ValueError("enable_resource_variables: flowexec's variables are TF 1.x reference "
                     "variables; resource variables are not available")


def disable_tensor_equality():
    """TF 1.x `Tensor.__eq__` (identity, tensors hashable), which is flowexec's."""


def enable_tensor_equality():
    """Raises ValueError: flowexec keeps TF 1.x's identity `==` for Tensors (so they stay
    usable as dict keys)."""
    raise ValueError("enable_tensor_equality: flowexec Tensors compare by identity, as in "
                     "TF 1.x; use tf.equal for elementwise comparison")


def enable_v2_tensorshape():
    """TensorShape entries that behave as ints (TF 2's), as flowexec's already do: indexing a
    TensorShape gives a Dimension that compares, hashes and converts as its int value, and
    `TensorShape.as_list()` gives ints."""


def disable_v2_tensorshape():
    """TF 1.x Dimension objects from TensorShape indexing, which is what flowexec gives
    (`tf.dimension_value` reads one as an int or None)."""


# ----- shapes and static values ---------------------------------------------------------------
def dimension_value(dimension):
    """The int (or None) of a TensorShape entry, whichever form it has.

    Example:
        >>> dimension_value(TensorShape([None, 3])[1])  # 3
    """
    if isinstance(dimension, tensor_shape.Dimension):
        return dimension.value
    return dimension


def dimension_at_index(shape, index):
    """The Dimension at `index` of `shape`; an unknown Dimension when the rank is unknown.

    Example:
        >>> dimension_at_index(TensorShape([2, None]), 0).value  # 2
    """
    shape = tensor_shape.as_shape(shape)
    if shape.ndims is None:
        return tensor_shape.Dimension(None)
    return tensor_shape.Dimension(shape.as_list()[index])


def get_static_value(tensor, partial=False):
    """The value of `tensor` as a numpy array when it is known while the graph is built
    (constants, static shapes, shape arithmetic on them), else None.

    Args:
        tensor: a Tensor (or a value: returned as a numpy array).
        partial: accepted as TF's; a partially known value is None here.

    Example:
        >>> get_static_value(tf.shape(tf.zeros([2, 3])))  # array([2, 3], dtype=int32)
    """
    import numpy as np

    from flowexec.ops import shape_fns

    if not isinstance(tensor, Tensor):
        return np.asarray(tensor)
    value = shape_fns.constant_value(tensor)
    return None if value is None else np.asarray(value)


def is_symbolic_tensor(tensor):
    """Whether `tensor` is a graph Tensor (every flowexec Tensor is)."""
    return isinstance(tensor, Tensor)


# ----- scopes ---------------------------------------------------------------------------------
@contextlib.contextmanager
def init_scope():
    """Lifts ops out of control-dependency scopes and function graphs (cond/while bodies,
    dataset functions) into the outermost graph, as TF 1.x's `init_scope` does in graph
    mode; the name scope is kept.

    Example:
        >>> with tf.control_dependencies([op]):
        ...     with tf.init_scope():
        ...         v = tf.constant(1.0)  # no control dependency on op
    """
    graph = get_default_graph()
    outer = graph
    while getattr(outer, "building_function", False) and getattr(outer, "outer_graph", None):
        outer = outer.outer_graph
    scope = graph.get_name_scope()
    with outer.as_default(), outer.control_dependencies(None):
        if scope and outer is not graph:
            with outer.name_scope(scope + "/"):
                yield
        else:
            yield


def op_scope(values, name, default_name=None):
    """TF 0.x's `op_scope(values, name, default_name)`: `name_scope(name, default_name,
    values)` with its old argument order (deprecated in TF too)."""
    return name_scope(name, default_name, values)


# ----- tables ---------------------------------------------------------------------------------
def tables_initializer(name="init_all_tables"):
    """One op that runs every table initializer of the graph (the TABLE_INITIALIZERS
    collection); a NoOp when the graph has none."""
    from flowexec.ops.constant_op import group, no_op

    inits = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    return group(*inits, name=name) if inits else no_op(name=name)


def initialize_all_tables(name="init_all_tables"):
    """Deprecated TF 1.x name of `tables_initializer`."""
    return tables_initializer(name)


# ----- control flow ---------------------------------------------------------------------------
def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """The result of `branch_fns[branch_index]()`, or of `default` (the last branch when
    None) for an index out of range; branches are functions of no arguments, built as one
    `tf.case`.

    Args:
        branch_index: int32 scalar Tensor.
        branch_fns: a list of callables, a list of (int, callable) pairs, or a dict.
        default: callable for indices without a branch.
        name: name scope.

    Raises:
        TypeError: a branch is not callable or the keys are not ints.
        ValueError: `branch_fns` is empty or the keys are not 0..n-1.

    Example:
        >>> switch_case(tf.constant(1), [lambda: tf.constant(17), lambda: tf.constant(31)])  # 31
    """
    from flowexec.ops import math_ops
    from flowexec.ops.cond import case

    if isinstance(branch_fns, dict):
        items = sorted(branch_fns.items())
    elif branch_fns and isinstance(branch_fns[0], (list, tuple)):
        items = sorted(branch_fns)
    else:
        items = list(enumerate(branch_fns or []))
    if not items:
        raise ValueError("Must provide at least one item in branch_fns")
    for key, fn in items:
        if not isinstance(key, int):
            raise TypeError(f"branch_fns dict keys must be ints, got {key!r}")
        if not callable(fn):
            raise TypeError(f"fn for key {key} must be callable.")
    if [k for k, _ in items] != list(range(len(items))):
        raise ValueError("branch indices (keys) must form contiguous range of "
                         f"[0 to {len(items)}) but found {[k for k, _ in items]}")
    with name_scope(name, "switch_case", [branch_index]):
        index = convert_to_tensor(branch_index, name="branch_index")
        if default is None:
            default = items[-1][1]
            items = items[:-1]
        pairs = [(math_ops.equal(index, k), fn) for k, fn in items]
        return case(pairs, default=default, exclusive=False) if pairs else default()


# ----- variable enums, Module, make_template --------------------------------------------------
class VariableSynchronization(enum.Enum):
    """When a distributed variable is aggregated (TF's enum; flowexec's single-copy variables
    accept every value)."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How updates to a mirrored variable are combined (TF's enum; accepted by get_variable and
    Variable for compatibility with code that passes it)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # TF 1.x's older name of ONLY_FIRST_REPLICA


_VALID_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _camel_to_snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


class Module:
    """A container of variables and sub-modules (TF's `tf.Module`): `variables`,
    `trainable_variables` and `submodules` are found by walking the object's attributes
    (lists, tuples and dicts included); `name_scope` opens the module's name scope.

    Example:
        >>> class Dense(tf.Module):
        ...     def __init__(self, n):
        ...         super().__init__()
        ...         with self.name_scope:
        ...             self.w = tf.Variable(tf.zeros([n, n]), name="w")
        >>> Dense(2).trainable_variables  # (<tf.Variable 'dense/w:0' ...>,)

    Raises:
        ValueError: `name` is not a valid Python identifier.
    """

    def __init__(self, name=None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        elif not _VALID_MODULE_NAME.match(name):
            raise ValueError(f"'{name}' is not a valid module name. Module names must be valid "
                             f"Python identifiers (e.g. a valid class name).")
        self._name = name
        with name_scope(name) as scope:
            self._scope_name = scope

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        """The module's name scope (a context manager), entered again each time."""
        return get_default_graph().name_scope(self._scope_name)

    def _walk(self, predicate):
        from flowexec.variables import Variable

        seen, out = set(), []
        stack = [self]
        while stack:
            obj = stack.pop()
            values = vars(obj).values() if isinstance(obj, Module) else (
                obj.values() if isinstance(obj, dict) else obj)
            for v in list(values):
                if id(v) in seen:
                    continue
                seen.add(id(v))
                if predicate(v, Variable):
                    out.append(v)
                if isinstance(v, (Module, list, tuple, dict)):
                    stack.append(v)
        return tuple(out)

    @property
    def variables(self):
        """Every variable reachable from the module's attributes, sub-modules included."""
        return self._walk(lambda v, var_cls: isinstance(v, var_cls))

    @property
    def trainable_variables(self):
        """The trainable ones among `variables`."""
        return self._walk(lambda v, var_cls: isinstance(v, var_cls) and v.trainable)

    @property
    def submodules(self):
        """Every Module reachable from the module's attributes (not the module itself)."""
        return self._walk(lambda v, var_cls: isinstance(v, Module))

    def _trackable_children(self):
        """Its trackable attributes, in assignment order (TF's Module is an AutoTrackable)."""
        from flowexec.train.trackable import attribute_children

        return attribute_children(self)

    @classmethod
    def with_name_scope(cls, method):
        """Decorator running `method` inside the module's name scope."""
        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return wrapped


class Template:
    """A function whose variables are created on the first call and reused on later calls
    (what `make_template` returns)."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None,
                 custom_getter=None):
        from flowexec.variable_scope import variable_scope

        self._func = func
        self._name = name
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        self._variables_created = False
        self._variable_scope = None
        if create_scope_now:
            with variable_scope(unique_name, default_name=name,
                                   custom_getter=custom_getter) as scope:
                self._variable_scope = scope

    def __call__(self, *args, **kwargs):
        from flowexec.variable_scope import variable_scope

        if self._variable_scope is None:
            with variable_scope(self._unique_name, default_name=self._name,
                                   custom_getter=self._custom_getter) as scope:
                self._variable_scope = scope
                result = self._func(*args, **kwargs)
            self._variables_created = True
            return result
        reuse = self._variables_created
        with variable_scope(self._variable_scope, reuse=True if reuse else None):
            result = self._func(*args, **kwargs)
        self._variables_created = True
        return result

    @property
    def name(self):
        return self._name

    @property
    def variable_scope(self):
        return self._variable_scope

    @property
    def variable_scope_name(self):
        return None if self._variable_scope is None else self._variable_scope.name

    def _collection(self, key):
        if self._variable_scope is None:
            return []
        return get_default_graph().get_collection(key, self.variable_scope_name + "/")

    @property
    def variables(self):
        return self._collection(GraphKeys.GLOBAL_VARIABLES)

    @property
    def trainable_variables(self):
        return self._collection(GraphKeys.TRAINABLE_VARIABLES)

    @property
    def non_trainable_variables(self):
        trainable = set(map(id, self.trainable_variables))
        return [v for v in self.variables if id(v) not in trainable]

    global_variables = variables

    @property
    def local_variables(self):
        return self._collection(GraphKeys.LOCAL_VARIABLES)


def make_template(name_, func_, create_scope_now_=False, unique_name_=None,
                  custom_getter_=None, **kwargs):
    """`func_` wrapped so that the variables it makes with `tf.get_variable` are created on
    the first call (in a variable scope named after `name_`) and shared by every later call.

    Args:
        name_: the scope name (made unique unless `unique_name_` is given).
        func_: the function; `kwargs` are bound to it.
        create_scope_now_: open the variable scope now instead of at the first call.
        unique_name_: an exact scope name to use.
        custom_getter_: a custom getter for the scope.

    Example:
        >>> scale = tf.make_template("scale", lambda x: x * tf.get_variable("w", []))
        >>> y1, y2 = scale(a), scale(b)  # one variable scale/w
    """
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_,
                    custom_getter=custom_getter_)
