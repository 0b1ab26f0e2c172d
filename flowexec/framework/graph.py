"""The Graph: operations, names, scopes, collections, and the per-thread default graph.

State:
- per Graph, shared by all threads: the ops (creation order), names in use, collections,
  `finalized`, the gradient override map;
- per Graph and per thread (`Graph._scope`): the name scope, the device stack, the control
  dependency controllers and the colocation stack, as in TF 1.15 (`_thread_local`);
- per thread: the stack of `as_default()` graphs and, beneath it, that thread's own global
  default graph. As in TF1 a new thread does *not* see the main thread's default graph: it
  gets a fresh one, and must say `with g.as_default():` to build into `g`.

Graph construction is not thread-safe (as in TensorFlow): build a graph from one thread, then
run it from many; lookups (`as_graph_element`, `get_operations`, collections) may be called
concurrently.
"""

import contextlib
import re
import threading

from flowexec.framework import tensor_shape

# TF's node-name rules (core/framework/node_def_util.cc): a name at the root must start with
# a letter, digit or '.'; a nested scope may also start with '_', '-', '/' or '>'.
_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\-/>]*$")


class GraphKeys:
    """Standard collection names, as in `tf.GraphKeys`."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    VARIABLES = GLOBAL_VARIABLES
    _VARIABLE_COLLECTIONS = (GLOBAL_VARIABLES, LOCAL_VARIABLES, METRIC_VARIABLES,
                             MODEL_VARIABLES, TRAINABLE_VARIABLES, MOVING_AVERAGE_VARIABLES,
                             CONCATENATED_VARIABLES, TRAINABLE_RESOURCE_VARIABLES)


class _ScopeState(threading.local):
    """One thread's scopes in one graph."""

    def __init__(self):
        self.name_stack = ""
        self.device_stack = []          # device strings / DeviceSpecs / functions / None
        self.control_stack = []         # _ControlController, outermost first
        self.colocation_stack = []      # Operations, outermost first


class _ControlController:
    """One `control_dependencies([...])` block: its ops and the ops created inside it."""

    __slots__ = ("control_inputs", "seen")

    def __init__(self, control_inputs):
        self.control_inputs = control_inputs
        self.seen = set()


class Graph:
    """A dataflow graph: `Operation` nodes connected by `Tensor` edges.

    Example:
        >>> g = Graph()
        >>> with g.as_default():
        ...     c = flowexec.constant(1.0)
        >>> c.graph is g
        True
    """

    def __init__(self):
        self._ops_by_name = {}
        self._ops = []
        self._names_in_use = {}
        self._collections = {}
        self._finalized = False
        self._scope = _ScopeState()
        self._lock = threading.RLock()
        self._seed = None
        self._version = 0
        self._control_version = 0  # bumped when a built op changes (control input, set_shape)
        self._building_function = False
        self._gradient_override_map = {}
        self._container = ""
        self._has_containers = False   # an op has a resource container (resources.py)
        self._unfeedable_tensors = set()
        self._unfetchable_ops = set()
        self._op_seed_counter = 0

    # ----- ops -----------------------------------------------------------------------------
    def _add_op(self, op):
        self._check_not_finalized()
        with self._lock:
            if op.name in self._ops_by_name:
                raise ValueError(f"Duplicate node name in graph: '{op.name}'")
            self._ops_by_name[op.name] = op
            op._id = len(self._ops)
            self._ops.append(op)
            self._version += 1

    def get_operations(self):
        """All operations, in creation order (a new list)."""
        return list(self._ops)

    def as_graph_def(self, from_version=None, add_shapes=False):
        """The graph as TensorFlow's `GraphDef` protocol buffer (flowexec.graph_io.export).

        Args:
            from_version: only ops added after `version` had this value.
            add_shapes: give each node an `_output_shapes` attribute.

        Raises:
            ValueError: an op has no TensorFlow form (a flowexec-only op, named).
            ImportError: the tensorboard package is missing (pip install flowexec[graph]).
        """
        return _GRAPH_DEF_EXPORTER[0](self, from_version=from_version, add_shapes=add_shapes)

    @property
    def version(self):
        """A number that grows as ops are added (the number of ops)."""
        return self._version

    @property
    def _last_id(self):
        return len(self._ops)

    @property
    def seed(self):
        """The graph-level random seed (`tf.set_random_seed`)."""
        return self._seed

    @seed.setter
    def seed(self, seed):
        self._seed = seed

    @property
    def building_function(self):
        return self._building_function

    @property
    def collections(self):
        """The names of the collections in this graph."""
        return list(self._collections)

    def get_operation_by_name(self, name):
        """The Operation called `name`.

        Raises:
            TypeError: `name` is not a string.
            KeyError, ValueError: as `as_graph_element`.
        """
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name):
        """The Tensor called `name` ("<op_name>:<output_index>").

        Raises:
            TypeError: `name` is not a string.
            KeyError, ValueError: as `as_graph_element`.
        """
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolves a Tensor, Operation, or name (`"op"`, `"op:0"`) to an element of this graph.

        Objects with an `_as_graph_element()` method (Variables) are resolved through it.

        Raises:
            ValueError: the element belongs to another graph, a name has the wrong form, or
                names an element of a disallowed kind.
            KeyError: the name names nothing in this graph.
            TypeError: the object cannot be a graph element.
        """
        from flowexec.framework.operation import Operation
        from flowexec.framework.tensor import Tensor

        if allow_tensor and allow_operation:
            types_str = "Tensor or Operation"
        elif allow_tensor:
            types_str = "Tensor"
        elif allow_operation:
            types_str = "Operation"
        else:
            raise ValueError("allow_tensor and allow_operation can't both be False.")
        conv = getattr(obj, "_as_graph_element", None)
        if callable(conv):
            converted = conv()
            if converted is not None:
                obj = converted
        if isinstance(obj, bytes):
            obj = obj.decode("utf-8")
        if isinstance(obj, str):
            return self._element_by_name(obj, allow_tensor, allow_operation, types_str)
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types_str}.")

    def _element_by_name(self, name, allow_tensor, allow_operation, types_str):
        if ":" in name and allow_tensor:
            try:
                op_name, out_n = name.split(":")
                out_n = int(out_n)
            except ValueError:
                raise ValueError(
                    f"The name {name!r} looks a like a Tensor name, but is not a valid one. "
                    'Tensor names must be of the form "<op_name>:<output_index>".') from None
            op = self._ops_by_name.get(op_name)
            if op is None:
                raise KeyError(f"The name {name!r} refers to a Tensor which does not exist. "
                               f"The operation, {op_name!r}, does not exist in the graph.")
            try:
                return op._outputs[out_n]
            except IndexError:
                raise KeyError(f"The name {name!r} refers to a Tensor which does not exist. "
                               f"The operation, {op_name!r}, exists but only has "
                               f"{len(op._outputs)} outputs.") from None
        if ":" in name:
            raise ValueError(f"Name {name!r} appears to refer to a Tensor, not a {types_str}.")
        if allow_operation:
            op = self._ops_by_name.get(name)
            if op is None:
                raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
            return op
        if name in self._ops_by_name:
            msg = f"The name {name!r} refers to an Operation, not a {types_str}."
        else:
            msg = f"The name {name!r} looks like an (invalid) Operation name, not a {types_str}."
        raise ValueError(msg + ' Tensor names must be of the form "<op_name>:<output_index>".')

    # ----- finalize, feeding, fetching -----------------------------------------------------
    def finalize(self):
        """Makes the graph read-only: adding an op afterwards raises RuntimeError."""
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    def _unsafe_unfinalize(self):
        self._finalized = False

    def _check_not_finalized(self):
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

    def prevent_feeding(self, tensor):
        """Marks `tensor` as unfeedable."""
        self._unfeedable_tensors.add(tensor)

    def is_feedable(self, tensor):
        return tensor not in self._unfeedable_tensors

    def prevent_fetching(self, op):
        """Marks `op` as unfetchable."""
        self._unfetchable_ops.add(op)

    def is_fetchable(self, tensor_or_op):
        op = getattr(tensor_or_op, "op", tensor_or_op)
        return op not in self._unfetchable_ops

    # ----- names ---------------------------------------------------------------------------
    def get_name_scope(self):
        """The current name scope, e.g. "outer/inner" ("" at the root)."""
        return self._scope.name_stack

    def unique_name(self, name, mark_as_used=True):
        """Returns `name` (inside the current name scope) made unique in this graph.

        TensorFlow's rule: names are compared case-insensitively; the second "foo" is
        "foo_1", then "foo_2", skipping any suffix that is already taken. With
        `mark_as_used=False` the name is only predicted, not reserved.
        """
        if self._scope.name_stack:
            name = self._scope.name_stack + "/" + name
        name_key = name.lower()
        i = self._names_in_use.get(name_key, 0)
        if mark_as_used:
            self._names_in_use[name_key] = i + 1
        if i > 0:
            base_name_key = name_key
            while name_key in self._names_in_use:
                name_key = f"{base_name_key}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[name_key] = 1
            name = f"{name}_{i - 1}"
        return name

    def _check_scope_name(self, name):
        pattern = _VALID_SCOPE_NAME if self._scope.name_stack else _VALID_OP_NAME
        if not pattern.match(name):
            raise ValueError(f"'{name}' is not a valid scope name")

    @contextlib.contextmanager
    def name_scope(self, name):
        """Opens a name scope; yields the scope's prefix ending in "/" (or "" at the root).

        `None` or "" resets to the root; a name ending in "/" (a scope captured earlier)
        re-enters that exact scope; any other name is made unique inside the current scope.

        Raises:
            ValueError: `name` is not a valid scope name ("'a b' is not a valid scope name").
        """
        if name:
            self._check_scope_name(name)
        old = self._scope.name_stack
        if not name:
            new_stack = ""
        elif name[-1] == "/":
            new_stack = name[:-1]
        else:
            new_stack = self.unique_name(name)
        self._scope.name_stack = new_stack
        try:
            yield new_stack + "/" if new_stack else ""
        finally:
            self._scope.name_stack = old

    # ----- collections ---------------------------------------------------------------------
    def add_to_collection(self, name, value):
        """Appends `value` to collection `name` (collections are lists, not sets)."""
        self._check_not_finalized()
        with self._lock:
            self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        """Adds `value` to each collection of `names` (a string is one name) once."""
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name):
        """The collection's list itself (created empty if missing): edits are live."""
        with self._lock:
            return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None):
        """A copy of the collection's list, optionally filtered.

        Args:
            name: the collection key.
            scope: a regex; only items with a `name` that `re.match`es it are returned
                (so a plain scope name filters by prefix).
        """
        with self._lock:
            items = self._collections.get(name)
            if items is None:
                return []
            if scope is None:
                return list(items)
            pattern = re.compile(scope)
            return [i for i in items if hasattr(i, "name") and pattern.match(i.name)]

    def get_all_collection_keys(self):
        """The string keys of all collections."""
        with self._lock:
            return [k for k in self._collections if isinstance(k, str)]

    def clear_collection(self, name):
        self._check_not_finalized()
        with self._lock:
            self._collections.pop(name, None)

    # ----- control dependencies ------------------------------------------------------------
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created inside run only after all of `control_inputs` (ops or tensors).

        Blocks nest (the union applies); `None` clears the enclosing blocks. An op whose data
        input was itself created inside a block does not repeat that block's dependencies,
        and an op never gets a control input that is already one of its data inputs.

        Raises:
            TypeError: an element is not an Operation or Tensor.
            ValueError: an element belongs to another graph.
        """
        from flowexec.framework.tensor import Tensor

        state = self._scope
        if control_inputs is None:
            old_stack = state.control_stack
            state.control_stack = []
            controller = _ControlController([])
        else:
            current = self._current_control_dependencies()
            ops = []
            for c in control_inputs:
                el = self.as_graph_element(c)
                op = el.op if isinstance(el, Tensor) else el
                if op not in current:
                    ops.append(op)
                    current.add(op)
            controller = _ControlController(ops)
        state.control_stack.append(controller)
        try:
            yield
        finally:
            if state.control_stack and state.control_stack[-1] is controller:
                state.control_stack.pop()
            elif controller in state.control_stack:
                state.control_stack.remove(controller)
            if control_inputs is None:
                state.control_stack = old_stack

    def _current_control_dependencies(self):
        return {op for c in self._scope.control_stack for op in c.control_inputs}

    def _control_dependencies_for_inputs(self, input_ops):
        """Control inputs for a new op with data inputs from `input_ops`."""
        out = []
        for controller in self._scope.control_stack:
            if any(op in controller.seen for op in input_ops):
                continue  # dominated: an input already waits for this block
            out.extend(c for c in controller.control_inputs
                       if c not in input_ops and c not in out)
        return out

    def _record_op_seen_by_control_dependencies(self, op):
        for controller in self._scope.control_stack:
            controller.seen.add(op)

    # ----- devices -------------------------------------------------------------------------
    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Ops created inside are placed on a device.

        Args:
            device_name_or_function: a device string or `DeviceSpec` (merged with enclosing
                scopes, inner fields winning; "" changes nothing), `None` (ignores enclosing
                scopes), or a function from Operation to device string, which decides the
                device outright.
        """
        if isinstance(device_name_or_function, str) and device_name_or_function:
            from devices.spec import DeviceSpec

            device_name_or_function = DeviceSpec.from_string(device_name_or_function)
        stack = self._scope.device_stack
        stack.append(device_name_or_function)
        try:
            yield
        finally:
            stack.pop()

    def _apply_device_functions(self, op):
        """Sets op's device from the device stack, innermost entry first (as TF does)."""
        from devices.spec import DeviceSpec

        for entry in reversed(self._scope.device_stack):
            if entry is None:
                break
            if isinstance(entry, DeviceSpec):
                if entry.to_string():  # an empty spec changes nothing
                    merged = entry.make_merged_spec(DeviceSpec.from_string(op.device))
                    op._set_device(merged.to_string())
            elif callable(entry):
                op._set_device(entry(op))
            # "" is a no-op scope.

    # ----- colocation ----------------------------------------------------------------------
    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        """Ops created inside share a device with `op` (an Operation, Tensor or Variable).

        Device scopes are suspended inside (colocation wins); the new ops take `op`'s device
        and its colocation groups. `ignore_existing=True` drops enclosing colocation scopes;
        `op=None` (only with `ignore_existing=True`) clears colocation and devices.

        Raises:
            ValueError: `op` is None but `ignore_existing` is not True.
        """
        if op is None and not ignore_existing:
            raise ValueError("Trying to reset colocation (op is None) but ignore_existing is "
                             "not True")
        op = _op_to_colocate_with(op)
        state = self._scope
        old_devices, old_colocation = state.device_stack, state.colocation_stack
        state.device_stack = []
        new_colocation = [] if ignore_existing else list(old_colocation)
        if op is not None:
            new_colocation.append(op)
        state.colocation_stack = new_colocation
        try:
            yield
        finally:
            state.device_stack, state.colocation_stack = old_devices, old_colocation

    def _apply_colocation(self, op):
        stack = self._scope.colocation_stack
        if not stack:
            return
        names = set()
        device_set = False
        for c in reversed(stack):
            names.update(g[len("loc:@"):] for g in c.colocation_groups)
            if c.device and not device_set:
                op._set_device(c.device)
                device_set = True
        op._colocation = tuple(sorted(names))

    # ----- misc scopes ---------------------------------------------------------------------
    @contextlib.contextmanager
    def container(self, container_name):
        """Stateful ops created inside use resource container `container_name`."""
        old = self._container
        self._container = container_name
        try:
            yield container_name
        finally:
            self._container = old

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        """Ops of type K created inside take their gradient from op type op_type_map[K].

        Raises:
            TypeError: `op_type_map` is not a dict of strings to strings.
        """
        if not isinstance(op_type_map, dict):
            raise TypeError("op_type_map must be a dictionary mapping strings to strings")
        saved = {}
        for op_type, mapped in op_type_map.items():
            if not (isinstance(op_type, str) and isinstance(mapped, str)):
                raise TypeError("op_type_map must be a dictionary mapping strings to strings")
            if op_type in self._gradient_override_map:
                saved[op_type] = self._gradient_override_map[op_type]
            self._gradient_override_map[op_type] = mapped
        try:
            yield
        finally:
            for op_type in op_type_map:
                if op_type in saved:
                    self._gradient_override_map[op_type] = saved[op_type]
                else:
                    self._gradient_override_map.pop(op_type, None)

    # ----- seeds & default -----------------------------------------------------------------
    def _next_op_seed(self):
        with self._lock:
            self._op_seed_counter += 1
            return self._op_seed_counter

    def as_default(self):
        """Context manager making this graph the calling thread's default graph.

        Example:
            >>> with Graph().as_default() as g:
            ...     c = flowexec.constant(5.0)
            >>> c.graph is g
            True
        """
        return _default_graph_stack.get_controller(self)

    def __repr__(self):
        return f"<flowexec.framework.graph.Graph object at {id(self):#x}>"


# flowexec.graph_io sets the exporter when flowexec is imported (the framework imports no
# layer above it).
_GRAPH_DEF_EXPORTER = [None]


def _set_graph_def_exporter(fn):
    _GRAPH_DEF_EXPORTER[0] = fn


def _op_to_colocate_with(v):
    """The Operation `v` stands for in a colocation constraint (a Variable: its own op)."""
    from flowexec.framework.operation import Operation

    if v is None or isinstance(v, Operation):
        return v
    from flowexec.framework.convert import internal_convert_to_tensor

    return internal_convert_to_tensor(v, as_ref=True).op


class _DefaultGraphStack(threading.local):
    """One thread's stack of `as_default()` graphs, above that thread's global default."""

    def __init__(self):
        self.stack = []
        self.global_default = None

    def get_default(self):
        if self.stack:
            return self.stack[-1]
        if self.global_default is None:
            self.global_default = Graph()
        return self.global_default

    @contextlib.contextmanager
    def get_controller(self, graph):
        self.stack.append(graph)
        try:
            yield graph
        finally:
            if self.stack:
                if self.stack[-1] is not graph:
                    raise AssertionError(
                        f"Nesting violated for default stack of {type(graph)} objects")
                self.stack.pop()


_default_graph_stack = _DefaultGraphStack()


def get_default_graph():
    """The calling thread's default graph: its innermost `as_default()` graph, else its
    global default graph (created on first use; each thread has its own)."""
    return _default_graph_stack.get_default()


def reset_default_graph():
    """Clears the calling thread's default graph stack and makes a new global default graph.

    Raises:
        AssertionError: when called inside a `with graph.as_default():` block.
    """
    if _default_graph_stack.stack:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If "
                             "you need a cleared graph, exit the nesting and create a new graph.")
    _default_graph_stack.global_default = None


def _get_graph_from_inputs(values):
    """The graph of the graph elements among `values` (checked to be one), else the default."""
    from flowexec.framework.operation import Operation
    from flowexec.framework.tensor import Tensor

    default = get_default_graph()
    if default.building_function:
        return default  # a function graph captures outer values (framework/function.py)
    graph = None
    first = None
    for v in values:
        if isinstance(v, (Tensor, Operation)):
            el = v
        else:
            conv = getattr(v, "_as_graph_element", None)
            el = conv() if callable(conv) else None
        if el is None:
            continue
        if graph is None:
            graph, first = el.graph, el
        elif el.graph is not graph:
            raise ValueError(f"{el} must be from the same graph as {first}.")
    return graph or get_default_graph()


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """`tf.name_scope(name, default_name=None, values=None)`.

    Opens `name` (or `default_name` when `name` is None, made unique) in the graph of
    `values`, which becomes the default graph inside; yields the scope ending in "/".

    Raises:
        ValueError: both names are None but `values` is given; `values` span graphs; an
            invalid scope name.

    Example:
        >>> with name_scope("layer") as scope:
        ...     w = flowexec.constant(1.0, name="w")
        >>> w.op.name, scope
        ('layer/w', 'layer/')
    """
    n = default_name if name is None else name
    if n is None and values is not None:
        raise ValueError(f"At least one of name ({name}) and default_name ({default_name}) "
                         "must be provided.")
    graph = _get_graph_from_inputs(values or [])
    with graph.as_default(), graph.name_scope(n) as scope:
        yield scope


def device(device_name_or_function):
    """`tf.device`: a device scope on the default graph (see `Graph.device`)."""
    return get_default_graph().device(device_name_or_function)


def control_dependencies(control_inputs):
    """`tf.control_dependencies` on the default graph (see `Graph.control_dependencies`)."""
    return get_default_graph().control_dependencies(control_inputs)


def colocate_with(op, ignore_existing=False):
    """`tf.colocate_with` on the default graph (see `Graph.colocate_with`)."""
    return get_default_graph().colocate_with(op, ignore_existing)


def container(container_name):
    """`tf.container` on the default graph."""
    return get_default_graph().container(container_name)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def get_name_scope():
    return get_default_graph().get_name_scope()


def unknown_shape():
    return tensor_shape.unknown_shape()
