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


def _gather_v2_grad(op, build):
    """GatherV2Grad(params_shape, indices, grad, axis): TF's gather gradient, densified:
    grad as [outer, k, inner], summed into [n, outer, inner] by UnsortedSegmentSum over the
    flattened indices (out-of-range ones dropped), moved back and reshaped to params_shape."""
    s, indices, grad, axis = op.inputs
    st, it, gt, at = s.dtype, indices.dtype, grad.dtype, axis.dtype
    b = op.name + "/lowered"
    i32 = dtypes.int32
    src = [t._as_node_def_input() for t in op.inputs]
    perm = [1, 0, 2]
    nodes = [
        build(f"{b}/rank", "Size", [src[0]], [st], [at], {"out_type": at}),
        build(f"{b}/shifted", "AddV2", [src[3], f"{b}/rank"], [at, at], [at], {}),
        build(f"{b}/axis", "FloorMod", [f"{b}/shifted", f"{b}/rank"], [at, at], [at], {}),
        _const(build, f"{b}/dim0", 0, i32),
        build(f"{b}/axis_vec", "ExpandDims", [f"{b}/axis", f"{b}/dim0"], [at, i32], [at], {}),
        _const(build, f"{b}/zero_vec", [0], at),
        _const(build, f"{b}/one_vec", [1], at),
        _const(build, f"{b}/minus_one_vec", [-1], at),
        build(f"{b}/after", "AddV2", [f"{b}/axis_vec", f"{b}/one_vec"], [at, at], [at], {}),
        build(f"{b}/outer_dims", "Slice", [src[0], f"{b}/zero_vec", f"{b}/axis_vec"],
              [st, at, at], [st], {}),
        build(f"{b}/inner_dims", "Slice", [src[0], f"{b}/after", f"{b}/minus_one_vec"],
              [st, at, at], [st], {}),
        build(f"{b}/n", "Slice", [src[0], f"{b}/axis_vec", f"{b}/one_vec"], [st, at, at],
              [st], {}),
        build(f"{b}/outer", "Prod", [f"{b}/outer_dims", f"{b}/dim0"], [st, i32], [st],
              {"keep_dims": True}),
        build(f"{b}/inner", "Prod", [f"{b}/inner_dims", f"{b}/dim0"], [st, i32], [st],
              {"keep_dims": True}),
        _const(build, f"{b}/flat", [-1], i32),
        build(f"{b}/indices", "Reshape", [src[1], f"{b}/flat"], [it, i32], [it], {}),
        build(f"{b}/k", "Size", [f"{b}/indices"], [it], [st], {"out_type": st}),
        build(f"{b}/k_vec", "ExpandDims", [f"{b}/k", f"{b}/dim0"], [st, i32], [st], {}),
        build(f"{b}/shape3", "ConcatV2", [f"{b}/outer", f"{b}/k_vec", f"{b}/inner",
                                           f"{b}/dim0"], [st, st, st, i32], [st], {}),
        build(f"{b}/grad3", "Reshape", [src[2], f"{b}/shape3"], [gt, st], [gt], {}),
        _const(build, f"{b}/perm", perm, i32),
        build(f"{b}/grad_t", "Transpose", [f"{b}/grad3", f"{b}/perm"], [gt, i32], [gt], {}),
        _const(build, f"{b}/scalar", np.zeros(0, np.int32), i32),
        build(f"{b}/num", "Reshape", [f"{b}/n", f"{b}/scalar"], [st, i32], [st], {}),
        build(f"{b}/summed", "UnsortedSegmentSum", [f"{b}/grad_t", f"{b}/indices", f"{b}/num"],
              [gt, it, st], [gt], {}),
        build(f"{b}/back", "Transpose", [f"{b}/summed", f"{b}/perm"], [gt, i32], [gt], {}),
        build(op.name, "Reshape", [f"{b}/back", src[0]], [gt, st], [gt], {}),
    ]
    return nodes


LOWERINGS = {"ReducedShape": _reduced_shape, "GatherV2Grad": _gather_v2_grad}
