"""array_ops: every op against numpy (forward, inferred dtype/shape, gradient), static shapes,
names, build-time and run-time errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.ops import array_ops, shape_fns
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

I32 = np.int32


def _normal(*shape, dtype=np.float32):
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def _ints(*shape, lo=-5, hi=5, dtype=np.int32):
    return lambda rng: rng.integers(lo, hi, shape).astype(dtype)


def _in(*makers):
    """Inputs from makers: callables of rng, or fixed values."""
    return lambda rng: [m(rng) if callable(m) else np.asarray(m) for m in makers]


def _hide(t):
    """`t` with an unknown static shape (forces the run-time-shape paths of gradients)."""
    return tf.placeholder_with_default(t, shape=None)


def _mirror_pad_adjoint(dy, paddings, mode):
    """Oracle of MirrorPadGrad: scatter-add dy through the index map of np.pad."""
    p = np.asarray(paddings)
    shape = [d - a - b for d, (a, b) in zip(dy.shape, p)]
    idx = np.pad(np.arange(int(np.prod(shape))).reshape(shape), p, mode=mode.lower())
    out = np.zeros(int(np.prod(shape)), dy.dtype)
    np.add.at(out, idx.ravel(), dy.ravel())
    return out.reshape(shape)


def _gather_adjoint(shape, indices, dy, axis):
    out = np.zeros(shape, dy.dtype)
    moved = np.moveaxis(out, axis, 0)
    g = np.moveaxis(dy.reshape(shape[:axis] + [indices.size] + shape[axis + 1:]), axis, 0)
    np.add.at(moved, indices.ravel(), g)
    return out


def _scatter_nd_ref(indices, updates, shape):
    out = np.zeros(shape, updates.dtype)
    np.add.at(out, tuple(np.moveaxis(indices, -1, 0)), updates)
    return out


def _ss_grad_ref(shape, index, dy):
    out = np.zeros(shape, dy.dtype)
    out[index] = dy
    return out


def _one_hot_ref(ind, depth, on=1.0, off=0.0, axis=-1, dtype=np.float32):
    hot = np.expand_dims(ind, axis if axis != -1 else ind.ndim) == np.arange(depth).reshape(
        [depth if i == (ind.ndim if axis == -1 else axis) else 1 for i in range(ind.ndim + 1)])
    return np.where(hot, on, off).astype(dtype)


X23 = _normal(2, 3)
X234 = _normal(2, 3, 4)
MASKS = {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0,
         "shrink_axis_mask": 0}

def _count_up_to_after_init(x):
    v = tf.Variable(x)
    with tf.control_dependencies([v.initializer]):
        return v.count_up_to(100)


CASES = [
    # Reshape
    OpCase("reshape_static", lambda x: tf.reshape(x, [3, -1]), lambda x: x.reshape(3, -1),
           _in(X23)),
    OpCase("reshape_shape_input", lambda x, s: tf.reshape(x, s), lambda x, s: x.reshape(s),
           _in(X234, np.array([4, 6], I32))),
    OpCase("reshape_feed", lambda x, s: tf.reshape(x, s), lambda x, s: x.reshape(s),
           _in(X234, np.array([-1, 2], I32)), feed=True),
    OpCase("reshape_int64_to_scalar", lambda x: tf.reshape(x, []), lambda x: x.reshape(()),
           _in(_ints(1, 1, dtype=np.int64))),
    OpCase("reshape_hidden_shape", lambda x: tf.reshape(_hide(x), [-1]),
           lambda x: x.reshape(-1), _in(X23)),
    # Transpose, InvertPermutation
    OpCase("transpose_default", lambda x: tf.transpose(x), lambda x: x.T, _in(X234)),
    OpCase("transpose_perm", lambda x: tf.transpose(x, [1, 2, 0]),
           lambda x: x.transpose(1, 2, 0), _in(X234)),
    OpCase("transpose_perm_input", lambda x, p: tf.transpose(x, p),
           lambda x, p: x.transpose(p), _in(X234, np.array([2, 0, 1], I32))),
    OpCase("transpose_feed_default", lambda x: tf.transpose(x), lambda x: x.T,
           _in(_ints(2, 3, 4)), feed=True),
    OpCase("invert_permutation", lambda p: tf.invert_permutation(p), np.argsort,
           _in(np.array([3, 4, 0, 2, 1], I32)), feed=True),
    # ConcatV2
    OpCase("concat_axis0", lambda a, b: tf.concat([a, b], 0),
           lambda a, b: np.concatenate([a, b], 0), _in(X23, _normal(1, 3))),
    OpCase("concat_neg_axis_3", lambda a, b, c: tf.concat([a, b, c], -1),
           lambda a, b, c: np.concatenate([a, b, c], -1), _in(X23, _normal(2, 1), X23)),
    OpCase("concat_int_feed", lambda a, b: tf.concat([a, b], 1),
           lambda a, b: np.concatenate([a, b], 1), _in(_ints(2, 2), _ints(2, 3)), feed=True),
    OpCase("concat_axis_input", lambda a, b, ax: tf.concat([_hide(a), _hide(b)], ax),
           lambda a, b, ax: np.concatenate([a, b], ax),
           _in(X23, _normal(2, 2), np.array(-1, np.int64))),
    OpCase("concat_hidden_static_axis", lambda a, b: tf.concat([_hide(a), b], 0),
           lambda a, b: np.concatenate([a, b], 0), _in(_normal(1, 2), _normal(3, 2))),
    # Pack, Unpack
    OpCase("stack_axis0", lambda a, b: tf.stack([a, b]), lambda a, b: np.stack([a, b]),
           _in(X23, X23)),
    OpCase("stack_axis_neg1_feed", lambda a, b, c: tf.stack([a, b, c], axis=-1),
           lambda a, b, c: np.stack([a, b, c], -1), _in(X23, X23, X23), feed=True),
    OpCase("stack_scalars_int", lambda a, b: tf.stack([a, b, 7]),
           lambda a, b: np.array([a, b, 7], I32), _in(np.array(3, I32), np.array(4, I32))),
    OpCase("unstack_axis0", lambda x: tf.unstack(x), lambda x: list(x), _in(X23)),
    OpCase("unstack_axis1", lambda x: tf.unstack(x, axis=1), lambda x: list(x.transpose(1, 0, 2)),
           _in(X234)),
    OpCase("unstack_single_feed", lambda x: tf.unstack(x, num=1), lambda x: [x[0]],
           _in(_normal(1, 3)), feed=True),
    # Split, SplitV
    OpCase("split_equal", lambda x: tf.split(x, 2, axis=2), lambda x: np.split(x, 2, 2),
           _in(X234)),
    OpCase("split_feed", lambda x: tf.split(x, 3, axis=-1), lambda x: np.split(x, 3, -1),
           _in(X23), feed=True),
    OpCase("split_sizes", lambda x: tf.split(x, [1, -1, 2], 2),
           lambda x: np.split(x, [1, 2], 2), _in(X234)),
    OpCase("split_sizes_input", lambda x, s: tf.split(x, s, 1, num=2),
           lambda x, s: np.split(x, [1], 1), _in(X234, np.array([1, 2], I32)), feed=True),
    # ExpandDims, Squeeze
    OpCase("expand_dims_0", lambda x: tf.expand_dims(x, 0), lambda x: x[None], _in(X23)),
    OpCase("expand_dims_neg1_feed", lambda x: tf.expand_dims(x, -1), lambda x: x[..., None],
           _in(X23), feed=True),
    OpCase("squeeze_all", lambda x: tf.squeeze(x), np.squeeze, _in(_normal(1, 3, 1, 2))),
    OpCase("squeeze_axis", lambda x: tf.squeeze(x, [2]), lambda x: np.squeeze(x, 2),
           _in(_normal(1, 3, 1, 2))),
    OpCase("squeeze_feed", lambda x: tf.squeeze(x, axis=-1), lambda x: x[..., 0],
           _in(_normal(2, 1)), feed=True),
    # Tile
    OpCase("tile", lambda x: tf.tile(x, [2, 1, 3]), lambda x: np.tile(x, [2, 1, 3]),
           _in(_normal(1, 2, 2))),
    OpCase("tile_multiples_input", lambda x, m: tf.tile(_hide(x), m),
           lambda x, m: np.tile(x, m), _in(X23, np.array([2, 2], I32))),
    OpCase("tile_feed_int", lambda x, m: tf.tile(x, m), lambda x, m: np.tile(x, m),
           _in(_ints(2, 2), np.array([1, 3], I32)), feed=True),
    # Pad, PadV2, MirrorPad, MirrorPadGrad
    OpCase("pad_constant", lambda x: tf.pad(x, [[1, 0], [2, 2]]),
           lambda x: np.pad(x, [[1, 0], [2, 2]]), _in(X23)),
    OpCase("pad_paddings_input", lambda x, p: tf.pad(_hide(x), p), lambda x, p: np.pad(x, p),
           _in(X23, np.array([[0, 2], [1, 1]], I32))),
    OpCase("pad_v2", lambda x, c: tf.pad(x, [[1, 1], [0, 1]], constant_values=c),
           lambda x, c: np.pad(x, [[1, 1], [0, 1]], constant_values=c),
           _in(X23, np.float32(2.5)), grad=(0,)),
    OpCase("pad_v2_int_feed", lambda x: tf.pad(x, [[2, 1]], constant_values=-7),
           lambda x: np.pad(x, [[2, 1]], constant_values=-7), _in(_ints(3)), feed=True),
    OpCase("pad_reflect", lambda x: tf.pad(x, [[1, 1], [2, 2]], "REFLECT"),
           lambda x: np.pad(x, [[1, 1], [2, 2]], mode="reflect"), _in(_normal(3, 4))),
    OpCase("pad_symmetric", lambda x: tf.pad(x, [[0, 2], [3, 1]], "symmetric"),
           lambda x: np.pad(x, [[0, 2], [3, 1]], mode="symmetric"), _in(_normal(2, 3))),
    OpCase("pad_reflect_feed", lambda x, p: tf.pad(x, p, "REFLECT"),
           lambda x, p: np.pad(x, p, mode="reflect"), _in(_ints(4), np.array([[3, 2]], I32)),
           feed=True),
    OpCase("mirror_pad_grad_reflect",
           lambda dy: apply_op("MirrorPadGrad", dy, tf.constant([[1, 1], [2, 2]]),
                               mode="REFLECT"),
           lambda dy: _mirror_pad_adjoint(dy, [[1, 1], [2, 2]], "REFLECT"),
           _in(_normal(5, 8))),
    OpCase("mirror_pad_grad_symmetric",
           lambda dy: apply_op("MirrorPadGrad", dy, tf.constant([[0, 2], [3, 1]]),
                               mode="SYMMETRIC"),
           lambda dy: _mirror_pad_adjoint(dy, [[0, 2], [3, 1]], "SYMMETRIC"),
           _in(_normal(4, 7))),
    # Slice
    OpCase("slice", lambda x: tf.slice(x, [1, 0, 1], [1, -1, 2]),
           lambda x: x[1:2, :, 1:3], _in(X234)),
    OpCase("slice_begin_input", lambda x, b: tf.slice(x, b, [2, 2]),
           lambda x, b: x[b[0]:b[0] + 2, b[1]:b[1] + 2], _in(_normal(3, 4), np.array([1, 1], I32))),
    OpCase("slice_hidden", lambda x: tf.slice(_hide(x), [0, 1], [-1, 1]),
           lambda x: x[:, 1:2], _in(X23)),
    OpCase("slice_feed_int64", lambda x, b, s: tf.slice(x, b, s),
           lambda x, b, s: x[b[0]:b[0] + s[0]],
           _in(_ints(5), np.array([1], np.int64), np.array([3], np.int64)), feed=True),
    # StridedSlice through __getitem__ and strided_slice
    OpCase("getitem_int", lambda x: x[1], lambda x: x[1], _in(X234)),
    OpCase("getitem_neg_int", lambda x: x[-1, :, -2], lambda x: x[-1, :, -2], _in(X234)),
    OpCase("getitem_slices", lambda x: x[:, 1:3], lambda x: x[:, 1:3], _in(X234)),
    OpCase("getitem_steps", lambda x: x[::-1, ::2, 3:0:-2], lambda x: x[::-1, ::2, 3:0:-2],
           _in(X234)),
    OpCase("getitem_ellipsis_newaxis", lambda x: x[None, ..., None, 1],
           lambda x: x[None, ..., None, 1], _in(X234)),
    OpCase("getitem_ellipsis_mid", lambda x: x[1, ..., 2], lambda x: x[1, ..., 2], _in(X234)),
    OpCase("getitem_clamped", lambda x: x[1:100, -100:2], lambda x: x[1:100, -100:2],
           _in(X23)),
    OpCase("getitem_empty", lambda x: x[2:1], lambda x: x[2:1], _in(X23)),
    OpCase("getitem_scalar", lambda x: x[1, 2], lambda x: x[1, 2], _in(X23)),
    OpCase("getitem_feed", lambda x: x[::-2, 1:], lambda x: x[::-2, 1:], _in(_ints(5, 3)),
           feed=True),
    OpCase("getitem_tensor_index", lambda x, i: x[i, 1:], lambda x, i: x[i, 1:],
           _in(X23, np.array(1, I32))),
    OpCase("getitem_tensor_bounds", lambda x, i: x[i:i + 2], lambda x, i: x[i:i + 2],
           _in(_normal(5), np.array(2, np.int64))),
    OpCase("strided_slice_masks",
           lambda x: tf.strided_slice(x, [0, 2], [2, 0], [1, -1], end_mask=2),
           lambda x: x[0:2, 2::-1], _in(X23)),
    OpCase("strided_slice_shrink_new_axis",
           lambda x: tf.strided_slice(x, [1, 0, 0], [2, 0, 3], [1, 1, 2], new_axis_mask=2,
                                      shrink_axis_mask=1),
           lambda x: x[1, None, 0:3:2], _in(X234)),
    OpCase("strided_slice_inputs", lambda x, b, e, s: tf.strided_slice(x, b, e, s),
           lambda x, b, e, s: x[b[0]:e[0]:s[0], b[1]:e[1]:s[1]],
           _in(_normal(4, 5), np.array([3, 0], I32), np.array([0, 5], I32),
               np.array([-1, 2], I32))),
    OpCase("strided_slice_grad_op",
           lambda dy: apply_op("StridedSliceGrad", tf.constant([3, 4]), tf.constant([0, 1]),
                               tf.constant([0, 4]), tf.constant([1, 2]), dy,
                               **{**MASKS, "begin_mask": 1, "end_mask": 1}),
           lambda dy: _ss_grad_ref((3, 4), np.s_[:, 1:4:2], dy), _in(_normal(3, 2))),
    OpCase("strided_slice_grad_shrink",
           lambda dy: apply_op("StridedSliceGrad", tf.constant([2, 3]), tf.constant([-1]),
                               tf.constant([0]), tf.constant([1]), dy,
                               **{**MASKS, "shrink_axis_mask": 1}),
           lambda dy: _ss_grad_ref((2, 3), np.s_[-1], dy), _in(_normal(3))),
    # boolean_mask and boolean __getitem__ (Where + Squeeze + GatherV2)
    OpCase("boolean_mask_1d", lambda x, m: tf.boolean_mask(x, m), lambda x, m: x[m],
           _in(_normal(5, 2), lambda rng: rng.random(5) > 0.4)),
    OpCase("boolean_mask_2d", lambda x, m: tf.boolean_mask(x, m), lambda x, m: x[m],
           _in(_normal(3, 4), lambda rng: rng.random((3, 4)) > 0.5)),
    OpCase("boolean_mask_axis1_hidden", lambda x, m: tf.boolean_mask(
        tf.placeholder_with_default(x, [None, None, None]), m, axis=1),
        lambda x, m: x[:, m], _in(X234, lambda rng: rng.random((3, 4)) > 0.5)),
    OpCase("getitem_bool_mask", lambda x, m: x[m], lambda x, m: x[m],
           _in(_ints(4, 2), np.array([True, False, True, True]))),
    # GatherV2, GatherV2Grad
    OpCase("gather_axis0", lambda p, i: tf.gather(p, i), lambda p, i: np.take(p, i, 0),
           _in(_normal(4, 3), np.array([3, 0, 3, 1], I32))),
    OpCase("gather_axis1_2d_indices", lambda p, i: tf.gather(p, i, axis=1),
           lambda p, i: np.take(p, i, 1), _in(X234, np.array([[2, 0], [1, 2]], np.int64))),
    OpCase("gather_neg_axis_feed", lambda p, i: tf.gather(p, i, axis=-1),
           lambda p, i: np.take(p, i, -1), _in(X234, np.array([3, 3], I32)), feed=True),
    OpCase("gather_scalar_index_int", lambda p, i: tf.gather(p, i),
           lambda p, i: np.asarray(np.take(p, i, 0)), _in(_ints(5), np.array(2, I32))),
    OpCase("gather_axis_input", lambda p, i, a: tf.gather(_hide(p), i, axis=a),
           lambda p, i, a: np.take(p, i, a), _in(X23, np.array([0, 0, 2], I32),
                                                np.array(1, I32))),
    OpCase("gather_grad_op",
           lambda dy: apply_op("GatherV2Grad", tf.constant([2, 4, 3]), tf.constant([1, 1, 3]),
                               dy, tf.constant(1)),
           lambda dy: _gather_adjoint([2, 4, 3], np.array([1, 1, 3]), dy, 1),
           _in(_normal(2, 3, 3))),
    # GatherNd, ScatterNd, sequence_mask
    OpCase("gather_nd_elements", lambda p, i: tf.gather_nd(p, i),
           lambda p, i: p[tuple(i.T)], _in(X23, np.array([[1, 2], [0, 0], [1, 2]], I32))),
    OpCase("gather_nd_slices", lambda p, i: tf.gather_nd(p, i),
           lambda p, i: p[tuple(np.moveaxis(i, -1, 0))],
           _in(X234, np.array([[[1]], [[0]]], np.int64))),
    OpCase("gather_nd_feed_int", lambda p, i: tf.gather_nd(p, i),
           lambda p, i: p[tuple(np.moveaxis(i, -1, 0))],
           _in(_ints(3, 4), np.array([[2, 3], [0, 1]], I32)), feed=True),
    OpCase("gather_nd_empty_index", lambda p, i: tf.gather_nd(p, i),
           lambda p, i: np.broadcast_to(p, (2, 2)), _in(_normal(2), np.zeros((2, 0), I32))),
    OpCase("scatter_nd", lambda u: tf.scatter_nd([[1, 0], [2, 1], [1, 0]], u, [3, 2]),
           lambda u: _scatter_nd_ref(np.array([[1, 0], [2, 1], [1, 0]]), u, (3, 2)),
           _in(_normal(3))),
    OpCase("scatter_nd_slices_feed", lambda i, u, s: tf.scatter_nd(i, u, s),
           lambda i, u, s: _scatter_nd_ref(i, u, tuple(s)),
           _in(np.array([[2], [0], [2]], I32), _ints(3, 2), np.array([4, 2], I32)), feed=True),
    OpCase("sequence_mask", lambda n: tf.sequence_mask(n, 4),
           lambda n: np.arange(4) < n[:, None], _in(np.array([0, 3, 1, 4], I32))),
    OpCase("sequence_mask_float_feed", lambda n: tf.sequence_mask(n, dtype=tf.float32),
           lambda n: (np.arange(n.max()) < n[..., None]).astype(np.float32),
           _in(np.array([[2, 1], [3, 0]], I32)), feed=True),
    # OneHot
    OpCase("one_hot", lambda i: tf.one_hot(i, 4), lambda i: _one_hot_ref(i, 4),
           _in(np.array([0, 3, -1, 5, 2], I32))),
    OpCase("one_hot_axis0_values", lambda i: tf.one_hot(i, 3, 5, -1, axis=0),
           lambda i: _one_hot_ref(i, 3, 5, -1, 0, I32), _in(np.array([[0, 2], [1, 1]], I32))),
    OpCase("one_hot_feed", lambda i: tf.one_hot(i, 3, dtype=tf.float64, axis=1),
           lambda i: _one_hot_ref(i, 3, axis=1, dtype=np.float64),
           _in(np.array([[0, 2], [1, 7]], np.int64)), feed=True),
    # Fill, ZerosLike, OnesLike
    OpCase("fill", lambda v: tf.fill([2, 3], v), lambda v: np.full([2, 3], v, np.float32),
           _in(np.float32(1.5))),
    OpCase("fill_dims_input", lambda d, v: tf.fill(d, v), lambda d, v: np.full(d, v),
           _in(np.array([3, 1], I32), np.int64(4)), feed=True),
    OpCase("zeros_like_feed", lambda x: tf.zeros_like(x), np.zeros_like, _in(X23), feed=True,
           grad=False),
    OpCase("ones_like_feed", lambda x: tf.ones_like(x), np.ones_like, _in(_ints(2, 3)),
           feed=True),
    OpCase("zeros_like_dtype_feed", lambda x: tf.zeros_like(x, dtype=tf.int64),
           lambda x: np.zeros(x.shape, np.int64), _in(X23), feed=True, grad=False),
    # Shape, Size, Rank
    OpCase("shape_feed", lambda x: tf.shape(x), lambda x: np.array(x.shape, I32), _in(X234),
           feed=True),
    OpCase("shape_int64_feed", lambda x: tf.shape(x, out_type=tf.int64),
           lambda x: np.array(x.shape, np.int64), _in(_ints(0, 3)), feed=True),
    OpCase("size_feed", lambda x: tf.size(x), lambda x: np.array(x.size, I32), _in(X234),
           feed=True),
    OpCase("rank_feed", lambda x: tf.rank(x), lambda x: np.array(x.ndim, I32), _in(X234),
           feed=True),
    # Range
    OpCase("range_python", lambda: tf.range(3, 18, 3), lambda: np.arange(3, 18, 3, dtype=I32),
           []),
    OpCase("range_inputs_feed", lambda s, lim, d: tf.range(s, lim, d),
           lambda s, lim, d: np.arange(s, lim, d, dtype=I32),
           _in(np.array(10, I32), np.array(-3, I32), np.array(-4, I32)), feed=True),
    OpCase("range_float", lambda: tf.range(1, 2.0, 0.25),
           lambda: np.arange(1, 2.0, 0.25, dtype=np.float32), []),
    OpCase("range_int64_limit", lambda lim: tf.range(lim),
           lambda lim: np.arange(lim, dtype=np.int64), _in(np.array(4, np.int64))),
    # BroadcastTo
    OpCase("broadcast_to", lambda x: tf.broadcast_to(x, [2, 3]),
           lambda x: np.broadcast_to(x, [2, 3]), _in(_normal(3))),
    OpCase("broadcast_to_middle", lambda x: tf.broadcast_to(x, [4, 2, 3]),
           lambda x: np.broadcast_to(x, [4, 2, 3]), _in(_normal(2, 1))),
    OpCase("broadcast_to_hidden", lambda x: tf.broadcast_to(
        tf.placeholder_with_default(x, [None, None]), [3, 2, 2]),
        lambda x: np.broadcast_to(x, [3, 2, 2]), _in(_normal(1, 2))),
    OpCase("broadcast_to_feed", lambda x, s: tf.broadcast_to(x, s),
           lambda x, s: np.broadcast_to(x, s), _in(_ints(1, 2), np.array([3, 2], I32)),
           feed=True),
    # ReverseV2
    OpCase("reverse", lambda x: tf.reverse(x, [1]), lambda x: x[:, ::-1], _in(X234)),
    OpCase("reverse_multi_neg", lambda x: tf.reverse(x, [0, -1]), lambda x: x[::-1, :, ::-1],
           _in(X234)),
    OpCase("reverse_feed_none", lambda x, a: tf.reverse(x, a), lambda x, a: x,
           _in(_ints(2, 2), np.zeros([0], I32)), feed=True),
    # VariableValueOrInitial, CountUpTo (state_ops; more in tests/test_variables.py)
    OpCase("initialized_value_uninitialized", lambda x: tf.Variable(x).initialized_value(),
           lambda x: x, _in(X234), grad=False),
    OpCase("count_up_to_returns_the_value_before", _count_up_to_after_init, lambda x: x,
           _in(np.array(7, np.int64))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if not c.feed and c.grad is not False]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


# ----- static shapes, static values, names -----------------------------------------------------
def test_reshape_infers_minus_one_with_unknown_batch():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    assert tf.reshape(x, [-1, 12]).shape.as_list() == [None, 12]
    y = tf.placeholder(tf.float32, [6, 4])
    assert tf.reshape(y, [2, -1, 4]).shape.as_list() == [2, 3, 4]


def test_reshape_static_shape_from_shape_ops():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.float32, [2, 3])
    assert tf.reshape(tf.zeros([3, 2]), tf.shape(y)).shape.as_list() == [2, 3]
    assert tf.reshape(x, [tf.shape(x)[0], 5, 1]).shape.as_list() == [None, 5, 1]
    assert tf.reshape(x, tf.stack([tf.shape(x)[0], -1])).shape.as_list() == [None, None]
    z = tf.zeros(tf.stack([2, tf.shape(x)[0]]))
    assert z.op.type == "Fill" and z.shape.as_list() == [2, None]
    assert tf.zeros(tf.shape(x)).shape.as_list() == [None, 5]
    assert tf.tile(x, [2, 3]).shape.as_list() == [None, 15]
    assert tf.ones(tf.concat([tf.shape(y), [4]], 0)).shape.as_list() == [2, 3, 4]


def test_lists_holding_tensors_autopack():
    x = tf.placeholder(tf.float32, [None, 3])
    n = tf.shape(x)[0]
    packed = tf.convert_to_tensor([n, 3])
    assert packed.op.type == "Pack" and packed.name == "packed:0" and packed.dtype == tf.int32
    nested = tf.convert_to_tensor([[n, 1], [2, n]])
    assert nested.shape.as_list() == [2, 2]
    assert tf.convert_to_tensor([1, 2]).op.type == "Const"
    assert tf.convert_to_tensor([n, 1], dtype_hint=tf.float32).dtype == tf.int32
    with pytest.raises(TypeError, match="Cannot convert a list containing a tensor of dtype "
                                        "int32 to float32"):
        tf.convert_to_tensor([n, 1], dtype=tf.float32)
    with tf.Session() as sess:
        got = sess.run([packed, nested, tf.zeros([n, 2]), tf.scatter_nd([[1]], [5.0], [n])],
                       {x: np.ones((3, 3))})
    assert got[0].tolist() == [3, 3] and got[1].tolist() == [[3, 1], [2, 3]]
    assert got[2].shape == (3, 2) and got[3].tolist() == [0, 5, 0]


def test_constant_values_of_shape_ops():
    x = tf.placeholder(tf.float32, [2, 3])
    cv = shape_fns.constant_value
    assert cv(apply_op("Shape", x, out_type=tf.int32)).tolist() == [2, 3]
    assert cv(apply_op("Size", x, out_type=tf.int32)) == 6
    assert cv(apply_op("Rank", x)) == 2
    assert cv(tf.stack([1, tf.constant(2)])).tolist() == [1, 2]
    assert cv(tf.fill([2], 7)).tolist() == [7, 7]
    assert cv(tf.range(1, 7, 2)).tolist() == [1, 3, 5]
    assert cv(apply_op("Shape", tf.placeholder(tf.float32, [None]), out_type=tf.int32)) is None
    assert cv(tf.constant([[1, 2], [3, 4]])[1, ::-1]).tolist() == [4, 3]


def test_shape_size_rank_are_constants_when_static():
    x = tf.zeros([2, 3])
    assert tf.shape(x).op.type == "Const" and tf.size(x).op.type == "Const"
    assert tf.rank(x).op.type == "Const"
    u = tf.placeholder(tf.float32)
    assert tf.shape(u).op.type == "Shape" and tf.shape(u).shape.as_list() == [None]
    assert tf.rank(u).op.type == "Rank"


def test_zeros_ones_are_const_when_small_and_fill_otherwise():
    assert tf.zeros([2, 3]).op.type == "Const"
    big = tf.ones([100, 100], tf.int32)
    assert big.op.type == "Fill" and big.name == "ones:0" and big.dtype == tf.int32
    assert tf.zeros([], tf.bool).shape.as_list() == []
    with tf.Session() as sess:
        b, z = sess.run([big, tf.zeros(tf.constant(3), tf.bool)])
    assert b.shape == (100, 100) and (b == 1).all()
    assert z.tolist() == [False, False, False]


def test_wrapper_names_follow_tf1():
    x = tf.constant(np.zeros((2, 3), np.float32))
    assert tf.transpose(x).name == "transpose:0"
    assert x[0].name == "strided_slice:0"
    assert x[1].name == "strided_slice_1:0"
    assert tf.concat([x, x], 0).name == "concat:0"
    assert tf.stack([x, x]).name == "stack:0"
    assert tf.reshape(x, [-1]).name == "Reshape:0"
    assert tf.get_default_graph().get_operation_by_name("Reshape/shape").type == "Const"
    with tf.name_scope("scope"):
        assert tf.gather(x, [0]).name == "scope/GatherV2:0"
        assert tf.one_hot([1], 2).name == "scope/one_hot:0"
    assert tf.unstack(x)[1].name == "unstack:1"
    assert tf.range(3).name == "range:0"


def test_getitem_accepts_numpy_ints_and_rejects_floats():
    x = tf.zeros([4, 4])
    assert x[np.int64(1), 2:].shape.as_list() == [2]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[1.5]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[tf.constant(1.0)]


def test_split_and_unstack_return_lists():
    parts = tf.split(tf.zeros([4, 6]), 3, axis=1)
    assert isinstance(parts, list) and [p.shape.as_list() for p in parts] == [[4, 2]] * 3
    one = tf.unstack(tf.zeros([1, 2]))
    assert isinstance(one, list) and len(one) == 1


def test_concat_of_one_tensor_is_identity():
    x = tf.zeros([2])
    y = tf.concat([x], 0)
    assert y.op.type == "Identity" and y.name == "concat:0"


def test_gradient_uses_ones_like_signature():
    x = tf.placeholder(tf.float32, [None, 3])
    g = tf.gradients(tf.reshape(x, [-1]), x)[0]
    with tf.Session() as sess:
        assert sess.run(g, {x: np.zeros((2, 3))}).tolist() == [[1, 1, 1], [1, 1, 1]]


def test_gather_gradient_accumulates_repeated_indices():
    p = tf.placeholder(tf.float32, [3, 2])
    g = tf.convert_to_tensor(tf.gradients(tf.gather(p, [2, 2, 0, 2]), p)[0])
    with tf.Session() as sess:
        got = sess.run(g, {p: np.zeros((3, 2))})
    np.testing.assert_array_equal(got, [[1, 1], [0, 0], [3, 3]])


def test_range_dtype_rules():
    assert tf.range(5).dtype == tf.int32
    assert tf.range(5.0).dtype == tf.float32
    assert tf.range(1, 5, dtype=tf.float64).dtype == tf.float64
    assert tf.range(tf.constant(5, tf.int64)).dtype == tf.int64


def test_one_hot_dtype_rules():
    assert tf.one_hot([1], 3).dtype == tf.float32
    assert tf.one_hot([1], 3, on_value=2).dtype == tf.int32
    with pytest.raises(TypeError, match="does not match"):
        tf.one_hot([1], 3, on_value=tf.constant(1.0), dtype=tf.int32)


def test_boolean_mask_needs_a_mask_of_known_rank():
    x = tf.zeros([3, 2])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(x, True)
    with pytest.raises(ValueError, match="Number of mask dimensions must be specified"):
        tf.boolean_mask(x, tf.placeholder(tf.bool))
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(x, [True, False])


# ----- errors ----------------------------------------------------------------------------------
def _run_error(fetch, feed=None):
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(fetch, feed)
    return str(info.value)


def test_reshape_runtime_error_message():
    x = tf.placeholder(tf.float32)
    msg = _run_error(tf.reshape(x, [4]), {x: np.zeros((2, 3))})
    assert "Input to reshape is a tensor with 6 values, but the requested shape has 4" in msg
    msg = _run_error(tf.reshape(x, [4, -1]), {x: np.zeros((2, 3))})
    assert "requested shape requires a multiple of 4" in msg


def test_reshape_build_error():
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 6 elements to shape "
                                         r"\[4\] \(4 elements\) for 'Reshape' \(op: 'Reshape'\)"):
        tf.reshape(tf.zeros([2, 3]), [4])
    with pytest.raises(ValueError, match="Only one input size may be -1"):
        tf.reshape(tf.zeros([2, 3]), [-1, -1])


def test_concat_build_errors():
    with pytest.raises(TypeError, match=r"Tensors in list passed to 'values' of 'ConcatV2' Op "
                                        r"have types \[float32, int32\] that don't all match"):
        tf.concat([tf.zeros([2]), tf.constant([1])], 0)
    with pytest.raises(ValueError, match="Dimension 1 in both shapes must be equal, but are 3 "
                                         "and 4"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2, 4])], 0)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2])], 0)


def test_concat_runtime_error():
    a = tf.placeholder(tf.float32)
    msg = _run_error(tf.concat([a, tf.zeros([2, 4])], 0), {a: np.zeros((2, 3))})
    assert "ConcatOp : Dimensions of inputs should match" in msg


def test_stack_errors():
    with pytest.raises(ValueError, match="Shapes must be equal rank"):
        tf.stack([tf.zeros([2]), tf.zeros([2, 1])])
    with pytest.raises(ValueError, match=r"axis = 3 not in \[-2, 2\)"):
        tf.stack([tf.zeros([2]), tf.zeros([2])], axis=3)
    a = tf.placeholder(tf.float32)
    msg = _run_error(tf.stack([a, tf.zeros([2])]), {a: np.zeros(3)})
    assert "Shapes of all inputs must match" in msg


def test_unstack_needs_num():
    with pytest.raises(ValueError, match="Cannot infer num from shape"):
        tf.unstack(tf.placeholder(tf.float32, [None, 2]))


def test_split_errors():
    with pytest.raises(ValueError, match="evenly divisible by 2 but is 5"):
        tf.split(tf.zeros([5]), 2)
    x = tf.placeholder(tf.float32)
    msg = _run_error(tf.split(x, 2, num=2), {x: np.zeros(5)})
    assert "Number of ways to split should evenly divide the split dimension" in msg
    msg = _run_error(tf.split(x, [2, 2], 0), {x: np.zeros(5)})
    assert "Determined shape must either match input shape" in msg


def test_squeeze_and_expand_dims_errors():
    with pytest.raises(ValueError, match=r"Can not squeeze dim\[1\], expected a dimension of 1, "
                                         "got 3"):
        tf.squeeze(tf.zeros([1, 3]), [1])
    with pytest.raises(ValueError, match="Tried to expand dim index 3 for tensor with 1 "
                                         "dimensions"):
        tf.expand_dims(tf.zeros([2]), 3)
    x = tf.placeholder(tf.float32)
    assert "Can not squeeze dim[0]" in _run_error(tf.squeeze(x, [0]), {x: np.zeros((2, 1))})


def test_strided_slice_errors():
    x = tf.zeros([3, 4])
    with pytest.raises(ValueError, match="slice index 3 of dimension 0 out of bounds"):
        x[3]
    with pytest.raises(ValueError, match="strides.* must be non-zero"):
        x[::0]
    with pytest.raises(ValueError, match="Index out of range using input dim 2"):
        x[1, 2, 3]
    p = tf.placeholder(tf.float32)
    assert "slice index -5 of dimension 1 out of bounds" in _run_error(
        p[:, -9], {p: np.zeros((2, 4))})


def test_gather_out_of_range_is_invalid_argument_on_cpu():
    p = tf.constant([1.0, 2.0, 3.0])
    i = tf.placeholder(tf.int32)
    assert "indices[1] = 5 is not in [0, 3)" in _run_error(tf.gather(p, i), {i: [0, 5]})
    assert "indices[1,0] = -1 is not in [0, 3)" in _run_error(tf.gather(p, i),
                                                               {i: [[0], [-1]]})


def test_gather_nd_and_scatter_nd_errors():
    with pytest.raises(ValueError, match="indices.shape.-1. must be <= params.rank"):
        tf.gather_nd(tf.zeros([2]), [[0, 1]])
    i = tf.placeholder(tf.int32)
    msg = _run_error(tf.gather_nd(tf.zeros([3, 2]), i), {i: [[0, 1], [3, 0]]})
    assert "indices[1] = [3, 0] does not index into param shape [3,2]" in msg
    msg = _run_error(tf.scatter_nd(i, [1.0, 2.0], [3]), {i: [[0], [-1]]})
    assert "indices[1] = [-1] does not index into shape [3]" in msg
    with pytest.raises(ValueError, match="must match the outer 1 dimensions of updates"):
        tf.scatter_nd([[0], [1]], [1.0, 2.0, 3.0], [3])


def test_slice_and_pad_errors():
    x = tf.zeros([3, 4])
    with pytest.raises(ValueError, match=r"Expected size\[1\] in \[0, 2\], but got 3"):
        tf.slice(x, [0, 2], [1, 3])
    with pytest.raises(ValueError, match="paddings must be less than the dimension size"):
        tf.pad(x, [[3, 0], [0, 0]], "REFLECT")
    with pytest.raises(ValueError, match="Unknown padding mode"):
        tf.pad(x, [[3, 0], [0, 0]], "WRAP")
    p = tf.placeholder(tf.int32)
    msg = _run_error(tf.slice(x, p, [1, 1]), {p: [0, 5]})
    assert "Expected begin[1] in [0, 4], but got 5" in msg


def test_tile_fill_range_errors():
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.tile(tf.zeros([2, 2]), [2])
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.fill([2], tf.constant([1, 2]))
    with pytest.raises(ValueError, match="Requires delta != 0"):
        tf.range(0, 5, 0)
    d = tf.placeholder(tf.int32)
    assert "Requires delta != 0: 0" in _run_error(tf.range(0, 5, d), {d: 0})
    m = tf.placeholder(tf.int32)
    assert "Expected multiples argument to be a vector of length 2" in _run_error(
        tf.tile(tf.zeros([2, 2]), m), {m: [1, 2, 3]})


def test_dtype_errors_name_the_argument():
    with pytest.raises(TypeError, match="Value passed to parameter 'shape' has DataType "
                                        "float32 not in list of allowed values: int32, int64"):
        tf.reshape(tf.zeros([2]), tf.constant([2.0]))
    with pytest.raises(TypeError, match="Input 'limit' of 'Range' Op has type int64 that does "
                                        "not match type int32 of argument 'start'"):
        apply_op("Range", tf.constant(0), tf.constant(5, tf.int64), tf.constant(1))


def test_broadcast_to_errors():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        tf.broadcast_to(tf.zeros([3]), [2, 4])
    s = tf.placeholder(tf.int32)
    assert "Unable to broadcast tensor of shape [3] to tensor of shape [2,4]" in _run_error(
        tf.broadcast_to(tf.zeros([3]), s), {s: [2, 4]})


def test_gpu_overrides_follow_tf_gpu_semantics_with_numpy_as_xp():
    rng = np.random.default_rng(3)
    params = rng.standard_normal((3, 4, 2)).astype(np.float32)
    idx = np.array([[3, -1], [0, 4]], np.int32)
    got = array_ops._gather_gpu(np, params, idx, np.array(1, np.int32))
    want = np.take(params, np.clip(idx, 0, 3), 1) * ((idx >= 0) & (idx < 4))[None, :, :, None]
    np.testing.assert_array_equal(got, want)
    nd = np.array([[2, 1], [3, 0], [0, -2]], np.int64)
    got = array_ops._gather_nd_gpu(np, params, nd)
    np.testing.assert_array_equal(got, [params[2, 1], np.zeros(2), np.zeros(2)])
    upd = np.ones((3, 2), np.float32)
    got = array_ops._scatter_nd_gpu(np, nd, upd, np.array([3, 4, 2], np.int64))
    want = np.zeros((3, 4, 2), np.float32)
    want[2, 1] = 1
    np.testing.assert_array_equal(got, want)


# ----- GPU -------------------------------------------------------------------------------------
def _gpu_or_skip():
    from devices.discovery import gpu_count

    if gpu_count() == 0:
        pytest.skip("no CUDA GPU answers through CuPy on this machine")


def _device_graph(x):
    return [tf.reshape(x, [-1, 6]), tf.transpose(x, [2, 0, 1]), x[1:, ::-2, 3],
            tf.concat([x, x], 1), tf.tile(x, [1, 2, 1]), tf.pad(x, [[1, 1], [0, 0], [2, 0]]),
            tf.pad(x, [[1, 1], [0, 0], [2, 0]], "SYMMETRIC"), tf.gather(x, [3, 0, 3], axis=1),
            tf.one_hot([0, 3, 1], 4), tf.range(2, 11, 3), tf.fill([2, 2], 3.0),
            tf.broadcast_to(x[:1], [3, 5, 6]), tf.reverse(x, [0, 2]),
            tf.split(x, [1, 4], 1)[1], tf.unstack(x)[2], tf.shape(_hide(x)),
            tf.gather_nd(x, [[1, 2], [3, 4]]), tf.boolean_mask(x, x[:, :, 0] > 0),
            tf.gradients(tf.reduce_sum(tf.gather_nd(x, [[1, 2], [1, 2]])), x)[0],
            tf.convert_to_tensor(tf.gradients(tf.reduce_sum(tf.gather(x, [1, 1, 0])), x)[0]),
            tf.gradients(tf.reduce_sum(tf.pad(x, [[1, 2], [0, 0], [2, 2]], "REFLECT")), x)[0]]


@pytest.mark.gpu
def test_kernels_on_gpu_match_cpu():
    _gpu_or_skip()
    x_val = np.random.default_rng(0).standard_normal((4, 5, 6)).astype(np.float32)
    x = tf.placeholder(tf.float32, [4, 5, 6])
    with tf.device("/device:GPU:0"):
        on_gpu = _device_graph(x)
        oob = tf.gather(tf.constant([1.0, 2.0]), [0, 7])
    with tf.device("/device:CPU:0"):
        on_cpu = _device_graph(x)
    with tf.Session() as sess:
        got = sess.run(on_gpu + on_cpu + [oob], {x: x_val})
    n = len(on_gpu)
    for g, w in zip(got[:n], got[n:2 * n]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert got[-1].tolist() == [1.0, 0.0]  # TF's GPU gather: out-of-range gives 0


def test_module_exports():
    for name in ("reshape", "transpose", "concat", "stack", "unstack", "split", "expand_dims",
                 "squeeze", "tile", "pad", "slice", "strided_slice", "gather", "one_hot",
                 "fill", "zeros", "ones", "zeros_like", "ones_like", "shape", "size", "rank",
                 "range", "broadcast_to", "reverse", "invert_permutation", "boolean_mask",
                 "gather_nd", "scatter_nd", "sequence_mask"):
        assert getattr(tf, name) is getattr(array_ops, name)
    assert tf.newaxis is None
