"""`tf.variable_scope` and `tf.get_variable`: named variable sharing, as in TF1.

Each graph holds one variable store (full name -> Variable, for `get_variable`) and one
variable-scope store (the current VariableScope and per-scope open counts, used to make
`default_name` scopes unique). Variable names depend only on the variable scope, never on
the name scope: `get_variable` creates its ops at the root name scope under the full name.

Reuse follows TF1: `reuse=True` requires the variable to exist, `AUTO_REUSE` creates it or
returns it, and the default refuses to create a variable twice. Reuse is inherited by
sub-scopes and cannot be turned off inside a reusing scope.

Graph construction is not thread-safe (as in TensorFlow); the current variable scope is
kept per graph, not per thread.
"""

import contextlib
import functools
import inspect

from flowexec import init_ops
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.framework.tensor_shape import as_shape
from flowexec.ops import state_ops
from flowexec.variables import Variable


class _ReuseMode:
    """The type of `tf.AUTO_REUSE`."""

    def __repr__(self):
        return "_ReuseMode.AUTO_REUSE"

    def __reduce__(self):
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()

_VARSTORE_KEY = ("__variable_store",)
_VARSCOPESTORE_KEY = ("__varscope",)


class _VariableStore:
    """The variables `get_variable` created in one graph, by full name."""

    def __init__(self):
        self._vars = {}
        self._partitioned_vars = {}

    def get_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     caching_device=None, partitioner=None, validate_shape=True,
                     constraint=None, custom_getter=None, **unused_kwargs):
        dtype = dtypes.as_dtype(dtype)
        kwargs = {"shape": shape, "dtype": dtype, "initializer": initializer,
                      "regularizer": regularizer, "reuse": reuse, "trainable": trainable,
                      "collections": collections, "caching_device": caching_device,
                      "partitioner": partitioner, "validate_shape": validate_shape,
                      "constraint": constraint}
        if custom_getter is not None:
            if not callable(custom_getter):
                raise ValueError(f"Passed a custom_getter which is not callable: "
                                 f"{custom_getter}")
            return custom_getter(getter=self._true_getter, name=name, **kwargs)
        return self._true_getter(name, **kwargs)

    def _true_getter(self, name, shape=None, dtype=dtypes.float32, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     caching_device=None, partitioner=None, **kwargs):
        """A PartitionedVariable with a partitioner (or when reusing one), else a Variable."""
        from flowexec import partitioned_variables

        kwargs.update(regularizer=regularizer, trainable=trainable, collections=collections,
                      caching_device=caching_device)
        is_scalar = shape is not None and isinstance(shape, (list, tuple)) and not shape
        if partitioner is not None and not is_scalar:
            if not callable(partitioner):
                raise ValueError(f"Partitioner must be callable, but received: {partitioner}")
            with graph_mod.get_default_graph().name_scope(None):
                return partitioned_variables.get_partitioned_variable(
                    self, name, partitioner, shape=shape, dtype=dtype,
                    initializer=initializer, reuse=reuse, **kwargs)
        if reuse is True and partitioner is None and name in self._partitioned_vars:
            return partitioned_variables.get_partitioned_variable(
                self, name, None, shape=shape, dtype=dtype, initializer=initializer,
                reuse=reuse, **kwargs)
        if f"{name}/part_0" in self._vars:
            raise ValueError(
                "No partitioner was provided, but a partitioned version of the variable was "
                f"found: {name}/part_0. Perhaps a variable of the same name was already "
                "created with partitioning?")
        return self._get_single_variable(name, shape=shape, dtype=dtype,
                                         initializer=initializer, reuse=reuse, **kwargs)

    def _get_single_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None,
                             regularizer=None, reuse=None, trainable=None, collections=None,
                             caching_device=None, validate_shape=True, constraint=None,
                             partition_info=None, **unused_kwargs):
        initializing_from_value = initializer is not None and not callable(initializer)
        if shape is not None and initializing_from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = dtypes.as_dtype(dtype)
        shape = as_shape(shape)

        if name in self._vars:
            found = self._vars[name]
            if reuse is False:
                fn, line, func = found.op._user_frame()
                raise ValueError(
                    f"Variable {name} already exists, disallowed. Did you mean to set "
                    "reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally defined at:"
                    f"\n\n  File \"{fn}\", line {line}, in {func}\n")
            if not shape.is_compatible_with(found.get_shape()):
                raise ValueError(
                    f"Trying to share variable {name}, but specified shape {shape} and found "
                    f"shape {found.get_shape()}.")
            if not dtype.is_compatible_with(found.dtype):
                raise ValueError(
                    f"Trying to share variable {name}, but specified dtype {dtype.name} and "
                    f"found dtype {found.dtype.name}.")
            return found

        if reuse is True:
            raise ValueError(
                f"Variable {name} does not exist, or was not created with tf.get_variable(). "
                "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")

        if initializer is None:
            initializer, initializing_from_value = _default_initializer(name, dtype)
        if initializing_from_value:
            init_val = initializer
            variable_dtype = None
        else:
            if inspect.isclass(initializer):
                initializer = initializer()
            if shape.is_fully_defined():
                extra = {"partition_info": partition_info} \
                    if partition_info is not None and _accepts(initializer, "partition_info") \
                    else {}
                init_val = functools.partial(initializer, shape.as_list(), dtype=dtype, **extra)
                variable_dtype = dtype
            elif _needs_no_arguments(initializer):
                init_val = initializer
                variable_dtype = None
            else:
                raise ValueError(
                    "The initializer passed is not valid. It should be a callable with no "
                    "arguments and the shape should not be provided or an instance of "
                    "`tf.keras.initializers.*' and `shape` should be fully defined.")
        v = Variable(initial_value=init_val, name=name, trainable=trainable,
                     collections=collections, caching_device=caching_device,
                     dtype=variable_dtype, validate_shape=validate_shape,
                     constraint=constraint)
        self._vars[name] = v
        if regularizer:
            graph = v.graph
            with state_ops.colocate(v.op), graph.name_scope(name + "/Regularizer/"):
                loss = regularizer(v)
            if loss is not None:
                graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
        return v


def _accepts(fn, arg):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return arg in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _needs_no_arguments(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in params)


def _default_initializer(name, dtype):
    """TF1's default: Glorot uniform for floats, zeros for integers, bools and strings."""
    if dtype.is_floating:
        return init_ops.glorot_uniform_initializer(), False
    if dtype.is_integer or dtype.is_unsigned or dtype.is_bool or dtype is dtypes.string:
        return init_ops.zeros_initializer(), False
    raise ValueError(f"An initializer for variable {name} of {dtype.base_dtype} is required")


class VariableScope:
    """The settings `get_variable` applies inside a `variable_scope`.

    Attributes:
        name: the scope's full name ("" at the root).
        original_name_scope: the name scope opened when the scope was first entered.
        reuse: False, True or AUTO_REUSE.
        initializer, regularizer, dtype, caching_device, custom_getter, constraint: defaults
            for the variables created inside.
    """

    def __init__(self, reuse, name="", initializer=None, regularizer=None,
                 caching_device=None, partitioner=None, custom_getter=None, name_scope="",
                 dtype=dtypes.float32, use_resource=None, constraint=None):
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = dtypes.as_dtype(dtype)
        self._use_resource = use_resource
        self._constraint = constraint

    @property
    def name(self):
        return self._name

    @property
    def original_name_scope(self):
        return self._name_scope

    @property
    def reuse(self):
        return self._reuse

    @property
    def initializer(self):
        return self._initializer

    @property
    def regularizer(self):
        return self._regularizer

    @property
    def dtype(self):
        return self._dtype

    @property
    def caching_device(self):
        return self._caching_device

    @property
    def partitioner(self):
        return self._partitioner

    @property
    def custom_getter(self):
        return self._custom_getter

    @property
    def use_resource(self):
        return self._use_resource

    @property
    def constraint(self):
        return self._constraint

    def reuse_variables(self):
        """Makes `get_variable` in this scope (and sub-scopes opened later) reuse."""
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        self._dtype = dtypes.as_dtype(dtype)

    def set_caching_device(self, caching_device):
        self._caching_device = caching_device

    def set_custom_getter(self, custom_getter):
        self._custom_getter = custom_getter

    def set_use_resource(self, use_resource):
        self._use_resource = use_resource

    def set_partitioner(self, partitioner):
        self._partitioner = partitioner

    def get_collection(self, name):
        """The items of collection `name` whose names start with this scope's name."""
        scope = self._name + "/" if self._name else ""
        return graph_mod.get_collection(name, scope or None)

    def trainable_variables(self):
        return self.get_collection(GraphKeys.TRAINABLE_VARIABLES)

    def global_variables(self):
        return self.get_collection(GraphKeys.GLOBAL_VARIABLES)

    def local_variables(self):
        return self.get_collection(GraphKeys.LOCAL_VARIABLES)

    def get_variable(self, var_store, name, shape=None, dtype=None, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None, **unused):
        """Gets or creates `<scope name>/<name>` in `var_store` with this scope's defaults."""
        if partitioner is None:
            partitioner = self._partitioner
        if regularizer is None:
            regularizer = self._regularizer
        if caching_device is None:
            caching_device = self._caching_device
        if custom_getter is None:
            custom_getter = self._custom_getter
        if reuse is None:
            reuse = self._reuse
        full_name = self._name + "/" + name if self._name else name
        inner = graph_mod.get_default_graph()
        graph = _outermost_graph(inner)
        # Variable names depend only on the variable scope: create at the root name scope;
        # inside a cond/while body, in the outer graph (the body reads it as a capture).
        lift = graph.as_default() if graph is not inner else contextlib.nullcontext()
        deps = graph.control_dependencies(None) if graph is not inner \
            else contextlib.nullcontext()
        with lift, deps, graph.name_scope(None):
            if dtype is not None and initializer is not None and not callable(initializer):
                init_dtype = convert_to_tensor(initializer).dtype.base_dtype
                if init_dtype != dtypes.as_dtype(dtype):
                    raise ValueError(f"Initializer type '{init_dtype}' and explicit dtype "
                                     f"'{dtypes.as_dtype(dtype)}' don't match.")
            if initializer is None:
                initializer = self._initializer
            if constraint is None:
                constraint = self._constraint
            if dtype is None:
                dtype = self._dtype
            return var_store.get_variable(
                full_name, shape=shape, dtype=dtype, initializer=initializer,
                regularizer=regularizer, reuse=reuse, trainable=trainable,
                collections=collections, caching_device=caching_device,
                partitioner=partitioner, validate_shape=validate_shape,
                constraint=constraint, custom_getter=custom_getter)

    def __repr__(self):
        return f"<VariableScope name={self._name!r} reuse={self._reuse!r}>"


class _VariableScopeStore:
    """The current VariableScope of a graph and how often each scope name was opened."""

    def __init__(self):
        self.current_scope = VariableScope(False)
        self.variable_scopes_count = {}

    def open_variable_scope(self, scope_name):
        self.variable_scopes_count[scope_name] = \
            self.variable_scopes_count.get(scope_name, 0) + 1

    def close_variable_subscopes(self, scope_name):
        for k in list(self.variable_scopes_count):
            if scope_name is None or k.startswith(scope_name + "/"):
                self.variable_scopes_count[k] = 0

    def variable_scope_count(self, scope_name):
        return self.variable_scopes_count.get(scope_name, 0)


def _outermost_graph(graph):
    """The graph a function graph (cond/while body) is traced in, outermost: variable
    stores and scopes are shared with it and new variables are created there (TF's
    init_scope lifting)."""
    while getattr(graph, "building_function", False) and \
            getattr(graph, "outer_graph", None) is not None:
        graph = graph.outer_graph
    return graph


def _singleton(graph, key, factory):
    ref = _outermost_graph(graph).get_collection_ref(key)
    if not ref:
        ref.append(factory())
    return ref[0]


def _get_default_variable_store():
    return _singleton(graph_mod.get_default_graph(), _VARSTORE_KEY, _VariableStore)


def get_variable_scope_store():
    """The default graph's variable-scope store."""
    return _singleton(graph_mod.get_default_graph(), _VARSCOPESTORE_KEY, _VariableScopeStore)


def get_variable_scope():
    """The current VariableScope of the default graph.

    Example:
        >>> with tf.variable_scope("foo"):
        ...     tf.get_variable_scope().name
        'foo'
    """
    return get_variable_scope_store().current_scope


def _get_unique_variable_scope(prefix):
    store = get_variable_scope_store()
    current = get_variable_scope()
    name = current.name + "/" + prefix if current.name else prefix
    if store.variable_scope_count(name) == 0:
        return prefix
    idx = 1
    while store.variable_scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, caching_device=None, partitioner=None,
                 validate_shape=True, use_resource=None, custom_getter=None, constraint=None,
                 synchronization=None, aggregation=None):
    """Gets an existing variable `<scope>/<name>` or creates one (TF1 semantics).

    Args:
        name: the variable's name inside the current variable scope.
        shape: its shape (omit when `initializer` is a value).
        dtype: its type (default: the scope's, float32).
        initializer: an initializer (called with shape and dtype), a class of one, or a
            Tensor/value (then `shape` must be None). Default: the scope's, else Glorot
            uniform for floats and zeros for integers.
        regularizer: `fn(variable) -> loss tensor`, added to REGULARIZATION_LOSSES.
        trainable: add to TRAINABLE_VARIABLES (default True).
        collections: collections to add a new variable to (default GLOBAL_VARIABLES).
        caching_device: device of the read snapshot.
        partitioner: `fn(shape=TensorShape, dtype=DType) -> shards per axis` (e.g.
            `tf.fixed_size_partitioner(3)`): the variable is then a PartitionedVariable of
            shards "<name>/part_<i>" (see `flowexec.partitioned_variables`).
        validate_shape: as in `tf.Variable`.
        use_resource, synchronization, aggregation: accepted for TF compatibility.
        custom_getter: `fn(getter, name, *args, **kwargs)` wrapping the creation.
        constraint: stored on the variable.

    Returns:
        The Variable (a PartitionedVariable with a partitioner).

    Raises:
        ValueError: creating an existing variable without reuse, reusing one that does not
            exist, or sharing one with another shape or dtype.

    Example:
        >>> with tf.variable_scope("layer"):
        ...     w = tf.get_variable("w", [3, 2])
        >>> with tf.variable_scope("layer", reuse=True):
        ...     tf.get_variable("w") is w
        True
    """
    return get_variable_scope().get_variable(
        _get_default_variable_store(), name, shape=shape, dtype=dtype,
        initializer=initializer, regularizer=regularizer, trainable=trainable,
        collections=collections, caching_device=caching_device, partitioner=partitioner,
        validate_shape=validate_shape, use_resource=use_resource, custom_getter=custom_getter,
        constraint=constraint)


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                       trainable=False, collections=None, caching_device=None,
                       partitioner=None, validate_shape=True, use_resource=None,
                       custom_getter=None, constraint=None, synchronization=None,
                       aggregation=None):
    """`get_variable` for a local variable: in LOCAL_VARIABLES, not trainable by default."""
    collections = list(collections or []) + [GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=trainable, collections=collections,
                        caching_device=caching_device, partitioner=partitioner,
                        validate_shape=validate_shape, use_resource=use_resource,
                        custom_getter=custom_getter, constraint=constraint)


def no_regularizer(_):
    """Use as `regularizer=tf.no_regularizer` to turn a scope's regularizer off."""


class _PureVariableScope:
    """Switches the current VariableScope (no name scope): the core of `variable_scope`."""

    def __init__(self, name_or_scope, reuse=None, initializer=None, regularizer=None,
                 caching_device=None, partitioner=None, custom_getter=None,
                 old_name_scope=None, dtype=dtypes.float32, use_resource=None,
                 constraint=None):
        self._name_or_scope = name_or_scope
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._old_name_scope = old_name_scope
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        self._store = get_variable_scope_store()
        self._old = None
        self._old_subscopes = None
        self._new_name = None

    def __enter__(self):
        store = self._store
        self._old = store.current_scope
        if isinstance(self._name_or_scope, VariableScope):
            src = self._name_or_scope
            self._new_name = src.name
            scope = VariableScope(
                src.reuse if not self._reuse else self._reuse, name=src.name,
                initializer=src.initializer, regularizer=src.regularizer,
                caching_device=src.caching_device, partitioner=src.partitioner,
                custom_getter=src.custom_getter, name_scope=src.original_name_scope,
                dtype=src.dtype, use_resource=src.use_resource, constraint=src.constraint)
            store.open_variable_scope(self._new_name)
            self._old_subscopes = dict(store.variable_scopes_count)
        else:
            old = self._old
            self._new_name = (old.name + "/" + self._name_or_scope if old.name
                              else self._name_or_scope)
            reuse = self._reuse or old.reuse
            name_scope = (self._name_or_scope if self._old_name_scope is None
                          else self._old_name_scope)
            scope = VariableScope(
                reuse, name=self._new_name, initializer=old.initializer,
                regularizer=old.regularizer, caching_device=old.caching_device,
                partitioner=old.partitioner, custom_getter=old.custom_getter,
                name_scope=name_scope, dtype=old.dtype, use_resource=old.use_resource,
                constraint=old.constraint)
            store.open_variable_scope(self._new_name)
        if self._initializer is not None:
            scope.set_initializer(self._initializer)
        if self._regularizer is not None:
            scope.set_regularizer(self._regularizer)
        if self._caching_device is not None:
            scope.set_caching_device(self._caching_device)
        if self._partitioner is not None:
            scope.set_partitioner(self._partitioner)
        if self._custom_getter is not None:
            scope.set_custom_getter(_maybe_wrap_custom_getter(self._custom_getter,
                                                              scope.custom_getter))
        if self._dtype is not None:
            scope.set_dtype(self._dtype)
        if self._use_resource is not None:
            scope.set_use_resource(self._use_resource)
        if self._constraint is not None:
            scope._constraint = self._constraint
        store.current_scope = scope
        return scope

    def __exit__(self, *exc):
        store = self._store
        if isinstance(self._name_or_scope, VariableScope):
            store.variable_scopes_count = self._old_subscopes
        else:
            store.close_variable_subscopes(self._new_name)
        store.current_scope = self._old
        return False


def _maybe_wrap_custom_getter(custom_getter, old_getter):
    """Nests a scope's custom getter inside the enclosing scope's one, as TF does."""
    if old_getter is None:
        return custom_getter

    def wrapped(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)
    return wrapped


class variable_scope:
    """A context manager that sets the variable scope (and opens a matching name scope).

    Args:
        name_or_scope: a scope name or a captured VariableScope; None to use
            `default_name`.
        default_name: used (made unique) when `name_or_scope` is None.
        values: tensors whose graph becomes the default graph inside.
        initializer, regularizer, caching_device, custom_getter, dtype, constraint: defaults
            for `get_variable` inside.
        partitioner: the default partitioner of `get_variable` inside.
        reuse: True, AUTO_REUSE, or None/False to inherit the enclosing scope's reuse.
        use_resource: accepted for TF compatibility.
        auxiliary_name_scope: open a name scope too (default True); False keeps the
            current name scope (the root stays the root), so ops keep their names while
            variables go under the scope.

    Raises:
        TypeError: neither `name_or_scope` nor `default_name`, or a bad `name_or_scope`.
        ValueError: `reuse=True` with no `name_or_scope`, or an invalid `reuse`.

    Example:
        >>> with tf.variable_scope("foo"):
        ...     with tf.variable_scope("bar"):
        ...         v = tf.get_variable("v", [1])
        >>> v.name
        'foo/bar/v:0'
    """

    def __init__(self, name_or_scope, default_name=None, values=None, initializer=None,
                 regularizer=None, caching_device=None, partitioner=None, custom_getter=None,
                 reuse=None, dtype=None, use_resource=None, constraint=None,
                 auxiliary_name_scope=True):
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if name_or_scope is not None and not isinstance(name_or_scope, (VariableScope, str)):
            raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
        if reuse is False:  # TF: reuse=False means "inherit"
            reuse = None
        if not (reuse is True or reuse is None or reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError("The auxiliary_name_scope must be `True` or `False`, while get "
                            f"{auxiliary_name_scope}")
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._reuse = reuse
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        self._auxiliary_name_scope = auxiliary_name_scope
        self._stack = None

    def _graph(self):
        for v in self._values or ():
            g = getattr(v, "graph", None)
            if g is not None:
                return g
        return graph_mod.get_default_graph()

    def __enter__(self):
        stack = contextlib.ExitStack()
        try:
            scope = self._enter(stack)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return scope

    def _enter(self, stack):
        graph = self._graph()
        stack.enter_context(graph.as_default())
        # Without an auxiliary name scope, the current name scope is re-entered as it is
        # ("" at the root keeps the root), as TF does.
        if self._auxiliary_name_scope:
            current_name_scope = None
        else:
            ns = graph.get_name_scope()
            current_name_scope = ns + "/" if ns else ""
        common = {"reuse": self._reuse, "initializer": self._initializer,
                      "regularizer": self._regularizer, "caching_device": self._caching_device,
                      "partitioner": self._partitioner, "custom_getter": self._custom_getter,
                      "dtype": self._dtype, "use_resource": self._use_resource,
                      "constraint": self._constraint}
        if self._name_or_scope is not None:
            if isinstance(self._name_or_scope, str):
                name_scope = self._name_or_scope
            else:
                name_scope = self._name_or_scope.name.split("/")[-1]
            if name_scope or current_name_scope is not None:
                entered = stack.enter_context(graph.name_scope(
                    name_scope if current_name_scope is None else current_name_scope))
                if isinstance(self._name_or_scope, str):
                    old_name_scope = entered
                else:
                    old_name_scope = self._name_or_scope.original_name_scope
                return stack.enter_context(_PureVariableScope(
                    self._name_or_scope, old_name_scope=old_name_scope, **common))
            return stack.enter_context(_PureVariableScope(self._name_or_scope, **common))
        if self._reuse:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        entered = stack.enter_context(graph.name_scope(
            self._default_name if current_name_scope is None else current_name_scope))
        unique_default_name = _get_unique_variable_scope(self._default_name)
        return stack.enter_context(_PureVariableScope(
            unique_default_name, old_name_scope=entered, **common))

    def __exit__(self, *exc):
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc)


def variable_op_scope(values, name_or_scope, default_name=None, initializer=None,
                      regularizer=None, caching_device=None, partitioner=None,
                      custom_getter=None, reuse=None, dtype=None, use_resource=None,
                      constraint=None):
    """Deprecated: `variable_scope(name_or_scope, default_name, values=values, ...)`."""
    return variable_scope(name_or_scope, default_name=default_name, values=values,
                          initializer=initializer, regularizer=regularizer,
                          caching_device=caching_device, partitioner=partitioner,
                          custom_getter=custom_getter, reuse=reuse, dtype=dtype,
                          use_resource=use_resource, constraint=constraint)


__all__ = [
    "AUTO_REUSE",
    "VariableScope",
    "get_local_variable",
    "get_variable",
    "get_variable_scope",
    "no_regularizer",
    "variable_op_scope",
    "variable_scope",
]
