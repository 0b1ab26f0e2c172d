"""manip_ops, search_ops, sort/argsort, shape_util_ops and bitwise_ops vs numpy; gradients
vs finite differences."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import bitwise_ops as bw
from flowexec.ops import manip_ops as mo
from flowexec.ops import search_ops as se
from flowexec.ops import shape_util_ops as su
from flowexec.ops import sort_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _n(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _np_reverse_sequence(x, lengths, seq_axis, batch_axis):
    out = x.copy()
    for b, n in enumerate(lengths):
        src = np.take(x, b, axis=batch_axis)
        dst_axis = seq_axis - (seq_axis > batch_axis)
        rev = np.flip(np.take(src, np.arange(n), axis=dst_axis), axis=dst_axis)
        idx = [slice(None)] * x.ndim
        idx[batch_axis] = b
        idx[seq_axis] = slice(0, n)
        out[tuple(idx)] = rev
    return out


def _np_space_to_batch(x, block, pads):
    m = len(block)
    x = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - m))
    b = x.shape[0]
    out = []
    for offs in np.ndindex(*block):
        sl = [slice(None)] + [slice(o, None, k) for o, k in zip(offs, block)]
        out.append(x[tuple(sl)])
    return np.concatenate(out, 0).reshape((np.prod(block) * b,) + out[0].shape[1:])


def _np_unique(x):
    _, first = np.unique(x, return_index=True)
    y = x[np.sort(first)]
    idx = np.array([list(y).index(v) for v in x], dtype=np.int32)
    return y, idx


X4 = np.arange(2 * 3 * 5 * 2, dtype=np.float64).reshape(2, 3, 5, 2)

CASES = [
    OpCase("roll", lambda x: mo.roll(x, 2, 1), lambda x: np.roll(x, 2, 1), _n((3, 5))),
    OpCase("roll_multi_axis", lambda x: mo.roll(x, [1, -2, 1], [0, 1, 0]),
           lambda x: np.roll(x, (1, -2, 1), (0, 1, 0)), _n((3, 5))),
    OpCase("reverse_sequence", lambda x: mo.reverse_sequence(x, [1, 3, 0], seq_axis=1),
           lambda x: _np_reverse_sequence(x, [1, 3, 0], 1, 0), _n((3, 4, 2))),
    OpCase("reverse_sequence_batch_after_seq",
           lambda x: mo.reverse_sequence(x, [2, 4], seq_axis=0, batch_axis=2),
           lambda x: _np_reverse_sequence(x, [2, 4], 0, 2), _n((4, 3, 2))),
    OpCase("unravel_index", lambda i, d: mo.unravel_index(i, d),
           lambda i, d: np.stack(np.unravel_index(i, d)).astype(np.int32),
           [np.array([1, 5, 4], np.int32), np.array([3, 2], np.int32)]),
    OpCase("unravel_index_scalar", mo.unravel_index,
           lambda i, d: np.array(np.unravel_index(i, d), np.int64),
           [np.int64(7), np.array([2, 2, 2], np.int64)]),
    OpCase("linspace_f32", lambda a, b: mo.linspace(a, b, 4),
           lambda a, b: np.linspace(a, b, 4).astype(np.float32),
           [np.float32(0.0), np.float32(1.0)], grad=False),
    OpCase("lin_space", lambda a, b: mo.lin_space(a, b, 5), lambda a, b: np.linspace(a, b, 5),
           [np.float64(-1.0), np.float64(3.0)], grad=False),
    OpCase("meshgrid_xy", lambda a, b, c: mo.meshgrid(a, b, c),
           lambda a, b, c: np.meshgrid(a, b, c), _n((2,), (3,), (4,))),
    OpCase("meshgrid_ij", lambda a, b: mo.meshgrid(a, b, indexing="ij"),
           lambda a, b: np.meshgrid(a, b, indexing="ij"), _n((2,), (3,))),
    OpCase("repeat_axis", lambda x: mo.repeat(x, [2, 0, 3], axis=0),
           lambda x: np.repeat(x, [2, 0, 3], axis=0), _n((3, 2))),
    OpCase("repeat_flat_scalar", lambda x: mo.repeat(x, 2), lambda x: np.repeat(x, 2),
           _n((2, 3))),
    OpCase("where_v2", lambda c, x, y: mo.where_v2(c, x, y), np.where,
           lambda rng: [rng.random((3, 1)) > 0.5, rng.standard_normal((4,)),
                        rng.standard_normal((3, 4))]),
    OpCase("space_to_batch_nd", lambda x: mo.space_to_batch_nd(x, [2, 3], [[1, 0], [0, 1]]),
           lambda x: _np_space_to_batch(x, [2, 3], [[1, 0], [0, 1]]), [X4]),
    OpCase("batch_to_space_nd_inverts",
           lambda x: mo.batch_to_space_nd(mo.space_to_batch_nd(x, [2, 3], [[1, 0], [0, 1]]),
                                          [2, 3], [[1, 0], [0, 1]]), lambda x: x, _n((2, 3, 5, 2))),
    OpCase("space_to_batch_grad", lambda x: mo.space_to_batch(x, [[0, 1], [1, 0]], 2),
           lambda x: _np_space_to_batch(x, [2, 2], [[0, 1], [1, 0]]), _n((1, 3, 3, 1))),
    OpCase("batch_to_space", lambda x: mo.batch_to_space(x, [[0, 0], [0, 1]], 2),
           lambda x: x.reshape(2, 2, 1, 2, 3, 1).transpose(2, 3, 0, 4, 1, 5).reshape(
               1, 4, 6, 1)[:, :, :5], _n((4, 2, 3, 1))),
    OpCase("searchsorted_left", lambda s, v: se.searchsorted(s, v),
           lambda s, v: np.stack([np.searchsorted(a, b) for a, b in zip(s, v)]).astype(np.int32),
           [np.array([[0, 3, 9, 10, 10], [1, 2, 3, 4, 5]]), np.array([[2, 4, 10], [0, 5, 6]])]),
    OpCase("searchsorted_right_1d", lambda s, v: se.searchsorted(s, v, side="right",
                                                                 out_type=tf.int64),
           lambda s, v: np.searchsorted(s, v, side="right"),
           [np.array([0.0, 3.0, 9.0, 10.0, 10.0]), np.array([10.0, -1.0, 3.0])], grad=False),
    OpCase("unique", se.unique, _np_unique, [np.array([1, 1, 2, 4, 4, 4, 7, 8, 8, -3, 2])]),
    OpCase("unique_with_counts", se.unique_with_counts,
           lambda x: _np_unique(x) + (np.array([3, 1, 2], np.int32),),
           [np.array([4.0, 1.0, 4.0, 2.0, 2.0, 4.0])], grad=False),
    OpCase("setdiff1d", se.setdiff1d,
           lambda x, y: (x[~np.isin(x, y)], np.nonzero(~np.isin(x, y))[0].astype(np.int32)),
           [np.array([1, 2, 3, 4, 5, 6, 2]), np.array([1, 3, 5])]),
    OpCase("bincount", se.bincount, lambda x: np.bincount(x).astype(np.int32),
           [np.array([1, 1, 3, 0, 7], np.int32)]),
    OpCase("bincount_weights_min_max",
           lambda x, w: se.bincount(x, w, minlength=3, maxlength=5),
           lambda x, w: np.bincount(x[x < 5], w[x < 5], minlength=5)[:5],
           [np.array([1, 1, 6, 0], np.int32), np.array([0.5, 1.0, 2.0, 3.0])], grad=False),
    OpCase("histogram_fixed_width",
           lambda v, r: se.histogram_fixed_width(v, r, nbins=5),
           lambda v, r: np.array([2, 1, 1, 0, 2], np.int32),
           [np.array([-1.0, 0.0, 1.5, 2.0, 5.0, 15]), np.array([0.0, 5.0])], grad=False),
    OpCase("histogram_fixed_width_random",
           lambda v, r: se.histogram_fixed_width(v, r, nbins=7),
           lambda v, r: np.histogram(np.clip(v, 0, 1), bins=7, range=(0, 1))[0].astype(np.int32),
           lambda rng: [rng.uniform(-0.2, 1.2, 50), np.array([0.0, 1.0])], grad=False),
    OpCase("histogram_fixed_width_bins",
           lambda v, r: se.histogram_fixed_width_bins(v, r, nbins=5),
           lambda v, r: np.array([[0, 0, 1], [2, 4, 4]], np.int32),
           [np.array([[-1.0, 0.0, 1.5], [2.0, 5.0, 15]]), np.array([0.0, 5.0])], grad=False),
    OpCase("sort", so.sort, lambda x: np.sort(x, -1), _n((3, 5))),
    OpCase("sort_axis0_descending", lambda x: so.sort(x, axis=0, direction="DESCENDING"),
           lambda x: -np.sort(-x, 0), _n((4, 3))),
    OpCase("sort_int_extremes", so.sort, np.sort,
           [np.array([5, np.iinfo(np.int32).min, 0, np.iinfo(np.int32).max, -1], np.int32)]),
    OpCase("sort_uint8", so.sort, np.sort, [np.array([5, 255, 0, 7], np.uint8)]),
    OpCase("argsort_stable", so.argsort,
           lambda x: np.argsort(x, kind="stable").astype(np.int32),
           [np.array([3.0, 1.0, 3.0, 0.0, 1.0])], grad=False),
    OpCase("argsort_descending_axis1", lambda x: so.argsort(x, 0, "DESCENDING"),
           lambda x: np.argsort(-x, 0, kind="stable").astype(np.int32),
           [np.array([[3, 1], [2, 2], [3, 0]])]),
    OpCase("ensure_shape", lambda x: su.ensure_shape(x, [None, 3]), lambda x: x, _n((2, 3)),
           feed=True),
    OpCase("broadcast_dynamic_shape", su.broadcast_dynamic_shape,
           lambda a, b: np.array(np.broadcast_shapes(tuple(a), tuple(b)), np.int32),
           [np.array([1, 2, 3], np.int32), np.array([5, 1, 1, 3], np.int32)]),
    OpCase("bitcast_float_to_int", lambda x: su.bitcast(x, tf.int32),
           lambda x: x.view(np.int32), [np.array([1.0, -2.5], np.float32)], grad=False),
    OpCase("bitcast_widen", lambda x: su.bitcast(x, tf.float32),
           lambda x: x.view(np.float32).reshape(2), [np.array([[0, 0, 128, 63], [0, 0, 0, 64]],
                                                              np.uint8)]),
    OpCase("bitcast_narrow", lambda x: su.bitcast(x, tf.uint16),
           lambda x: x.view(np.uint16).reshape(2, 2), [np.array([1, 70000], np.int32)]),
    OpCase("identity_n", lambda a, b: su.identity_n([a, b]), lambda a, b: [a, b],
           _n((2,), (3, 1))),
    OpCase("guarantee_const", su.guarantee_const, lambda x: x, _n((2,)), grad=False),
    OpCase("bitwise_and", bw.bitwise_and, np.bitwise_and,
           [np.array([12, 7, -1], np.int32), np.array([10, 1, 5], np.int32)]),
    OpCase("bitwise_or", bw.bitwise_or, np.bitwise_or,
           [np.array([12, 7], np.uint8), np.array([[10], [1]], np.uint8)]),
    OpCase("bitwise_xor", bw.bitwise_xor, np.bitwise_xor,
           [np.array([12, 7], np.int64), np.array([10, 1], np.int64)]),
    OpCase("invert", bw.invert, np.invert, [np.array([0, 5, -3], np.int16)]),
    OpCase("left_shift", bw.left_shift, np.left_shift,
           [np.array([1, 3, -2], np.int32), np.array([2, 4, 1], np.int32)]),
    OpCase("right_shift", bw.right_shift, np.right_shift,
           [np.array([16, -16, 255], np.int32), np.array([2, 2, 4], np.int32)]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_run_time_errors_name_the_problem():
    x = tf.placeholder(tf.float32)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible with expected"):
            sess.run(su.ensure_shape(x, [None, 3]), {x: np.zeros((2, 4))})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Requires num > 0"):
            sess.run(mo.lin_space(0.0, 1.0, tf.placeholder_with_default(0, [])))
        with pytest.raises(tf.errors.InvalidArgumentError, match="seq_lengths"):
            sess.run(mo.reverse_sequence(tf.zeros([2, 3]), [4, 1], seq_axis=1))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
            p = tf.placeholder(tf.int32)
            sess.run(su.broadcast_dynamic_shape(p, [3]), {p: [2]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="value_range"):
            sess.run(se.histogram_fixed_width([1.0], [1.0, 0.0]))


def test_build_time_errors_and_static_shapes():
    with pytest.raises(ValueError, match="not compatible"):
        su.ensure_shape(tf.zeros([2, 4]), [2, 3])
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        su.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))
    assert su.broadcast_static_shape([None, 1], [4, 5]).as_list() == [4, 5]
    with pytest.raises(ValueError, match="side"):
        se.searchsorted([1], [1], side="middle")
    with pytest.raises(ValueError, match="direction"):
        so.sort([1.0], direction="UP")
    with pytest.raises(ValueError, match="indexing"):
        mo.meshgrid([1], indexing="yx")
    with pytest.raises(ValueError, match="fully defined"):
        su.parallel_stack([tf.placeholder(tf.float32, [None])])
    assert mo.lin_space(0.0, 1.0, 4).shape.as_list() == [4]
    assert su.bitcast(tf.zeros([2], tf.float64), tf.int8).shape.as_list() == [2, 8]
    assert [s.shape.as_list() for s in su.shape_n([tf.zeros([2]), tf.zeros([3, 4])])] == [
        [1], [2]]
    assert tf.gradients(se.unique(tf.constant([1.0]))[0], tf.constant(1.0)) == [None]


def test_parallel_stack_and_shape_n_values():
    with tf.Session() as sess:
        out = sess.run(su.parallel_stack([tf.constant([1, 4]), tf.constant([2, 5])]))
        np.testing.assert_array_equal(out, [[1, 4], [2, 5]])
        shapes = sess.run(su.shape_n([tf.zeros([2]), tf.zeros([3, 4])], out_type=tf.int64))
        assert [s.tolist() for s in shapes] == [[2], [3, 4]] and shapes[0].dtype == np.int64
