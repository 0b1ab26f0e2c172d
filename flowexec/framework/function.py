"""Function graphs: a Python function traced once into a graph of its own, run many times.

One mechanism serves every construct whose body is a function of tensors: `tf.data`
functions today (`map`, `filter`, `flat_map`, `interleave`, the predicate of `filter`), and
the functional control-flow ops (`If`/`While` branches and bodies) of the control-flow issue.

Structure. `trace(func, arg_specs, name)` builds a `FuncGraph`: one Placeholder per leaf of
each argument's structure (`TensorSpec` leaves in nested tuples, dicts and namedtuples,
flattened and packed by `flowexec.framework.nest`), calls `func(*args)` with the packed
placeholders while the FuncGraph is the default graph, and converts the result's leaves to
tensors of the FuncGraph. What a caller needs afterwards is data:

    func_graph.inputs               argument placeholders, then capture placeholders
    func_graph.outputs              the flat output tensors
    func_graph.structured_outputs   the result's structure, tensors as leaves
    func_graph.captures             [(outer tensor, inner placeholder)], in capture order

Captures. While a FuncGraph is being built it is the default graph and `building_function`
is true; `apply_op` (and `name_scope(values=...)`) then put every new op into it, and an
input that belongs to another graph is *captured*: the FuncGraph adds a placeholder for it
once and records the pair. A caller runs the function with the captured outer values fed
to those placeholders (a dataset op takes the outer tensors as inputs, so they are read
when the dataset is created; a control-flow op would take them per step). A tensor of a
graph further out is captured by each enclosing FuncGraph in turn. A variable is never
captured by value: its VariableV2 op is *mirrored* (an op of the same name and type in the
FuncGraph), so reads and updates inside the function see and change the session's current
value, as TF's captured resource variables do. Control dependencies on outer ops are kept
in `control_captures` for the caller to order itself after.

Gradient functions. The backward function of an `If` branch or a `While` body is a FuncGraph
whose `forward_graph` is the branch or body it differentiates: gradient ops built in it refer
to the forward graph's tensors, and such a foreign tensor is *resolved* (`resolve_foreign`)
into what stands for it in the backward function: the forward op's captured input for a
capture placeholder, the live variable for a mirrored one, and otherwise a value the forward
op outputs for it (an `If`'s extra output, a `While`'s per-iteration accumulator read at the
backward iteration's index; see ops/control_flow_grad.py). A foreign tensor that a
FuncGraph cannot resolve itself is asked of the graphs enclosing it, so nested backward
functions reach the intermediates of every forward function around them.

Naming. A FuncGraph reserves its name in the outer graph's namespace and opens it as its
root name scope, so the names of its ops ("Dataset_map_fn/add") are unique in the whole
session: per-op kernel state (random generators, Print counters) never collides with an
outer op's. Its op-seed counter is the outer graph's, so seeded random ops inside get fresh,
deterministic seeds, and the graph-level seed is inherited.

Planning once. A FuncGraph is finalized after tracing: it never changes again, so a
runtime plans it once per session and then only executes it (`KernelContext.function`
returns the session's planned callable for a FuncGraph). Tracing is not thread-safe (it is
graph construction); calling a planned function is.
"""

import threading

from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.framework.type_spec import TypeSpec


class TensorSpec(TypeSpec):
    """The dtype and static shape a function argument (or dataset component) has (a
    TypeSpec; `is_compatible_with` ignores the name, equality does not).

    Example:
        >>> TensorSpec([None, 3], float32)
        TensorSpec(shape=(?, 3), dtype=tf.float32, name=None)
    """

    __slots__ = ("_dtype", "_name", "_shape")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = tensor_shape.as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    value_type = property(lambda self: Tensor)

    def _serialize(self):
        return (self._shape, self._dtype, self._name)

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name or tensor.op.name)

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._name

    def is_compatible_with(self, spec_or_tensor):
        return (self._dtype.is_compatible_with(spec_or_tensor.dtype)
                and self._shape.is_compatible_with(spec_or_tensor.shape))

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self._dtype == other._dtype
                and self._shape == other._shape and self._name == other._name)

    def __hash__(self):
        return hash((self._dtype, self._name))

    def __repr__(self):
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"


def _variable_behind(tensor):
    """The VariableV2 op whose value `tensor` is (itself or through Identity reads), or None."""
    op = tensor.op
    while op.type == "Identity":
        op = op.inputs[0].op
    return op if op.type == "VariableV2" else None


class FuncGraph(graph_mod.Graph):
    """The graph of one traced function (see the module docstring).

    Attributes:
        name: the function's name, unique in the outer graph; its ops' root name scope.
        outer_graph: the graph that was the default when the function was traced.
        inputs: argument placeholders followed by capture placeholders.
        outputs: the flat output tensors.
        structured_input_signature: the argument structures (TensorSpec leaves).
        structured_outputs: what the Python function returned, as tensors of this graph.
        captures: [(outer tensor, inner placeholder)].
        control_captures: outer Operations that ops inside asked to run after.
        variables: the outer VariableV2 ops the function mirrors.
        forward_graph: for a gradient function, the FuncGraph it differentiates (else None).
    """

    def __init__(self, name, outer_graph=None, forward_graph=None, resolve_foreign=None):
        super().__init__()
        self.forward_graph = forward_graph
        self._resolve_foreign = resolve_foreign
        self.outer_graph = outer_graph if outer_graph is not None else \
            graph_mod.get_default_graph()
        self.name = self.outer_graph.unique_name(name)
        self._scope.name_stack = self.name
        self._building_function = True
        self.seed = self.outer_graph.seed
        self.inputs = []
        self.outputs = []
        self.structured_input_signature = ()
        self.structured_outputs = None
        self.captures = []
        self.control_captures = []
        self.variables = []
        self._captured = {}
        self._capture_lock = threading.RLock()  # resolving a foreign tensor captures more

    def _next_op_seed(self):
        return self.outer_graph._next_op_seed()

    @property
    def external_captures(self):
        """The captured outer tensors, in the order of `internal_captures`."""
        return [outer for outer, _ in self.captures]

    @property
    def internal_captures(self):
        """The placeholders standing for the captured tensors."""
        return [inner for _, inner in self.captures]

    def capture(self, tensor):
        """The tensor of this graph that stands for `tensor` (captured on first use).

        Raises:
            ValueError: `tensor` belongs to a graph that is neither this one nor one
                enclosing it.
        """
        if tensor.graph is self:
            return tensor
        with self._capture_lock:
            inner = self._captured.get(tensor)
            if inner is None:
                inner = self._captured[tensor] = self._new_capture(tensor)
        return inner

    def capture_value(self, tensor):
        """A placeholder fed with `tensor`'s value when the function is called, even where
        `tensor` is a variable (which `capture` would mirror, to be read live): what a
        gradient function differentiates with respect to."""
        if tensor.graph is self:
            return tensor
        with self._capture_lock:
            key = ("value", tensor)
            inner = self._captured.get(key)
            if inner is None:
                inner = self._captured[key] = self._new_capture(tensor, by_value=True)
        return inner

    def _can_reach(self, graph):
        g = self
        while isinstance(g, FuncGraph):
            if g.forward_graph is graph or g.outer_graph is graph:
                return True
            g = g.outer_graph
        return False

    def _new_capture(self, tensor, by_value=False):
        if not self._can_reach(tensor.graph):
            raise ValueError(f"Tensor {tensor} is not an element of this graph, nor of a "
                             f"graph enclosing function '{self.name}'.")
        with self.as_default(), self.colocate_with(None, ignore_existing=True), \
                self.control_dependencies(None), self.name_scope(self.name + "/"):
            if tensor.graph is self.forward_graph:
                # Resolved into ops of this graph: not a capture of its own.
                return self._resolve_foreign(self, tensor)
        var_op = None if by_value else _variable_behind(tensor)
        with self.as_default(), self.colocate_with(None, ignore_existing=True), \
                self.control_dependencies(None), self.name_scope(self.name + "/"):
            if var_op is not None:
                return self._mirror_variable(var_op)
            outer = tensor
            if tensor.graph is not self.outer_graph:
                outer = (self.outer_graph.capture_value(tensor) if by_value
                         else self.outer_graph.capture(tensor))
            inner = apply_op("Placeholder", name=tensor.op.name.split("/")[-1],
                             dtype=tensor.dtype, shape=tensor.shape)
        self.captures.append((outer, inner))
        self.inputs.append(inner)
        return inner

    def _mirror_variable(self, var_op):
        existing = self._ops_by_name.get(var_op.name)
        if existing is not None and existing.type == "VariableV2":
            return existing.outputs[0]
        self.variables.append(var_op)
        # "name/" is taken as is: the mirror has exactly the outer variable's name, the key of
        # its value in the session state.
        return apply_op("VariableV2", name=var_op.name + "/", **dict(var_op.attrs))

    def control_dependencies(self, control_inputs):
        """As `Graph.control_dependencies`; outer ops are recorded in `control_captures`."""
        if control_inputs is None:
            return super().control_dependencies(None)
        inner = []
        for c in control_inputs:
            conv = getattr(c, "_as_graph_element", None)
            el = conv() if callable(conv) and not isinstance(c, Tensor) else c
            op = el.op if isinstance(el, Tensor) else el
            graph = getattr(op, "graph", None)
            if graph is not None and graph is not self:
                if op not in self.control_captures:
                    self.control_captures.append(op)
            else:
                inner.append(c)
        return super().control_dependencies(inner)

    def __repr__(self):
        return f"<FuncGraph {self.name!r} inputs={len(self.inputs)} outputs={len(self.outputs)}>"


def _placeholders(spec, name):
    def make(leaf):
        if not isinstance(leaf, TensorSpec):
            raise TypeError(f"A function argument's structure must have TensorSpec leaves, "
                            f"got {leaf!r}")
        return apply_op("Placeholder", name=leaf.name or name, dtype=leaf.dtype,
                        shape=leaf.shape)
    return nest.map_structure(make, spec)


def _default_convert(value):
    return convert_to_tensor(value)


def trace(func, arg_specs, name, outer_graph=None, convert=_default_convert,
          forward_graph=None, resolve_foreign=None):
    """Traces `func(*args)` into a new, finalized FuncGraph.

    Args:
        func: the Python function; it receives one packed structure of placeholders per
            entry of `arg_specs`.
        arg_specs: a list of structures (nested tuples/dicts/namedtuples) of TensorSpecs.
        name: the function's name (made unique in the outer graph).
        outer_graph: the graph captures come from (default: the current default graph).
        convert: turns each leaf of the returned structure into a Tensor (default
            `convert_to_tensor`; tf.data also accepts a Dataset there).
        forward_graph, resolve_foreign: for a gradient function, the FuncGraph it
            differentiates and `resolve_foreign(func_graph, tensor)`, which returns the
            tensor of `func_graph` standing for a tensor of `forward_graph`.

    Returns:
        The FuncGraph, with `inputs`, `outputs`, `structured_outputs` and `captures` set.

    Raises:
        Whatever `func` raises while being traced; TypeError/ValueError for a result leaf
        that cannot be converted.

    Example:
        >>> c = constant(10.0)
        >>> fg = trace(lambda x: x * c, [TensorSpec([], float32)], "scale")
        >>> [outer.op.name for outer, _ in fg.captures]
        ['Const']
    """
    fg = FuncGraph(name, outer_graph, forward_graph, resolve_foreign)
    with fg.as_default():
        args = [_placeholders(spec, f"arg{i}") for i, spec in enumerate(arg_specs)]
        fg.inputs = [t for a in args for t in nest.flatten(a)]
        fg.structured_input_signature = tuple(arg_specs)
        result = func(*args)

        def output(value):
            t = convert(value)
            return fg.capture(t) if isinstance(t, Tensor) else t
        structured = None if result is None else nest.map_structure(output, result)
        fg.structured_outputs = structured
        fg.outputs = [t for t in nest.flatten(structured) if isinstance(t, Tensor)]
    fg.finalize()
    return fg


__all__ = ["FuncGraph", "TensorSpec", "trace"]
