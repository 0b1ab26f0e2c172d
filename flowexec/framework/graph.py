"""The Graph: operations, names, scopes, collections, and the thread-local default-graph stack.

Graph construction is not thread-safe (as in TensorFlow): build a graph from one thread, then
run it from many. Scope stacks (name, device, control dependencies, colocation) are per
thread, so a thread that builds ops in a graph sees only its own scopes.
"""

import contextlib
import re
import threading

from flowexec.framework import tensor_shape

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


class GraphKeys:
    """Standard collection names, as in `tf.GraphKeys`."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
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
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    VARIABLES = GLOBAL_VARIABLES


class _ScopeState(threading.local):
    def __init__(self):
        self.name_stack = ""
        self.device_stack = []          # device strings / functions, innermost last
        self.control_stack = []         # list of _ControlFrame
        self.colocation_stack = []      # Operations
        self.op_seed = None


class _ControlFrame:
    __slots__ = ("ops", "clear")

    def __init__(self, ops, clear):
        self.ops = ops
        self.clear = clear


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
        self.seed = None
        self._version = 0
        self._control_version = 0  # bumped when an existing op gains a control input
        self._building_function = False
        self._gradient_override_map = {}

    # ----- ops -----------------------------------------------------------------------------
    def _add_op(self, op):
        self._check_not_finalized()
        if op.name in self._ops_by_name:
            raise ValueError(f"Duplicate node name in graph: '{op.name}'")
        self._ops_by_name[op.name] = op
        op._id = len(self._ops)
        self._ops.append(op)
        self._version += 1

    def get_operations(self):
        """All operations, in creation order."""
        return list(self._ops)

    @property
    def version(self):
        return self._version

    def get_operation_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolves a Tensor, Operation, or name (`"op"`, `"op:0"`) to an element of this graph.

        Raises:
            ValueError: the element belongs to another graph, or is of a disallowed kind.
            KeyError: the name names nothing in this graph.
            TypeError: the object cannot be a graph element.
        """
        from flowexec.framework.operation import Operation
        from flowexec.framework.tensor import Tensor

        if allow_tensor and allow_operation:
            types_str = "Tensor or Operation"
        elif allow_tensor:
            types_str = "Tensor"
        else:
            types_str = "Operation"
        if hasattr(obj, "_as_graph_element") and not isinstance(obj, (Tensor, Operation)):
            obj = obj._as_graph_element()
        if isinstance(obj, str):
            name = obj
            if ":" in name and allow_tensor:
                op_name, _, idx = name.rpartition(":")
                try:
                    index = int(idx)
                except ValueError:
                    raise ValueError(
                        f"The name {name!r} looks a like a Tensor name, but is not a valid "
                        "one. Tensor names must be of the form \"<op_name>:<output_index>\".")
                if op_name not in self._ops_by_name:
                    raise KeyError(
                        f"The name {name!r} refers to a Tensor which does not exist. The "
                        f"operation, {op_name!r}, does not exist in the graph.")
                op = self._ops_by_name[op_name]
                if index >= len(op.outputs) or index < 0:
                    raise KeyError(
                        f"The name {name!r} refers to a Tensor which does not exist. The "
                        f"operation, {op_name!r}, exists but only has {len(op.outputs)} "
                        "outputs.")
                return op.outputs[index]
            if ":" in name and not allow_tensor:
                raise ValueError(f"Name {name!r} appears to refer to a Tensor, not a {types_str}.")
            if name not in self._ops_by_name:
                raise KeyError(
                    f"The name {name!r} refers to an Operation not in the graph.")
            if not allow_operation:
                raise ValueError(
                    f"The name {name!r} refers to an Operation, not a {types_str}. Tensor names "
                    "must be of the form \"<op_name>:<output_index>\".")
            return self._ops_by_name[name]
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types_str}.")

    # ----- finalize ------------------------------------------------------------------------
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

    # ----- names ---------------------------------------------------------------------------
    def get_name_scope(self):
        return self._scope.name_stack

    def unique_name(self, name, mark_as_used=True):
        """Returns `name` (inside the current name scope) made unique in this graph.

        TensorFlow's rule: names are compared case-insensitively; the second "foo" is
        "foo_1", then "foo_2", skipping any suffix that is already taken.
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

    @contextlib.contextmanager
    def name_scope(self, name):
        """Opens a name scope; yields the scope's prefix ending in "/" (or "" at the root).

        `None` or "" resets to the root; a name ending in "/" re-enters that exact scope;
        any other name is made unique inside the current scope.
        """
        old = self._scope.name_stack
        if not name:
            new_stack = ""
            prefix = ""
        elif name[-1] == "/":
            if not _VALID_SCOPE_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
            new_stack = name[:-1]
            prefix = name
        else:
            if not (_VALID_SCOPE_NAME.match(name) if old else _VALID_OP_NAME.match(name)):
                raise ValueError(f"'{name}' is not a valid scope name")
            new_stack = self.unique_name(name)
            prefix = new_stack + "/"
        self._scope.name_stack = new_stack
        try:
            yield prefix
        finally:
            self._scope.name_stack = old

    # ----- collections ---------------------------------------------------------------------
    def add_to_collection(self, name, value):
        self._check_not_finalized()
        with self._lock:
            self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name):
        with self._lock:
            return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None):
        """A copy of the collection's list, filtered by `scope` (a regex on `.name`)."""
        with self._lock:
            items = list(self._collections.get(name, ()))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [i for i in items if getattr(i, "name", None) is not None and pattern.match(i.name)]

    def get_all_collection_keys(self):
        with self._lock:
            return [k for k, v in self._collections.items() if isinstance(k, str)]

    def clear_collection(self, name):
        self._check_not_finalized()
        with self._lock:
            self._collections.pop(name, None)

    # ----- control dependencies ------------------------------------------------------------
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created inside run only after all of `control_inputs` (ops or tensors).

        `None` clears the dependencies of enclosing scopes, as in TensorFlow.
        """
        if control_inputs is None:
            frame = _ControlFrame([], clear=True)
        else:
            ops = []
            for c in control_inputs:
                if hasattr(c, "_as_graph_element") and not hasattr(c, "op"):
                    c = c._as_graph_element()
                el = self.as_graph_element(c)
                op = el.op if hasattr(el, "value_index") else el
                ops.append(op)
            frame = _ControlFrame(ops, clear=False)
        self._scope.control_stack.append(frame)
        try:
            yield
        finally:
            self._scope.control_stack.pop()

    def _current_control_dependencies(self, input_ops):
        """Control inputs for a new op, minus those its data inputs already imply."""
        ops = []
        for frame in reversed(self._scope.control_stack):
            ops = frame.ops + ops
            if frame.clear:
                break
        seen = set()
        out = []
        for op in ops:
            if id(op) in seen or any(op is i for i in input_ops):
                continue
            seen.add(id(op))
            out.append(op)
        return out

    # ----- devices -------------------------------------------------------------------------
    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Ops created inside are placed on a device.

        Args:
            device_name_or_function: a device string (merged with enclosing scopes, inner
                fields winning), `None` (clears enclosing device scopes), or a function from
                Operation to device string.
        """
        stack = self._scope.device_stack
        stack.append(device_name_or_function)
        try:
            yield
        finally:
            stack.pop()

    def _device_for(self, op):
        from devices.spec import DeviceSpec

        spec = None
        for entry in self._scope.device_stack:
            if entry is None:
                spec = None
                continue
            if callable(entry):
                entry = entry(op)
                if entry is None:
                    continue
            if isinstance(entry, DeviceSpec):
                new = entry
            else:
                new = DeviceSpec.from_string(str(entry))
            spec = new if spec is None else spec.make_merged_spec(new)
        return "" if spec is None else spec.to_string()

    # ----- colocation ----------------------------------------------------------------------
    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        """Ops created inside are placed on the same device as `op` (an op or tensor)."""
        if op is None:
            old = self._scope.colocation_stack
            self._scope.colocation_stack = []
            try:
                yield
            finally:
                self._scope.colocation_stack = old
            return
        if hasattr(op, "_as_graph_element") and not hasattr(op, "op"):
            op = op._as_graph_element()
        if hasattr(op, "value_index"):
            op = op.op
        old = self._scope.colocation_stack
        self._scope.colocation_stack = [op] if ignore_existing else old + [op]
        try:
            yield
        finally:
            self._scope.colocation_stack = old

    # ----- seeds & default -----------------------------------------------------------------
    def _next_op_seed(self):
        with self._lock:
            self._op_seed_counter = getattr(self, "_op_seed_counter", 0) + 1
            return self._op_seed_counter

    def as_default(self):
        """Context manager making this graph the thread's default graph."""
        return _default_graph_stack.get_controller(self)

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        """Inside, gradients of ops of type K use the gradient registered for op_type_map[K]."""
        old = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = old

    def __repr__(self):
        return f"<flowexec.framework.graph.Graph object at {id(self):#x}>"


class _DefaultGraphStack(threading.local):
    """A per-thread stack of default graphs; the global default graph sits beneath all."""

    def __init__(self):
        self.stack = []

    @contextlib.contextmanager
    def get_controller(self, graph):
        self.stack.append(graph)
        try:
            yield graph
        finally:
            if not self.stack or self.stack[-1] is not graph:
                raise AssertionError("Nesting violated for default graph stack.")
            self.stack.pop()


_default_graph_stack = _DefaultGraphStack()
_global_default_graph = None
_global_lock = threading.Lock()


def get_default_graph():
    """The innermost `as_default()` graph of this thread, else the process-wide default."""
    stack = _default_graph_stack.stack
    if stack:
        return stack[-1]
    global _global_default_graph
    if _global_default_graph is None:
        with _global_lock:
            if _global_default_graph is None:
                _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph():
    """Clears the default graph and replaces it with a new one.

    Raises:
        AssertionError: when called inside a `with graph.as_default():` block.
    """
    if _default_graph_stack.stack:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If "
                             "you need a cleared graph, exit the nesting and create a new graph.")
    global _global_default_graph
    with _global_lock:
        _global_default_graph = Graph()


def name_scope(name, default_name=None, values=None):
    """`tf.name_scope(name, default_name=None, values=None)` on the graph of `values`."""
    graph = _graph_of(values) if values else get_default_graph()
    n = name if name is not None else default_name
    if n is None and name is None and default_name is None:
        return graph.name_scope(None)
    return graph.name_scope(n)


def _graph_of(values):
    for v in values:
        g = getattr(v, "graph", None)
        if g is not None:
            return g
    return get_default_graph()


def device(device_name_or_function):
    """`tf.device`: a device scope on the default graph."""
    return get_default_graph().device(device_name_or_function)


def control_dependencies(control_inputs):
    """`tf.control_dependencies` on the default graph."""
    return get_default_graph().control_dependencies(control_inputs)


def colocate_with(op, ignore_existing=False):
    """`tf.colocate_with` on the graph of `op`."""
    graph = getattr(op, "graph", None) or get_default_graph()
    return graph.colocate_with(op, ignore_existing)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def unknown_shape():
    return tensor_shape.unknown_shape()
