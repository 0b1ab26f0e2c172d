"""flowexec-only ops written as TensorFlow subgraphs that compute the same values.

Each lowering returns NodeDefs of TF ops (built by `export.build_node`, so attributes follow
TF's schema); the last one carries the op's own name, so its consumers read it unchanged.
Importing such a file gives the subgraph, not the flowexec op: same values, TF's ops.
"""

import numpy as np

from flowexec.framework import dtypes

__all__ = ["LOWERINGS"]


def _const(build, name, value, dtype):
    arr = np.asarray(value, dtype=dtype.np)
    return build(name, "Const", [], [], [dtype], {"value": arr, "dtype": dtype})


def _reduced_shape(op, build):
    """ReducedShape(s, axes): s with the reduced axes set to 1, as
    Select(Any(Equal(range(rank)[:, None], (axes + rank) % rank), 1), OnesLike(s), s)."""
    s, axes = op.inputs
    st, at = s.dtype, axes.dtype
    b = op.name + "/lowered"
    i32, boolean = dtypes.int32, dtypes.bool
    src_s, src_a = s._as_node_def_input(), axes._as_node_def_input()
    nodes = [
        build(f"{b}/rank", "Size", [src_s], [st], [i32], {"out_type": i32}),
        build(f"{b}/rank_cast", "Cast", [f"{b}/rank"], [i32], [at],
              {"SrcT": i32, "DstT": at, "Truncate": False}),
        _const(build, f"{b}/minus_one", [-1], i32),
        build(f"{b}/axes", "Reshape", [src_a, f"{b}/minus_one"], [at, i32], [at], {}),
        build(f"{b}/shifted", "AddV2", [f"{b}/axes", f"{b}/rank_cast"], [at, at], [at], {}),
        build(f"{b}/axes_mod", "FloorMod", [f"{b}/shifted", f"{b}/rank_cast"], [at, at], [at],
              {}),
        _const(build, f"{b}/zero", 0, at),
        _const(build, f"{b}/one", 1, at),
        build(f"{b}/range", "Range", [f"{b}/zero", f"{b}/rank_cast", f"{b}/one"],
              [at, at, at], [at], {}),
        _const(build, f"{b}/dim1", 1, i32),
        _const(build, f"{b}/dim0", 0, i32),
        build(f"{b}/rows", "ExpandDims", [f"{b}/range", f"{b}/dim1"], [at, i32], [at], {}),
        build(f"{b}/cols", "ExpandDims", [f"{b}/axes_mod", f"{b}/dim0"], [at, i32], [at], {}),
        build(f"{b}/hit", "Equal", [f"{b}/rows", f"{b}/cols"], [at, at], [boolean], {}),
        build(f"{b}/reduced", "Any", [f"{b}/hit", f"{b}/dim1"], [boolean, i32], [boolean],
              {"keep_dims": False}),
        build(f"{b}/ones", "OnesLike", [src_s], [st], [st], {}),
        build(op.name, "Select", [f"{b}/reduced", f"{b}/ones", src_s], [boolean, st, st], [st],
              {}),
    ]
    return nodes


LOWERINGS = {"ReducedShape": _reduced_shape}
