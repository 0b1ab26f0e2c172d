"""Remapper: MatMul + BiasAdd (+ Relu) become one `_FusedMatMul`, as TF's remapper fuses them.

The pattern is a MatMul read only by a BiasAdd (itself read only by the Relu when there is
one), all on the same requested device, of a floating-point dtype, none fetched, fed or a
target except the last node of the pattern, which may be fetched or a target (not fed). The
fused node takes the last node's name, so its readers, fetches and control edges are
unchanged; it waits for every control input of the pattern, and its origin lists the three
user ops. The kernel is bit-identical to the three ops (see `flowexec/ops/fused_ops.py`).
"""

from flowexec.ops import fused_ops  # noqa: F401 - registers _FusedMatMul
from flowexec.runtime.ir import make_node
from flowexec.runtime.optimize.rewrite import Rewrite


def _only_reader(rw, consumers, node, reader):
    return (node is not None and not rw.protected(node.name)
            and consumers.get(node.name) == [reader.name])


def fuse_matmul_bias(graph):
    """Returns `(graph, description or None)`."""
    rw = Rewrite(graph)
    consumers = rw.consumers()
    fused = 0
    relu_of = {}
    for name in rw.order:
        node = rw.nodes[name]
        if node.type == "Relu":
            p = rw.producer(node.inputs[0])
            if p is not None and p.type == "BiasAdd" and _only_reader(rw, consumers, p, node):
                relu_of[p.name] = node
    for name in list(rw.order):
        node = rw.current(name)
        if node.type != "BiasAdd":
            continue
        mm = rw.producer(node.inputs[0])
        if mm is None or mm.type != "MatMul" or not _only_reader(rw, consumers, mm, node):
            continue
        relu = relu_of.get(name)
        last = relu or node
        if any(rw.is_fed(r) for r in last.outputs):
            continue
        pattern = [mm, node] + ([relu] if relu else [])
        if any(p.device != last.device for p in pattern) or \
                not node.output_dtypes[0].is_floating:
            continue
        controls = []
        for p in pattern:
            controls += [c for c in p.control_inputs if c not in controls]
        origin = []
        for p in pattern:
            origin += [o for o in p.origin if o not in origin]
        ops = ("BiasAdd", "Relu") if relu else ("BiasAdd",)
        new = make_node("_FusedMatMul", last.name, (mm.inputs[0], mm.inputs[1], node.inputs[1]),
                        {"transpose_a": bool(mm.attrs.get("transpose_a", False)),
                         "transpose_b": bool(mm.attrs.get("transpose_b", False)),
                         "fused_ops": ops, "num_args": 1, "T": node.output_dtypes[0]},
                        control_inputs=controls, origin=origin, device=last.device,
                        colocation=last.colocation,
                        outputs=[(last.output_dtypes[0], last.output_shapes[0])])
        rw.replace(new)
        fused += 1
    if not fused:
        return graph, None
    return rw.finish(), f"{fused} MatMul+BiasAdd fused into _FusedMatMul"
