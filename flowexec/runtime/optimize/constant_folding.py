"""Constant folding: stateless nodes whose inputs are all constants become Const nodes.

A node is folded when its op is `foldable` (no state, no context, not fed, not host-only,
not a PlaceholderWithDefault: TF's idiom for "a constant the optimizer must not fold"),
it has at least one input, every input is a constant (a Const, or a node folded before it),
none of them is fed, and the node is not protected (fetched, fed or a target: TF's
"nodes to preserve"). Its value is its op's own kernel on numpy (`OpDef.evaluate`), so it is
exactly what the run would compute. Ops with a `static_value` (Shape, Size, Rank) fold when
the static shapes determine their value, whatever their input, except when it is a variable
itself (reading it is the point: `assert_variables_initialized`).

As in TF: a folded constant larger than `max_constant_bytes` (10 MiB) is not made; a kernel
that raises leaves the node alone, and the run reports the error, naming the user's op; a
node with one output becomes a Const of the same name (so control edges to it hold), one
with several becomes one Const per output, "ConstantFolding/<name>-<i>"; the new constants
keep the control inputs of the node and of the constants it read.
"""

import numpy as np

from flowexec.framework.errors import OpError
from flowexec.runtime.ir import make_node
from flowexec.runtime.optimize.rewrite import Rewrite

_KERNEL_ERRORS = (OpError, ValueError, TypeError, IndexError, ArithmeticError)


def _static_bytes(node):
    total = 0
    for dt, shape in zip(node.output_dtypes, node.output_shapes):
        n = shape.num_elements()
        if n is None:
            return None
        total += n * dt.np.itemsize
    return total


def _as_value(value, ref):
    """The folded output as an array of the ref's dtype, or None if the kernel disagrees."""
    arr = np.asarray(value)
    if ref.dtype.np.kind != "O" and arr.dtype != ref.dtype.np:
        return None
    if not ref.shape.is_compatible_with(arr.shape):
        return None
    return arr


def _const_node(name, arr, ref, node, controls):
    return make_node("Const", name, (), {"value": arr, "dtype": ref.dtype},
                     control_inputs=controls, origin=node.origin, device=node.device,
                     colocation=node.colocation, outputs=[(ref.dtype, arr.shape)])


def fold_constants(graph, max_constant_bytes):
    """Returns `(graph, description or None)`."""
    rw = Rewrite(graph)
    values = {}    # (node name, index) -> numpy value
    carried = {}   # (node name, index) -> control inputs the value depends on
    folded = []
    for name in list(rw.order):
        node = rw.current(name)
        od = node.op_def
        if od.constant is not None:
            if not rw.is_fed(node.outputs[0]):
                values[(name, 0)] = od.constant(node)
                carried[(name, 0)] = node.control_inputs
            continue
        if rw.protected(name) or od.needs_ctx or od.stateful:
            continue
        result = _evaluate(node, values, rw, max_constant_bytes)
        if result is None:
            continue
        arrays = [_as_value(v, r) for v, r in zip(result, node.outputs)]
        if any(a is None for a in arrays) or sum(a.nbytes for a in arrays) > max_constant_bytes:
            continue
        controls = list(node.control_inputs)
        for r in node.inputs:
            for c in carried.get((r.node, r.index), ()):
                if c not in controls:
                    controls.append(c)
        if len(arrays) == 1:
            const = _const_node(name, arrays[0], node.outputs[0], node, controls)
            rw.replace(const)
            values[(name, 0)] = arrays[0]
            carried[(name, 0)] = tuple(controls)
        else:
            for i, (arr, ref) in enumerate(zip(arrays, node.outputs)):
                const = _const_node(rw.fresh_name(f"ConstantFolding/{name}-{i}"), arr, ref,
                                    node, controls)
                rw.add(const)
                rw.forward(ref, const.outputs[0])
                values[(const.name, 0)] = arr
                carried[(const.name, 0)] = tuple(controls)
        folded.append(name)
    if not folded:
        return graph, None
    shown = ", ".join(folded[:5]) + (", ..." if len(folded) > 5 else "")
    return rw.finish(), f"{len(folded)} nodes folded ({shown})"


def _reads_variable(ref, rw):
    # Rank/Shape of a variable itself is how TF checks that it is initialized: kept.
    producer = rw.producer(ref)
    return producer is not None and producer.op_def.ref_output


def _evaluate(node, values, rw, max_constant_bytes):
    """The node's outputs computed from constant inputs, or None when it cannot fold."""
    od = node.op_def
    if od.static_value is not None and not any(_reads_variable(r, rw) for r in node.inputs):
        value = od.static_value(node)
        if value is not None:
            return (value,)
    if not od.foldable or not node.inputs or not node.output_dtypes or \
            node.type == "PlaceholderWithDefault":  # as TF's IsPlaceholder: never folded
        return None
    if any(rw.is_fed(r) or (r.node, r.index) not in values for r in node.inputs):
        return None
    size = _static_bytes(node)
    if size is not None and size > max_constant_bytes:
        return None
    try:
        with np.errstate(all="ignore"):
            return od.evaluate(node, [values[(r.node, r.index)] for r in node.inputs])
    except _KERNEL_ERRORS:
        return None
