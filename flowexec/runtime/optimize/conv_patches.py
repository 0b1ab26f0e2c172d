"""Patch sharing: a convolution and its filter gradient build the im2col patches once.

In a training step, Conv2D(x, w) and Conv2DBackpropFilter(x, shape(w), dy) both turn `x` into
the same patch matrix. When both are in a plan — same input tensor, same attributes, the
filter sizes being `Shape(w)` of the forward's filter or a constant equal to its static shape,
same requested device, neither fed — the forward becomes `_ConvWithPatches` (same name, its
output 0 unchanged, the patches as output 1) and the filter gradient becomes
`_ConvBackpropFilterFromPatches` reading them (same name, so its readers are unchanged).
Conv3D / Conv3DBackpropFilterV2 likewise. The results are the GEMMs the original ops run, on
the same matrices; the cost is memory: the patches stay alive until the filter gradient ran.
"""

import numpy as np

from flowexec.ops import conv_patches
from flowexec.runtime.ir import Ref, make_node
from flowexec.runtime.optimize.rewrite import Rewrite

_ATTRS = ("strides", "padding", "data_format", "dilations", "explicit_paddings")


def _key(node):
    return tuple(tuple(v) if isinstance(v, (list, tuple)) else v
                 for v in (node.attrs.get(a, ()) for a in _ATTRS))


def _sizes_match(rw, sizes_ref, filter_ref):
    """Whether `sizes_ref` is the shape of `filter_ref` (a Shape of it, or its static shape
    as a constant)."""
    p = rw.producer(sizes_ref)
    if p is None:
        return False
    if p.type == "Shape":
        return p.inputs[0] == filter_ref
    if p.type == "Const" and filter_ref.shape is not None and \
            filter_ref.shape.is_fully_defined():
        value = np.asarray(p.attrs.get("value"))
        return value.shape == (filter_ref.shape.ndims,) and \
            value.tolist() == filter_ref.shape.as_list()
    return False


def share_conv_patches(graph):
    """Returns `(graph, description or None)`."""
    rw = Rewrite(graph)
    forwards = {}  # (input ref, attrs, device) -> [forward nodes]
    for name in rw.order:
        node = rw.current(name)
        if node.type in conv_patches.FORWARD_OPS and not rw.is_fed(node.outputs[0]):
            forwards.setdefault((node.inputs[0], node.type, _key(node), node.device),
                                []).append(node)
    if not forwards:
        return graph, None
    gradient_types = {v: k for k, v in conv_patches.FORWARD_OPS.items()}
    with_patches = {}  # forward name -> its new node
    shared = 0
    for name in list(rw.order):
        node = rw.current(name)
        fwd_type = gradient_types.get(node.type)
        if fwd_type is None or rw.is_fed(node.outputs[0]):
            continue
        x, sizes, dy = node.inputs
        candidates = forwards.get((x, fwd_type, _key(node), node.device), ())
        fwd = next((f for f in candidates if _sizes_match(rw, sizes, f.inputs[1])), None)
        if fwd is None:
            continue
        new_fwd = with_patches.get(fwd.name)
        if new_fwd is None:
            new_fwd = make_node(
                "_ConvWithPatches", fwd.name, fwd.inputs,
                {**fwd.attrs, "forward_type": fwd.type}, control_inputs=fwd.control_inputs,
                origin=fwd.origin, device=fwd.device, colocation=fwd.colocation)
            rw.replace(new_fwd)
            with_patches[fwd.name] = new_fwd
        patches = new_fwd.outputs[1]
        rw.replace(make_node(
            "_ConvBackpropFilterFromPatches", node.name,
            (Ref(patches.node, 1, patches.dtype, patches.shape), sizes, dy),
            {"forward_type": fwd.type, "data_format": node.attrs["data_format"]},
            control_inputs=node.control_inputs, origin=node.origin, device=node.device,
            colocation=node.colocation,
            outputs=[(node.output_dtypes[0], node.output_shapes[0])]))
        shared += 1
    if not shared:
        return graph, None
    return rw.finish(), (f"{shared} convolution filter gradients reuse their forward's "
                         f"patches ({len(with_patches)} _ConvWithPatches)")
