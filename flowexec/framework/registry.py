"""The op registry: every op type defined once, with kernel, inference, gradient and cost.

An op module writes

    @defop("Mul", infer=broadcast_infer, cost=ELEMENTWISE)
    def _mul(xp, x, y):
        return xp.multiply(x, y)

    @_mul.gradient
    def _mul_grad(op, dy): ...

and `apply_op("Mul", x, y, name=name)` adds a node to the graph. The kernel's positional
parameters after `xp` (and `ctx` for ops declared `needs_ctx=True`) are the op's inputs,
named as TF names them in messages; a `*args` parameter takes a list input; keyword-only
parameters are the attributes the kernel receives. `infer(op)` returns one `(dtype, shape)`
per output and runs when the op is added, so type and shape errors surface at build time.

Cost classes tell the scheduler what a thread hand-off is worth: `CHEAP` ops run inline on
the thread that made them ready; `EXPENSIVE` ops (matmul, big reductions) may be handed to a
worker so they overlap. `cost` may also be a function `op -> estimated flops`.

What the runtime must know about an op is a flag of its definition, never a check of its
type name: `must_be_fed` (Placeholder: a run that needs it unfed fails at plan time),
`constant` (Const: `constant(op)` is the value, bound without a kernel call),
`static_value` (Shape, Size, Rank: `static_value(op)` is the value when the static shapes
of the inputs determine it, else None), `fold_at_build` (shape arithmetic: inference may
compute the value by running the kernel on constant inputs), `ref_output` (VariableV2: the
output stands for the variable, read when a consumer runs), `forwards_ref` (Identity: a
reference input stays a reference), `stateful` and `device_types` (host-only ops), and
`fetch_as` (GetSessionHandle: a run returns a TensorHandle for the fetched value).

`OpDef.evaluate(op, inputs)` runs an op's own kernel on numpy values: constant folding, at
build time (`shape_fns.constant_value`) and in the optimizer, uses it, so a folded value is
what the kernel computes.

`elementwise=Elementwise(numpy=..., cuda=...)` marks an op the graph optimizer may fuse with
its elementwise neighbours into one `_FusedElementwise` step (see `flowexec/ops/fused_ops.py`).
`scalar=ScalarCode("{0} + {1}")` gives the Python expression that computes the op on 0-d host
values, which a generated while loop inlines instead of calling the kernel (codegen.py).
"""

import dataclasses
import inspect
import os
from typing import Callable, Optional

import numpy as np

from flowexec.framework import eager
from flowexec.framework import graph as graph_mod
from flowexec.framework import node_def_form, op_callbacks, resources, tensor_shape
from flowexec.framework.operation import Operation
from flowexec.framework.tensor import Tensor

CHEAP = "cheap"
ELEMENTWISE = CHEAP
EXPENSIVE = "expensive"

NOT_DIFFERENTIABLE = "not differentiable"

_REGISTRY = {}


@dataclasses.dataclass(frozen=True)
class Elementwise:
    """How a fusable elementwise op is evaluated inside a fused step.

    The op's inputs all broadcast to its output, its output has that broadcast shape, and it
    has no attributes besides its dtype.

    Attributes:
        numpy: `fn(xp, out, *inputs)` computing exactly what the op's kernel computes
            (bit for bit), writing into `out` when it is an array (`out` may be the first
            input's buffer; it is None when the caller wants a fresh array).
        cuda: a CUDA C++ expression over the operands `{0}`, `{1}`, ... (plain variables of
            the operand's C type); `{T}` is the C type of the result; `fe_max`/`fe_min`
            are numpy's NaN-propagating maximum/minimum (defined by the fused kernel).
        accepts: optional `fn(input_shapes) -> bool` (static TensorShapes): whether an op
            with these inputs may be fused (e.g. only when its kernel could not raise).
    """

    numpy: Callable
    cuda: str
    accepts: Optional[Callable] = None

    @classmethod
    def ufunc(cls, name, cuda, accepts=None):
        """The flag of an op whose kernel is exactly the array module's ufunc `name`."""
        def evaluate(xp, out, *inputs):
            return getattr(xp, name)(*inputs, out=out)
        evaluate.__name__ = name
        return cls(evaluate, cuda, accepts)


@dataclasses.dataclass(frozen=True)
class ScalarCode:
    """How an op computes on 0-d host values, as Python code a generated program inlines.

    Attributes:
        expr: a Python expression over the inputs `{0}`, `{1}`, ... giving exactly what the
            kernel returns (value bit for bit, and numpy scalar type) when every input is a
            numpy scalar or a 0-d array of a real or bool dtype. It must not raise where the
            kernel could raise a typed error: an op that checks its values (integer division
            by zero) has no ScalarCode.
        select: instead of `expr`, `fn(kernel_kwargs, input_dtypes) -> (expr, {name: value})`
            for ops whose code depends on attributes and dtypes (Cast), the expression
            reading the objects `{name}` (a destination type); or None: no inline form.
        forwards: the expression is its input itself (Identity): a 0-d array stays one
            (every other expression gives a numpy scalar).
    """

    expr: Optional[str] = None
    select: Optional[Callable] = None
    forwards: bool = False

    def code(self, kwargs, in_dtypes):
        """(expr, {name: value}) for a node with these kernel kwargs and input dtypes, or
        None."""
        return (self.expr, {}) if self.select is None else self.select(kwargs, in_dtypes)


class OpDef:
    """Everything the system knows about one op type."""

    def __init__(self, type_name, kernel, infer, cost, stateful, needs_ctx, defined_at,
                 device_types=None, flags=None, node_def=None):
        self.type = type_name
        self.host_inputs = frozenset((flags or {}).get("host_inputs", ()))
        self.node_def_form = node_def or node_def_form.DEFAULT
        self.device_types = None if device_types is None else tuple(device_types)
        flags = flags or {}
        self.must_be_fed = bool(flags.get("must_be_fed", False))
        self.constant = flags.get("constant")
        self.static_value = flags.get("static_value")
        self.fold_at_build = bool(flags.get("fold_at_build", False))
        self.ref_output = bool(flags.get("ref_output", False))
        self.forwards_ref = bool(flags.get("forwards_ref", False))
        self.elementwise = flags.get("elementwise")
        self.scalar = flags.get("scalar")
        self.fetch_as = flags.get("fetch_as")
        self.kernel = kernel
        try:  # TF's op has a "container" attr (set by tf.container) where the kernel takes one
            self.has_container_attr = "container" in inspect.signature(kernel).parameters
        except (TypeError, ValueError):
            self.has_container_attr = False
        self.infer = infer
        self.cost = cost
        self.stateful = stateful
        self.needs_ctx = needs_ctx
        self.defined_at = defined_at
        self.grad_fn = None
        self.device_kernels = {}
        params = list(inspect.signature(kernel).parameters.values())
        skip = 2 if needs_ctx else 1
        self.input_names = []
        self.list_input = False
        self.kernel_attrs = []
        self.all_attrs = False
        for p in params[skip:]:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                self.input_names.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                self.list_input = True
                self.input_names.append(p.name)
            elif p.kind is p.KEYWORD_ONLY:
                self.kernel_attrs.append(p.name)
            elif p.kind is p.VAR_KEYWORD:
                self.all_attrs = True

    # decorators ---------------------------------------------------------------------------
    def gradient(self, fn):
        """Registers `fn(op, *output_grads) -> one gradient (or None) per input`."""
        if self.grad_fn is not None:
            raise ValueError(f"Gradient for op type '{self.type}' is already registered.")
        self.grad_fn = fn
        return fn

    def not_differentiable(self):
        """Declares that no gradient flows through this op (gradients() yields None)."""
        self.grad_fn = NOT_DIFFERENTIABLE
        return self

    def override(self, device_type):
        """Registers a faster kernel for one device type ("GPU"); same signature."""
        def register(fn):
            self.device_kernels[device_type] = fn
            return fn
        return register

    # used at plan time --------------------------------------------------------------------
    def supports(self, device_type):
        """Whether the op has a kernel for `device_type` ("CPU", "GPU").

        The generic kernel is written against `xp`, so it runs on every device unless the op
        was declared with `device_types` (host-only ops such as PyFunc and summaries)."""
        return (self.device_types is None or device_type in self.device_types
                or device_type in self.device_kernels)

    def kernel_for(self, device_type):
        return self.device_kernels.get(device_type, self.kernel)

    def kernel_kwargs(self, op):
        if self.all_attrs:
            return {k: v for k, v in op.attrs.items() if not k.startswith("_")}
        return {k: op.attrs[k] for k in self.kernel_attrs if k in op.attrs}

    def estimated_cost(self, op):
        return self.cost(op) if callable(self.cost) else self.cost

    @property
    def host_only(self):
        """Whether only the host (CPU) has a kernel for the op."""
        return self.device_types == ("CPU",) and not self.device_kernels

    @property
    def foldable(self):
        """Whether the op's outputs are a function of its inputs and attributes alone, so
        that a constant-folding pass may replace it by its value (`evaluate`)."""
        return not (self.stateful or self.needs_ctx or self.must_be_fed or self.ref_output
                    or self.device_types is not None)

    def evaluate(self, op, inputs):
        """Runs the op's own kernel on numpy `inputs` (one array per input of `op`, which
        is an Operation or an IR node of this type); returns one value per output.

        Raises:
            ValueError: the op is not `foldable` (state, context, feeds, host callbacks).
            Whatever the kernel raises for these values.
        """
        if self.constant is not None:
            return (self.constant(op),)
        if not self.foldable:
            raise ValueError(f"Op type '{self.type}' cannot be evaluated outside a run")
        out = self.kernel(np, *inputs, **self.kernel_kwargs(op))
        if len(op.outputs) == 1:
            return (out,)
        return tuple(out)

    def __repr__(self):
        return f"<OpDef {self.type} defined at {self.defined_at}>"


def defop(type_name, *, infer, cost=CHEAP, stateful=False, needs_ctx=False, device_types=None,
          must_be_fed=False, constant=None, static_value=None, fold_at_build=False,
          ref_output=False, forwards_ref=False, elementwise=None, scalar=None, node_def=None,
          fetch_as=None, host_inputs=()):
    """Decorator registering a kernel as op type `type_name`; returns the `OpDef`.

    Args:
        type_name: the op type, unique in the registry.
        infer: `infer(op) -> [(dtype, shape)]`, one per output.
        cost: CHEAP, EXPENSIVE, or `cost(op) -> estimated ns`.
        stateful: the op has effects or reads state (never merged, folded or reordered).
        needs_ctx: the kernel takes a KernelContext before `xp`.
        device_types: the device types with a kernel, e.g. ("CPU",) for an op that needs
            the host (Python callbacks, printing, protobuf strings); None: every device.
        must_be_fed: a run that needs the op's output must feed it (Placeholder).
        constant: `constant(op) -> value`: the op's output, fixed at creation (Const).
        static_value: `static_value(op) -> value or None`: the output when the inputs'
            static shapes determine it (Shape, Size, Rank).
        fold_at_build: inference may compute the value of this op from constant inputs by
            running its kernel on numpy (small shape arithmetic: Pack, ConcatV2, ...).
        ref_output: output 0 stands for a variable: consumers read its value live.
        forwards_ref: the output is the input; a reference input stays a reference.
        elementwise: an `Elementwise`: the graph optimizer may fuse the op with its
            elementwise neighbours into one `_FusedElementwise` step.
        scalar: a `ScalarCode`: generated loops compute the op on 0-d host values with
            this inline expression instead of a kernel call.
        node_def: a `NodeDefForm` saying how the op's TF NodeDef differs from it (ref
            inputs, fixed attributes, flowexec-only); None: it is TF's op of this type.
        fetch_as: `fetch_as(op, value, session) -> object`: what `Session.run` returns for
            the op's output 0 instead of its value (GetSessionHandle: a TensorHandle).
        host_inputs: positions of inputs the kernel reads in host memory wherever it runs
            (TF's `HostMemory`): on a GPU, such an input is not copied to the device (a
            `_Send`'s step id).
    """
    flags = {"must_be_fed": must_be_fed, "constant": constant, "static_value": static_value,
             "fold_at_build": fold_at_build, "ref_output": ref_output,
             "forwards_ref": forwards_ref, "elementwise": elementwise, "scalar": scalar,
             "fetch_as": fetch_as, "host_inputs": tuple(host_inputs)}

    def register(kernel):
        code = kernel.__code__
        where = f"{os.path.relpath(code.co_filename)}:{code.co_firstlineno}"
        if type_name in _REGISTRY:
            raise ValueError(f"Op type '{type_name}' is already registered at "
                             f"{_REGISTRY[type_name].defined_at}; second definition at {where}")
        od = OpDef(type_name, kernel, infer, cost, stateful, needs_ctx, where, device_types,
                   flags, node_def)
        _REGISTRY[type_name] = od
        return od
    return register


def get_op_def(type_name):
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise LookupError(f"Op type not registered '{type_name}'") from None


def registered_ops():
    """A copy of the registry: {type name: OpDef}."""
    return dict(_REGISTRY)


def _graph_for(inputs):
    graph = None
    first = None
    for t in inputs:
        g = t.graph
        if graph is None:
            graph, first = g, t
        elif g is not graph:
            raise ValueError(f"{t} must be from the same graph as {first}.")
    return graph or graph_mod.get_default_graph()


def apply_op(op_type, *inputs, name=None, control_inputs=(), **attrs):
    """Adds an op of `op_type` to the graph of its inputs; returns its output(s).

    Naming follows TF's generated op wrappers (`with name_scope(name) as scope: create_op(
    name=scope)`): `name` defaults to the op type and is made unique in the current name
    scope; a name ending in "/" (a scope captured from `name_scope`) is used as is, without
    the slash. The op gets the control dependencies, device and colocation of the scopes
    open in its graph on this thread, and the gradient override (`_gradient_op_type` attr)
    of `Graph.gradient_override_map`.

    Args:
        op_type: a registered op type.
        *inputs: input Tensors (already converted by the caller).
        name: the requested name.
        control_inputs: extra Operations that must run first.
        **attrs: the op's attributes (names starting with "_" never reach the kernel).

    Returns:
        The single output Tensor, a tuple of Tensors for several outputs, or the Operation
        when the op has no outputs.

    Raises:
        TypeError, ValueError: from shape/dtype inference, naming the op; ValueError for an
            invalid name ("'a b' is not a valid scope name") or inputs from two graphs.
        RuntimeError: the graph is finalized.
    """
    op_def = _REGISTRY.get(op_type) or get_op_def(op_type)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"Input {i} of '{op_type}' Op must be a Tensor, got {t!r}")
    default = graph_mod.get_default_graph()
    if default.building_function:
        # Inside a function graph every op goes there; outer inputs become captures.
        inputs = tuple(t if t.graph is default else default.capture(t) for t in inputs)
        outer_controls = [c for c in control_inputs if c.graph is not default]
        if outer_controls:
            with default.control_dependencies(outer_controls):  # kept as control captures
                pass
            control_inputs = [c for c in control_inputs if c.graph is default]
        graph = default
    else:
        graph = _graph_for(inputs)
    graph._check_not_finalized()
    if not name:
        name = op_type
    graph._check_scope_name(name)
    op_name = name[:-1] if name[-1] == "/" else graph.unique_name(name)
    if op_type in graph._gradient_override_map:
        attrs["_gradient_op_type"] = graph._gradient_override_map[op_type]
    if graph._container and op_def.stateful and not attrs.get("container") and \
            ("container" in attrs or op_def.has_container_attr):
        attrs["container"] = graph._container  # tf.container: TF's Graph sets it so
    ref_attr = op_def.node_def_form.ref_attr
    if ref_attr and graph._has_containers:
        containers = resources.var_containers(graph, attrs, ref_attr)
        if containers is not None:   # the variables it names are in containers (resources.py)
            attrs[resources.VAR_CONTAINERS] = containers
    input_ops = [t.op for t in inputs]
    controls = graph._control_dependencies_for_inputs(input_ops)
    for c in control_inputs:
        if c not in controls:
            controls.append(c)
    if attrs.get("container") and isinstance(attrs["container"], str):
        graph._has_containers = True
    op = Operation(graph, op_type, op_name, inputs, attrs, controls, op_def)
    specs = op_def.infer(op)
    op._outputs = tuple(Tensor(op, i, dt, tensor_shape.as_shape(sh))
                        for i, (dt, sh) in enumerate(specs))
    graph._add_op(op)
    for t in inputs:
        t._consumers.append(op)
    graph._record_op_seen_by_control_dependencies(op)
    graph._apply_device_functions(op)
    graph._apply_colocation(op)
    evaluate = eager.evaluator_for(graph)
    if evaluate is not None:  # inside tf.py_function's function: run the op now
        evaluate(op)
    outs = op._outputs
    if op_callbacks.should_invoke_op_callbacks():
        outs = op_callbacks.invoke_op_callbacks(op, attrs, outs)
    if len(outs) == 1:
        return outs[0]
    if not outs:
        return op
    return outs
