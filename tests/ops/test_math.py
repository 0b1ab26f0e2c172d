"""math_ops: forward vs numpy, inferred vs actual dtype/shape, gradients vs finite differences,
build-time and run-time errors in TF's words, TF1 op names and the Tensor operators."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import EXPENSIVE, apply_op
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


# ----- input generators -----------------------------------------------------------------------
def _f(*shapes, low=-2.0, high=2.0, dtype=np.float64):
    return lambda rng: [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]


def _nz(*shapes, dtype=np.float64):
    """Floats with |x| in [0.5, 2): safe divisors."""
    def gen(rng):
        out = []
        for s in shapes:
            mag = rng.uniform(0.5, 2.0, size=s)
            out.append((mag * rng.choice([-1.0, 1.0], size=s)).astype(dtype))
        return out
    return gen


def _i(*shapes, low=-5, high=6, dtype=np.int32):
    return lambda rng: [rng.integers(low, high, size=s).astype(dtype) for s in shapes]


def _b(*shapes):
    return lambda rng: [rng.random(s) < 0.5 for s in shapes]


def _unknown(t):
    """`t` with its static shape hidden, so ops take their run-time-shape paths."""
    return tf.placeholder_with_default(t, shape=None)


def _ranked(t):
    """`t` with known rank but unknown dimensions."""
    return tf.placeholder_with_default(t, shape=[None] * t.shape.ndims)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _cum(fn, x, axis, exclusive, reverse, ident):
    if reverse:
        x = np.flip(x, axis)
    out = fn(x, axis=axis)
    if exclusive:
        head = np.full_like(np.take(out, [0], axis=axis), ident)
        out = np.concatenate([head, np.take(out, np.arange(x.shape[axis] - 1), axis=axis)],
                             axis=axis)
    return np.flip(out, axis) if reverse else out


def _trunc_mean(x, axis=None):
    s = x.astype(np.int64).sum(axis=axis)
    n = x.size // np.size(s)
    return (np.sign(s) * (np.abs(s) // n)).astype(x.dtype)


def _bga_ref(s0, s1):
    a, b = list(s0), list(s1)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    r0 = [i for i in range(n) if a[i] != b[i] and a[i] == 1]
    r1 = [i for i in range(n) if a[i] != b[i] and b[i] == 1]
    return np.array(r0, s0.dtype), np.array(r1, s0.dtype)


_PROD_ZEROS = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [2.0, -1.0, 0.5]])
_PROD_ZEROS_3D = np.array([[[1.5, 0.0], [2.0, 1.0]], [[0.5, -1.0], [0.0, 0.0]],
                           [[1.0, 2.0], [3.0, -0.5]]])


# ----- the table ------------------------------------------------------------------------------
CASES = [
    # arithmetic, with broadcasting
    OpCase("add", tf.add, np.add, _f((2, 3), (2, 3))),
    OpCase("add_bcast", tf.add, np.add, _f((2, 3), (3,))),
    OpCase("add_bcast_both", tf.add, np.add, _f((2, 1), (1, 3))),
    OpCase("add_f32", tf.add, np.add, _f((2, 3), (3,), dtype=np.float32)),
    OpCase("add_int", tf.add, np.add, _i((2, 3), (3,))),
    OpCase("add_uint8", tf.add, np.add, _i((4,), (4,), low=0, high=100, dtype=np.uint8)),
    OpCase("add_scalar_f32", lambda x, y: x + y, np.add,
           [np.float32(1.5), np.float32(2.25)]),
    OpCase("add_dynamic", lambda x, y: tf.add(_unknown(x), _unknown(y)), np.add,
           _f((2, 3), (3,))),
    OpCase("add_dynamic_ones", lambda x, y: tf.add(_ranked(x), _ranked(y)), np.add,
           _f((2, 1), (1, 3))),
    OpCase("add_fed", tf.add, np.add, _f((2, 3), (2, 1)), feed=True),
    OpCase("add_v2", lambda x, y: apply_op("AddV2", x, y), np.add, _f((2, 3), (3,))),
    OpCase("sub", tf.subtract, np.subtract, _f((2, 3), (3,))),
    OpCase("sub_int64", tf.subtract, np.subtract, _i((3,), (3,), dtype=np.int64)),
    OpCase("mul", tf.multiply, np.multiply, _f((2, 3), (2, 1))),
    OpCase("mul_dynamic", lambda x, y: _unknown(x) * y, np.multiply, _f((4, 1, 3), (2, 1))),
    OpCase("mul_int16", tf.multiply, np.multiply, _i((3,), (3,), dtype=np.int16)),
    OpCase("realdiv", tf.realdiv, np.true_divide, _nz((2, 3), (3,))),
    OpCase("truediv_f32", tf.truediv, np.true_divide, _nz((3,), (3,), dtype=np.float32)),
    OpCase("truediv_int32", tf.truediv, np.true_divide,
           lambda rng: [rng.integers(-9, 9, 4).astype(np.int32),
                        rng.integers(1, 5, 4).astype(np.int32)]),
    OpCase("truediv_int8", lambda x, y: x / y,
           lambda x, y: x.astype(np.float32) / y.astype(np.float32),
           [np.array([7, -7, 3], np.int8), np.array([2, 2, 4], np.int8)]),
    OpCase("divide", tf.divide, np.true_divide, _nz((2, 2), (2, 2))),
    OpCase("div_int_floors", tf.div, np.floor_divide,
           [np.array([7, -7, 6], np.int32), np.array([2, 2, -4], np.int32)]),
    OpCase("div_float", tf.div, np.true_divide, _nz((3,), (3,))),
    OpCase("floordiv_int", tf.floordiv, np.floor_divide,
           [np.array([7, -7, 0, 5], np.int32), np.array([2, 2, 3, -3], np.int32)]),
    OpCase("floordiv_float", tf.floordiv, np.floor_divide, _nz((2, 3), (3,)), grad=False),
    OpCase("floormod_int", tf.floormod, np.mod,
           [np.array([7, -7, 0, 5], np.int64), np.array([3, 3, 3, -3], np.int64)]),
    OpCase("floormod_float", tf.floormod, np.mod,
           lambda rng: [rng.uniform(0.3, 5, (2, 3)), rng.uniform(0.6, 0.9, (3,))]),
    OpCase("pow", tf.pow, np.power, lambda rng: [rng.uniform(0.5, 2, (2, 3)),
                                                 rng.uniform(-2, 2, (3,))]),
    OpCase("pow_int", tf.pow, np.power, [np.array([2, -3, 5], np.int32),
                                         np.array([3, 2, 0], np.int32)]),
    OpCase("maximum", tf.maximum, np.maximum, _f((2, 3), (3,))),
    OpCase("minimum", tf.minimum, np.minimum, _f((2, 3), (2, 1))),
    OpCase("maximum_int", tf.maximum, np.maximum, _i((5,), (5,))),
    OpCase("squared_difference", tf.squared_difference, lambda x, y: (x - y) ** 2,
           _f((2, 3), (3,))),
    OpCase("squared_difference_int", tf.squared_difference, lambda x, y: (x - y) ** 2,
           _i((4,), (4,))),
    OpCase("add_n", lambda *xs: tf.add_n(list(xs)), lambda *xs: sum(xs),
           _f((2, 3), (2, 3), (2, 3))),
    OpCase("add_n_int", lambda *xs: tf.add_n(list(xs)), lambda *xs: sum(xs),
           _i((4,), (4,), (4,), (4,))),
    OpCase("add_n_scalars", lambda *xs: tf.add_n(list(xs)), lambda *xs: sum(xs),
           [np.float32(1), np.float32(2), np.float32(3.5)]),
    # unary
    OpCase("negative", tf.negative, np.negative, _f((2, 3))),
    OpCase("negative_int", lambda x: -x, np.negative, _i((3,))),
    OpCase("abs", tf.abs, np.abs, _nz((2, 3))),
    OpCase("abs_int", abs, np.abs, _i((4,))),
    OpCase("sign", tf.sign, np.sign, _nz((5,))),
    OpCase("square", tf.square, np.square, _f((2, 3))),
    OpCase("square_int", tf.square, np.square, _i((3,))),
    OpCase("sqrt", tf.sqrt, np.sqrt, _f((2, 3), low=0.5)),
    OpCase("rsqrt", tf.rsqrt, lambda x: 1 / np.sqrt(x), _f((4,), low=0.5)),
    OpCase("reciprocal", tf.reciprocal, np.reciprocal, _nz((2, 2))),
    OpCase("exp", tf.exp, np.exp, _f((2, 3))),
    OpCase("exp_f32", tf.exp, np.exp, _f((4,), dtype=np.float32)),
    OpCase("log", tf.log, np.log, _f((2, 3), low=0.5)),
    OpCase("log1p", tf.log1p, np.log1p, _f((4,), low=-0.5)),
    OpCase("sin", tf.sin, np.sin, _f((4,))),
    OpCase("cos", tf.cos, np.cos, _f((4,))),
    OpCase("tanh", tf.tanh, np.tanh, _f((2, 3))),
    OpCase("sigmoid", tf.sigmoid, _sigmoid, _f((2, 3), low=-6, high=6)),
    OpCase("sigmoid_f32", tf.sigmoid, _sigmoid,
           [np.array([-80, -20, -1, 0, 1, 20, 80], np.float32)], rtol=1e-5, atol=0),
    OpCase("sigmoid_f16", tf.sigmoid, _sigmoid, [np.array([-3, 0, 3], np.float16)],
           rtol=2e-3, grad=False),
    # TF's TanhGrad(y, dy) / SigmoidGrad(y, dy) on their own: forward, and (finite
    # differences) their own gradients, the second derivatives
    OpCase("tanh_grad_op", lambda y, dy: apply_op("TanhGrad", y, dy),
           lambda y, dy: dy * (1 - y * y), _f((2, 3), (2, 3), low=-0.9, high=0.9)),
    OpCase("sigmoid_grad_op", lambda y, dy: apply_op("SigmoidGrad", y, dy),
           lambda y, dy: dy * y * (1 - y), _f((2, 3), (2, 3), low=0.05, high=0.95)),
    OpCase("sigmoid_grad_op_scalar", lambda y, dy: apply_op("SigmoidGrad", y, dy),
           lambda y, dy: dy * y * (1 - y), [np.float64(0.3), np.float64(-2.0)]),
    OpCase("floor", tf.floor, np.floor, _f((2, 3)), grad=False),
    OpCase("ceil", tf.ceil, np.ceil, _f((4,), dtype=np.float32), grad=False),
    OpCase("round", tf.round, np.round, [np.array([0.5, 1.5, 2.5, -0.5, -1.7])], grad=False),
    OpCase("conj", tf.conj, np.conj, [np.array([1 + 2j, -3j], np.complex128)]),
    OpCase("is_finite", tf.is_finite, np.isfinite, [np.array([1, np.inf, -np.inf, np.nan])],
           grad=False),
    OpCase("is_nan", tf.is_nan, np.isnan, [np.array([1, np.inf, np.nan], np.float32)],
           grad=False),
    OpCase("is_inf", tf.is_inf, np.isinf, [np.array([1, np.inf, -np.inf, np.nan])],
           grad=False),
    # comparisons and logic
    OpCase("equal", tf.equal, np.equal, [np.array([1, 2, 3]), np.array([1, 0, 3])]),
    OpCase("equal_bool", tf.equal, np.equal, _b((3,), (3,))),
    OpCase("not_equal", tf.not_equal, np.not_equal, _i((2, 3), (3,), low=0, high=2)),
    OpCase("less", tf.less, np.less, _f((2, 3), (3,)), grad=False),
    OpCase("less_equal", tf.less_equal, np.less_equal, _i((4,), (4,), low=0, high=3)),
    OpCase("greater", tf.greater, np.greater, _f((3,), (3,)), grad=False),
    OpCase("greater_equal", tf.greater_equal, np.greater_equal,
           _i((4,), (1,), low=0, high=3)),
    OpCase("operators_compare", lambda x, y: [x < y, x <= y, x > y, x >= y],
           lambda x, y: [x < y, x <= y, x > y, x >= y], _i((6,), (6,), low=0, high=3)),
    OpCase("logical_and", tf.logical_and, np.logical_and, _b((2, 3), (3,))),
    OpCase("logical_or", tf.logical_or, np.logical_or, _b((4,), (4,))),
    OpCase("logical_not", tf.logical_not, np.logical_not, _b((4,))),
    OpCase("logical_xor", tf.logical_xor, np.logical_xor, _b((2, 3), (2, 3))),
    OpCase("operators_logic", lambda x, y: [x & y, x | y, x ^ y, ~x],
           lambda x, y: [x & y, x | y, x ^ y, ~x], _b((5,), (5,))),
    # cast
    OpCase("cast_f2i", lambda x: tf.cast(x, tf.int32), lambda x: x.astype(np.int32),
           [np.array([1.7, -1.7, 0.2, 3.0])], grad=False),
    OpCase("cast_i2f", tf.to_float, lambda x: x.astype(np.float32), _i((3,))),
    OpCase("cast_b2i", tf.to_int64, lambda x: x.astype(np.int64), _b((4,))),
    OpCase("cast_f2b", lambda x: tf.cast(x, tf.bool), lambda x: x.astype(bool),
           [np.array([0.0, 1.5, -2.0])], grad=False),
    OpCase("cast_f64_f32_grad", lambda x: tf.cast(tf.cast(x, tf.float32) * 4, tf.float64),
           lambda x: x.astype(np.float32).astype(np.float64) * 4,
           [np.array([0.5, -0.25, 2.0])], grad=False),
    OpCase("to_int32", tf.to_int32, lambda x: x.astype(np.int32), _f((3,)), grad=False),
    OpCase("to_double", tf.to_double, lambda x: x.astype(np.float64), _i((3,))),
    # select / where
    OpCase("where_select", lambda c, x, y: tf.where(c > 0, x, y),
           lambda c, x, y: np.where(c > 0, x, y), _f((2, 3), (2, 3), (2, 3)), grad=(1, 2)),
    OpCase("where_select_rows", lambda c, x, y: tf.where(c > 0, x, y),
           lambda c, x, y: np.where((c > 0)[:, None], x, y), _f((3,), (3, 2), (3, 2)),
           grad=(1, 2)),
    OpCase("where_select_scalar", lambda c, x, y: tf.where(c > 0, x, y),
           lambda c, x, y: np.where(c > 0, x, y), [np.array(1.0), np.ones(3), np.zeros(3)],
           grad=(1, 2)),
    OpCase("where_select_fed_rows", lambda c, x, y: tf.where(c, x, y),
           lambda c, x, y: np.where(c[:, None], x, y),
           [np.array([True, False]), np.ones((2, 2), np.int32), np.zeros((2, 2), np.int32)],
           feed=True),
    OpCase("where_coords", tf.where, np.argwhere, _b((3, 4))),
    OpCase("where_coords_int", tf.where, np.argwhere, [np.array([0, 3, 0, -1], np.int32)]),
    # matmul
    OpCase("matmul", tf.matmul, np.matmul, _f((2, 3), (3, 4))),
    OpCase("matmul_ta", lambda a, b: tf.matmul(a, b, transpose_a=True),
           lambda a, b: a.T @ b, _f((3, 2), (3, 4))),
    OpCase("matmul_tb", lambda a, b: tf.matmul(a, b, transpose_b=True),
           lambda a, b: a @ b.T, _f((2, 3), (4, 3))),
    OpCase("matmul_ta_tb", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
           lambda a, b: a.T @ b.T, _f((3, 2), (4, 3))),
    OpCase("matmul_adjoint", lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True),
           lambda a, b: a.T @ b.T, _f((3, 2), (4, 3))),
    OpCase("matmul_f32", tf.matmul, np.matmul, _f((4, 5), (5, 3), dtype=np.float32),
           rtol=1e-5),
    OpCase("matmul_int", tf.matmul, np.matmul, _i((2, 3), (3, 2))),
    OpCase("matmul_operator", lambda a, b: a @ b, np.matmul, _f((2, 2), (2, 3))),
    OpCase("matmul_complex_adjoint", lambda a, b: tf.matmul(a, b, adjoint_a=True),
           lambda a, b: a.conj().T @ b,
           [np.array([[1 + 1j, 2], [0, 1j]]), np.array([[1, 2j], [3, 4]], np.complex128)]),
    OpCase("batch_matmul", tf.matmul, np.matmul, _f((2, 2, 3), (2, 3, 2))),
    OpCase("batch_matmul_bcast", tf.matmul, np.matmul, _f((2, 1, 2, 3), (3, 3, 2))),
    OpCase("batch_matmul_rank2_rhs", tf.matmul, np.matmul, _f((2, 2, 3), (3, 2))),
    OpCase("batch_matmul_adj", lambda a, b: tf.matmul(a, b, transpose_a=True,
                                                      adjoint_b=True),
           lambda a, b: np.swapaxes(a, -1, -2) @ np.swapaxes(b, -1, -2),
           _f((2, 3, 2), (1, 2, 3))),
    OpCase("batch_matmul_dynamic", lambda a, b: tf.matmul(_unknown(a), _unknown(b)),
           np.matmul, _f((2, 1, 2, 3), (3, 3, 2))),
    OpCase("batch_matmul_complex_t", lambda a, b: tf.matmul(a, b, transpose_a=True),
           lambda a, b: np.swapaxes(a, -1, -2) @ b,
           [np.array([[[1 + 1j, 2], [0, 1j]]]), np.array([[[1, 2j], [3, 4]]], np.complex128)]),
    OpCase("tensordot_1", lambda a, b: tf.tensordot(a, b, 1),
           lambda a, b: np.tensordot(a, b, 1), _f((2, 3), (3, 2))),
    OpCase("tensordot_pairs", lambda a, b: tf.tensordot(a, b, [[0, 2], [2, 0]]),
           lambda a, b: np.tensordot(a, b, [[0, 2], [2, 0]]), _f((2, 3, 2), (2, 2, 2))),
    OpCase("tensordot_dynamic", lambda a, b: tf.tensordot(_ranked(a), b, [[1], [0]]),
           lambda a, b: np.tensordot(a, b, [[1], [0]]), _f((2, 3), (3, 2))),
    # reductions
    OpCase("sum_all", tf.reduce_sum, np.sum, _f((2, 3))),
    OpCase("sum_axis0", lambda x: tf.reduce_sum(x, 0), lambda x: x.sum(0), _f((2, 3))),
    OpCase("sum_neg_keep", lambda x: tf.reduce_sum(x, -1, keepdims=True),
           lambda x: x.sum(-1, keepdims=True), _f((2, 3))),
    OpCase("sum_list", lambda x: tf.reduce_sum(x, [0, 2]), lambda x: x.sum((0, 2)),
           _f((2, 3, 2))),
    OpCase("sum_empty_axes", lambda x: tf.reduce_sum(x, []), lambda x: x, _f((2, 2))),
    OpCase("sum_int", lambda x: tf.reduce_sum(x, 1), lambda x: x.sum(1, dtype=np.int32),
           _i((3, 4))),
    OpCase("sum_f32", tf.reduce_sum, lambda x: x.sum(dtype=np.float32),
           _f((3, 4), dtype=np.float32), rtol=1e-5),
    OpCase("sum_dynamic", lambda x: tf.reduce_sum(_unknown(x), [1]), lambda x: x.sum(1),
           _f((2, 3, 2))),
    OpCase("sum_dynamic_all", lambda x: tf.reduce_sum(_unknown(x)), np.sum, _f((2, 3))),
    OpCase("sum_dynamic_keep", lambda x: tf.reduce_sum(_ranked(x), [0, 2], keepdims=True),
           lambda x: x.sum((0, 2), keepdims=True), _f((2, 3, 2))),
    OpCase("sum_fed_axis", lambda x, a: tf.reduce_sum(x, a), lambda x, a: x.sum(tuple(a)),
           [np.arange(6.0).reshape(2, 3), np.array([1], np.int32)], feed=True),
    OpCase("sum_axis_tensor_grad",
           lambda x: tf.reduce_sum(x, _unknown(tf.constant([-1]))), lambda x: x.sum(-1),
           _f((2, 3))),
    OpCase("mean", lambda x: tf.reduce_mean(x, 1), lambda x: x.mean(1), _f((2, 3))),
    OpCase("mean_all", tf.reduce_mean, np.mean, _f((2, 3))),
    OpCase("mean_f32", tf.reduce_mean, lambda x: x.mean(dtype=np.float32),
           _f((3, 3), dtype=np.float32), rtol=1e-5),
    OpCase("mean_keep", lambda x: tf.reduce_mean(x, [0], keep_dims=True),
           lambda x: x.mean(0, keepdims=True), _f((3, 2))),
    OpCase("mean_dynamic", lambda x: tf.reduce_mean(_unknown(x), 0), lambda x: x.mean(0),
           _f((3, 2))),
    OpCase("mean_int_truncates", lambda x: tf.reduce_mean(x, 1),
           lambda x: _trunc_mean(x, 1), [np.array([[1, 2], [-1, -2], [-3, 4]], np.int32)]),
    OpCase("mean_uint8", tf.reduce_mean, _trunc_mean,
           [np.array([200, 250, 255], np.uint8)]),
    OpCase("max", lambda x: tf.reduce_max(x, 1), lambda x: x.max(1), _f((3, 4))),
    OpCase("max_all", tf.reduce_max, np.max, _f((2, 3))),
    OpCase("max_int", lambda x: tf.reduce_max(x, 0), lambda x: x.max(0), _i((3, 2))),
    OpCase("max_dynamic", lambda x: tf.reduce_max(_unknown(x), [0, 2]),
           lambda x: x.max((0, 2)), _f((2, 3, 2))),
    OpCase("max_keep", lambda x: tf.reduce_max(x, 0, keepdims=True),
           lambda x: x.max(0, keepdims=True), _f((3, 2))),
    OpCase("min", lambda x: tf.reduce_min(x, -1), lambda x: x.min(-1), _f((3, 4))),
    OpCase("min_empty", lambda x: tf.reduce_min(x, 1),
           lambda x: np.full((2,), np.inf), [np.zeros((2, 0))], grad=False),
    OpCase("max_empty_int", lambda x: tf.reduce_max(x),
           lambda x: np.int32(np.iinfo(np.int32).min), [np.zeros((0, 3), np.int32)]),
    OpCase("prod", lambda x: tf.reduce_prod(x, 1), lambda x: x.prod(1), _nz((3, 3))),
    OpCase("prod_zeros", lambda x: tf.reduce_prod(x, 1), lambda x: x.prod(1), [_PROD_ZEROS]),
    OpCase("prod_zeros_all", tf.reduce_prod, np.prod, [_PROD_ZEROS]),
    OpCase("prod_zeros_perm", lambda x: tf.reduce_prod(x, [0, 2]), lambda x: x.prod((0, 2)),
           [_PROD_ZEROS_3D]),
    OpCase("prod_zeros_ranked", lambda x: tf.reduce_prod(_ranked(x), [2]),
           lambda x: x.prod(2), [_PROD_ZEROS_3D]),
    OpCase("prod_dynamic", lambda x: tf.reduce_prod(_unknown(x), 0), lambda x: x.prod(0),
           _nz((3, 2))),
    OpCase("prod_int", tf.reduce_prod, lambda x: x.prod(dtype=np.int32),
           _i((2, 3), low=1, high=4)),
    OpCase("any", lambda x: tf.reduce_any(x, 1), lambda x: x.any(1), _b((3, 4))),
    OpCase("all", tf.reduce_all, np.all, _b((2, 2))),
    OpCase("all_keep", lambda x: tf.reduce_all(x, 0, keepdims=True),
           lambda x: x.all(0, keepdims=True), _b((3, 2))),
    OpCase("logsumexp", lambda x: tf.reduce_logsumexp(x, 1),
           lambda x: np.log(np.exp(x).sum(1)), _f((2, 3))),
    OpCase("logsumexp_all_big", tf.reduce_logsumexp,
           lambda x: 1000 + np.log(np.exp(x - 1000).sum()),
           lambda rng: [rng.uniform(999, 1001, (2, 3))]),
    OpCase("logsumexp_keep_dynamic", lambda x: tf.reduce_logsumexp(_unknown(x), 0, True),
           lambda x: np.log(np.exp(x).sum(0, keepdims=True)), _f((3, 2))),
    OpCase("count_nonzero", lambda x: tf.count_nonzero(x, 1),
           lambda x: np.count_nonzero(x, 1).astype(np.int64), _i((3, 4), low=0, high=2)),
    OpCase("argmax", lambda x: tf.argmax(x, 1), lambda x: x.argmax(1), _f((3, 4)), grad=False),
    OpCase("argmax_default_axis", tf.argmax, lambda x: x.argmax(0), _i((3, 4))),
    OpCase("argmax_int32_out", lambda x: tf.argmax(x, -1, output_type=tf.int32),
           lambda x: x.argmax(-1).astype(np.int32), _f((2, 5)), grad=False),
    OpCase("argmin", lambda x: tf.argmin(x, 0), lambda x: x.argmin(0), _f((3, 4)), grad=False),
    OpCase("argmin_fed", lambda x: tf.argmin(x, 0), lambda x: x.argmin(0), _i((4,)),
           feed=True),
    # cumulative
    OpCase("cumsum", tf.cumsum, lambda x: np.cumsum(x, 0), _f((4,))),
    OpCase("cumsum_axis1_excl", lambda x: tf.cumsum(x, 1, exclusive=True),
           lambda x: _cum(np.cumsum, x, 1, True, False, 0), _f((2, 3))),
    OpCase("cumsum_rev", lambda x: tf.cumsum(x, -1, reverse=True),
           lambda x: _cum(np.cumsum, x, 1, False, True, 0), _f((2, 3))),
    OpCase("cumsum_excl_rev_int", lambda x: tf.cumsum(x, exclusive=True, reverse=True),
           lambda x: _cum(np.cumsum, x, 0, True, True, 0), _i((5,))),
    OpCase("cumprod", lambda x: tf.cumprod(x, 1), lambda x: np.cumprod(x, 1), _nz((2, 3))),
    OpCase("cumprod_excl_rev", lambda x: tf.cumprod(x, 0, exclusive=True, reverse=True),
           lambda x: _cum(np.cumprod, x, 0, True, True, 1), _nz((4, 2))),
    # internal helper ops
    OpCase("broadcast_gradient_args",
           lambda a, b: apply_op("BroadcastGradientArgs", a, b), _bga_ref,
           [np.array([2, 1, 3], np.int32), np.array([4, 1], np.int32)]),
    OpCase("broadcast_gradient_args_fed",
           lambda a, b: apply_op("BroadcastGradientArgs", a, b), _bga_ref,
           [np.array([5, 1], np.int64), np.array([3, 1, 6], np.int64)], feed=True),
    OpCase("reduced_shape", lambda s, a: apply_op("ReducedShape", s, a),
           lambda s, a: np.array([2, 1, 4, 1], np.int32),
           [np.array([2, 3, 4, 5], np.int32), np.array([1, -1], np.int32)]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


# ----- names and operators --------------------------------------------------------------------
def test_constant_plus_constant_prints_like_tf1():
    c = tf.constant(2) + tf.constant(2)
    assert str(c) == 'Tensor("add:0", shape=(), dtype=int32)'


@pytest.mark.parametrize("build, name, op_type", [
    (lambda a, b: a + b, "add", "Add"), (lambda a, b: a - b, "sub", "Sub"),
    (lambda a, b: a * b, "mul", "Mul"), (lambda a, b: a / b, "truediv", "RealDiv"),
    (lambda a, b: a // b, "floordiv", "FloorDiv"), (lambda a, b: a % b, "mod", "FloorMod"),
    (lambda a, b: a ** b, "pow", "Pow"), (lambda a, b: a @ b, "matmul", "MatMul"),
    (lambda a, b: a < b, "Less", "Less"), (lambda a, b: a <= b, "LessEqual", "LessEqual"),
    (lambda a, b: a > b, "Greater", "Greater"),
    (lambda a, b: a >= b, "GreaterEqual", "GreaterEqual"),
    (lambda a, b: -a, "Neg", "Neg"), (lambda a, b: abs(a), "Abs", "Abs"),
])
def test_operator_names_follow_tf1(build, name, op_type):
    a, b = tf.constant([[1.0]]), tf.constant([[2.0]])
    out = build(a, b)
    assert (out.op.name, out.op.type) == (name, op_type)


def test_logical_operator_names():
    a, b = tf.constant([True]), tf.constant([False])
    assert (a & b).op.name == "and" and (a | b).op.name == "or"
    assert (a ^ b).op.name == "xor" and (~a).op.type == "LogicalNot"
    assert {op.name for op in tf.get_default_graph().get_operations()} >= {
        "xor/LogicalOr", "xor/LogicalAnd", "xor/LogicalNot"}


def test_python_scalar_becomes_named_constant_of_tensor_dtype():
    a = tf.constant(3.0, dtype=tf.float64)
    y = a + 2
    assert y.op.inputs[1].op.name == "add/y" and y.op.inputs[1].dtype == tf.float64
    r = 2 - a
    assert r.op.name == "sub" and r.op.inputs[0].op.name == "sub/x"
    assert r.op.inputs[1] is a
    g = tf.add(a, 1)  # names are unique case-insensitively: "add" is taken
    assert (g.op.name, g.op.inputs[1].op.name) == ("Add_1", "Add_1/y")


def test_numpy_scalar_on_the_left_defers_to_tensor():
    a = tf.constant([1.0, 2.0])
    out = np.float32(3) * a
    assert out.op.type == "Mul" and out.dtype == tf.float32
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(out), [3.0, 6.0])


def test_lossy_scalar_conversion_is_type_error():
    with pytest.raises(TypeError, match=r"Expected int32, got 2.5 of type 'float' instead."):
        tf.constant(1) + 2.5
    with pytest.raises(TypeError, match=r"Expected int32, got 2.5"):
        2.5 * tf.constant(1)


def test_reflected_operators_compute_with_swapped_operands():
    a = tf.constant(4.0)
    with tf.Session() as sess:
        got = sess.run([10 - a, 10 / a, 10 // a, 10 % a, 2 ** a, 1 + a, 3 * a])
    np.testing.assert_allclose(got, [6.0, 2.5, 2.0, 2.0, 16.0, 5.0, 12.0])


def test_truediv_casts_integers_like_tf1():
    for dt, want in ((tf.int8, tf.float32), (tf.uint16, tf.float32), (tf.int32, tf.float64),
                     (tf.int64, tf.float64), (tf.float16, tf.float16)):
        out = tf.constant([1], dtype=dt) / tf.constant([2], dtype=dt)
        assert out.dtype == want, dt
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert "truediv/Cast" in names and "truediv/Cast_1" in names


def test_truediv_rejects_bool_and_mixed_dtypes():
    with pytest.raises(TypeError, match=r"Invalid dtype tf.bool in __truediv__"):
        tf.constant([True]) / tf.constant([False])
    with pytest.raises(TypeError, match=r"x and y must have the same dtype, got tf.int32 != "
                                        r"tf.float32"):
        tf.truediv(tf.constant(1), tf.constant(1.0))


def test_tensor_eq_is_still_identity():
    a = tf.constant(1)
    same = a
    assert a == same and a != tf.constant(1)


def test_cast_to_same_dtype_returns_input():
    a = tf.constant([1.0])
    assert tf.cast(a, tf.float32) is a
    assert tf.to_float(tf.constant([1])).op.name == "ToFloat"


def test_cast_constant_value_is_folded():
    from flowexec.ops import shape_fns

    c = tf.cast(tf.constant([1.5, 2.5]), tf.int32)
    np.testing.assert_array_equal(shape_fns.constant_value(c), [1, 2])


_CAST_TYPES = [tf.bool, tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8, tf.uint16, tf.uint32,
               tf.uint64, tf.float16, tf.float32, tf.float64]
_CAST_VALUES = [0, 1, -1, 0.5, 1.5, 2.5, -2.5, 127, 128, 255, 256, -129, 300, 65504, 65536,
                70000, 2**31 - 1, 2**31, -2**31, 2**32, 2**53 + 1, 2**63 - 1, 1e-8, 1e20,
                -1e20, np.inf, -np.inf, np.nan]


def test_cast_of_numpy_scalars_equals_astype_for_every_real_pair():
    """A while loop's values are numpy scalars; Cast converts them without astype."""
    from flowexec.ops.math_ops import _cast

    with np.errstate(all="ignore"):
        for src in _CAST_TYPES:
            for v in _CAST_VALUES:
                try:
                    x = src.np.type(v)
                except (OverflowError, ValueError):
                    continue
                for dst in _CAST_TYPES:
                    got, expect = _cast.kernel(np, x, DstT=dst), x.astype(dst.np)
                    assert type(got) is type(expect), (src, v, dst)
                    assert got == expect or (got != got and expect != expect), (src, v, dst)


def test_cast_in_a_loop_matches_numpy():
    _, y = tf.while_loop(lambda i, y: i < 40,
                         lambda i, y: (i + 1, y + tf.cast(tf.cast(i * 1000, tf.int8),
                                                          tf.float16)),
                         (tf.constant(0), tf.constant(0.0, tf.float16)))
    expect = np.float16(0)
    with np.errstate(all="ignore"):
        for i in range(40):
            expect = expect + np.float16(np.int8(np.int32(i * 1000)))
    with tf.Session() as sess:
        got = sess.run(y)
    assert got.dtype == np.float16 and got == expect


def test_piecewise_constant_ops_pass_no_gradient():
    x = tf.placeholder(tf.float32, [2])
    for fn in (tf.floor, tf.ceil, tf.round):
        assert tf.gradients(tf.reduce_sum(fn(x)), x) == [None]


def test_cast_gradient_only_between_float_types():
    x = tf.placeholder(tf.float32, [2])
    g_int, = tf.gradients(tf.reduce_sum(tf.cast(tf.cast(x, tf.int32), tf.float32)), x)
    assert g_int is None
    g64, = tf.gradients(tf.reduce_sum(tf.cast(x, tf.float64) * 3), x)
    assert g64.dtype == tf.float32
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g64, {x: [1.0, 2.0]}), [3.0, 3.0])


def test_where_select_is_named_where_and_condition_is_not_differentiated():
    c = tf.placeholder(tf.bool, [2])
    x = tf.placeholder(tf.float32, [2])
    out = tf.where(c, x, tf.constant([0.0, 0.0]))
    assert (out.op.name, out.op.type) == ("Where", "Select")
    assert tf.where(c).op.type == "Where" and tf.where(c).dtype == tf.int64


def test_reduce_aliases():
    x = tf.constant([[1, 2], [3, 4]])
    a = tf.reduce_sum(x, reduction_indices=[1], keep_dims=True)
    assert a.shape.as_list() == [2, 1] and a.op.name == "Sum"
    assert a.op.inputs[1].op.name == "Sum/reduction_indices"
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'reduction_indices'"):
        tf.reduce_sum(x, axis=0, reduction_indices=0)
    with pytest.raises(ValueError, match="Cannot specify both 'keepdims' and 'keep_dims'"):
        tf.reduce_sum(x, keepdims=True, keep_dims=True)
    assert tf.argmax(x, dimension=1).shape.as_list() == [2]


def test_reduce_of_unknown_rank_over_all_axes_is_scalar():
    x = tf.placeholder(tf.float32, shape=None)
    s = tf.reduce_sum(x)
    assert s.shape.as_list() == []
    with tf.Session() as sess:
        assert sess.run(s, {x: np.ones((2, 3, 4), np.float32)}) == 24


def test_reduction_static_shapes():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    assert tf.reduce_mean(x, [1, -1]).shape.as_list() == [None]
    assert tf.reduce_max(x, 0, keepdims=True).shape.as_list() == [1, 3, 4]
    axis = tf.placeholder(tf.int32, [1])
    assert tf.reduce_sum(x, axis, keepdims=True).shape.as_list() == [None, None, None]
    assert tf.reduce_sum(x, axis).shape.ndims is None


def test_matmul_cost_is_nanoseconds_from_multiply_adds():
    a = tf.placeholder(tf.float32, [64, 32])
    b = tf.placeholder(tf.float32, [32, 16])
    mm = tf.matmul(a, b)
    assert mm.op.op_def.estimated_cost(mm.op) == 64 * 16 * 32 / 20.0
    bmm = tf.matmul(tf.placeholder(tf.float32, [3, 8, 4]), tf.placeholder(tf.float32, [4, 5]),
                    transpose_a=False)
    assert bmm.op.op_def.estimated_cost(bmm.op) == 3 * 8 * 5 * 4 / 20.0
    unknown = tf.matmul(tf.placeholder(tf.float32, [None, 4]),
                        tf.placeholder(tf.float32, [4, 2]))
    assert unknown.op.op_def.estimated_cost(unknown.op) == EXPENSIVE


def test_static_unbroadcast_adds_no_shape_ops():
    x = tf.placeholder(tf.float32, [2, 3])
    y = tf.placeholder(tf.float32, [3])
    gx, gy = tf.gradients(tf.reduce_sum(x * y), [x, y])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert "BroadcastGradientArgs" not in types and "Shape" not in types
    assert gx.shape.as_list() == [2, 3] and gy.shape.as_list() == [3]


def test_dynamic_unbroadcast_uses_broadcast_gradient_args():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 3])
    gx, gy = tf.gradients(tf.reduce_sum(x + y), [x, y])
    types = [op.type for op in tf.get_default_graph().get_operations()]
    assert "BroadcastGradientArgs" in types
    with tf.Session() as sess:
        a, b = sess.run([gx, gy], {x: np.ones((2, 3)), y: np.ones((1, 3))})
    np.testing.assert_allclose(a, np.ones((2, 3)))
    np.testing.assert_allclose(b, [[2.0, 2.0, 2.0]])


def test_add_n_single_input_passes_through():
    a = tf.constant([1.0])
    assert tf.add_n([a]) is a
    assert tf.add_n([a], name="named").op.name == "named"
    with pytest.raises(ValueError, match="inputs must be a list"):
        tf.add_n([])


# ----- build-time errors ----------------------------------------------------------------------
def test_dtype_mismatch_names_the_op():
    with pytest.raises(TypeError, match=r"^Input 'y' of 'Add' Op has type float32 that does not "
                                        r"match type int32 of argument 'x'.$"):
        tf.add(tf.constant(1), tf.constant(1.0))
    with pytest.raises(TypeError, match=r"Input 'b' of 'MatMul' Op has type float64"):
        tf.matmul(tf.constant([[1.0]]), tf.constant([[1.0]], dtype=tf.float64))


def test_broadcast_shape_mismatch_is_value_error():
    with pytest.raises(ValueError, match=r"^Dimensions must be equal, but are 3 and 4 for 'Mul' "
                                         r"\(op: 'Mul'\) with input shapes: \[2,3\], \[4\]\.$"):
        tf.multiply(tf.constant(np.zeros((2, 3))), tf.constant(np.zeros(4)))


def test_matmul_shape_errors_in_tf_words():
    a = tf.constant(np.zeros((2, 3), np.float32))
    b = tf.constant(np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match=r"^Dimensions must be equal, but are 3 and 4 for "
                                         r"'MatMul' \(op: 'MatMul'\) with input shapes: "
                                         r"\[2,3\], \[4,5\].$"):
        tf.matmul(a, b)
    with pytest.raises(ValueError, match=r"Shape must be rank 2 but is rank 1"):
        tf.matmul(tf.constant([1.0]), tf.constant([[1.0]]))
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 2 and 3"):
        tf.matmul(tf.constant(np.zeros((2, 2, 3))), tf.constant(np.zeros((3, 3, 2))))
    with pytest.raises(ValueError, match="Only one of transpose_a and adjoint_a"):
        tf.matmul(a, b, transpose_a=True, adjoint_a=True)


def test_disallowed_dtypes_are_type_errors():
    with pytest.raises(TypeError, match=r"Value passed to parameter 'x' has DataType int32 not "
                                        r"in list of allowed values: bfloat16, float16, float32"):
        tf.exp(tf.constant([1]))
    with pytest.raises(TypeError, match=r"DataType int32 not in list of allowed values: bool"):
        tf.logical_and(tf.constant([1]), tf.constant([0]))
    with pytest.raises(TypeError, match=r"DataType bool"):
        tf.add(tf.constant(True), tf.constant(False))
    with pytest.raises(TypeError, match=r"parameter 'reduction_indices' has DataType float32"):
        tf.reduce_sum(tf.constant([1.0]), tf.constant([0.0]))


def test_reduction_axis_out_of_range_at_build_time():
    with pytest.raises(ValueError, match=r"Invalid reduction dimension 2 for input with 2 "
                                         r"dimensions for 'Sum'"):
        tf.reduce_sum(tf.constant([[1, 2]]), 2)
    with pytest.raises(ValueError, match=r"Expected dimension in the range \[-1, 1\), but got 1"):
        tf.argmax(tf.constant([1, 2]), 1)


def test_add_n_and_select_shape_and_dtype_errors():
    with pytest.raises(TypeError, match=r"Tensors in list passed to 'inputs' of 'AddN' Op have "
                                        r"types \[float32, int32\] that don't all match."):
        tf.add_n([tf.constant(1.0), tf.constant(1)])
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 2 "
                                         r"and 3"):
        tf.add_n([tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0, 3.0])])
    with pytest.raises(ValueError, match="x and y must both be non-None or both be None."):
        tf.where(tf.constant([True]), tf.constant([1]))
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 2"):
        tf.where(tf.constant([True, False, True]), tf.constant(np.zeros((2, 2))),
                 tf.constant(np.zeros((2, 2))))
    with pytest.raises(TypeError, match=r"Input 'e' of 'Select' Op has type int32"):
        tf.where(tf.constant([True]), tf.constant([1.0]), tf.constant([1]))


# ----- run-time errors ------------------------------------------------------------------------
def _run_error(out, feed):
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(out, feed)
    return str(info.value)


def test_integer_division_by_zero_is_invalid_argument():
    x = tf.placeholder(tf.int32, [2])
    assert "Integer division by zero" in _run_error(x // tf.constant([1, 0]), {x: [1, 2]})
    assert "Integer division by zero" in _run_error(x % tf.constant([0, 1]), {x: [1, 2]})


def test_integer_negative_power_is_invalid_argument():
    x = tf.placeholder(tf.int32, [2])
    msg = _run_error(tf.pow(tf.constant([2, 2]), x), {x: [1, -1]})
    assert "Integers to negative integer powers are not allowed" in msg


def test_runtime_shape_errors_in_tf_words():
    a = tf.placeholder(tf.float32)
    b = tf.placeholder(tf.float32)
    assert "Incompatible shapes: [2,3] vs. [4]" in _run_error(
        a + b, {a: np.zeros((2, 3)), b: np.zeros(4)})
    assert "Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]" in _run_error(
        tf.matmul(a, b), {a: np.zeros((2, 3)), b: np.zeros((4, 5))})
    c = tf.placeholder(tf.float32, [None, None])
    d = tf.placeholder(tf.float32, [None, None])
    assert "In[0]: [2,3], In[1]: [4,5]" in _run_error(
        tf.matmul(c, d), {c: np.zeros((2, 3)), d: np.zeros((4, 5))})
    assert "must have the same size and shape" in _run_error(
        tf.add_n([a, b]), {a: np.zeros(2), b: np.zeros(3)})


def test_runtime_reduction_axis_errors():
    x = tf.placeholder(tf.float32)
    axis = tf.placeholder(tf.int32)
    s = tf.reduce_sum(x, axis)
    assert "Invalid reduction dimension (2 for input with 2 dimension(s)" in _run_error(
        s, {x: np.zeros((2, 2)), axis: [2]})
    assert "duplicate dimension" in _run_error(s, {x: np.zeros((2, 2)), axis: [0, -2]})
    assert "Reduction axis 0 is empty in shape [0]" in _run_error(
        tf.argmax(x, 0), {x: np.zeros(0)})
    assert "must have the same size" in _run_error(
        tf.where(tf.constant([True, False]), x, tf.placeholder_with_default(
            tf.constant([1.0, 2.0]), shape=None)), {x: np.zeros(3)})


def test_add_n_of_many_scalars_one_pass_and_its_checks():
    rng = np.random.default_rng(3)
    vals = rng.standard_normal(300).astype(np.float32)
    ints = [np.int32(2**30), np.int32(2**30), np.int32(2**30), np.int32(5)]
    x = [tf.placeholder(tf.float32, []) for _ in vals]
    k = [tf.placeholder(tf.int32, []) for _ in ints]
    u = [tf.placeholder(tf.float32) for _ in range(3)]
    total, itotal, mixed = tf.add_n(x), tf.add_n(k), tf.add_n(u)
    with tf.Session() as sess:
        got = sess.run(total, dict(zip(x, vals)))
        got_int = sess.run(itotal, dict(zip(k, ints)))
        got_mixed = sess.run(mixed, {u[0]: np.float32(1), u[1]: np.array(2, np.float32),
                                     u[2]: np.float32(4)})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Inputs to operation AddN of type AddN must have the same "
                                 r"size and shape.  Input 0: \[\] != input 2: \[1\]"):
            sess.run(mixed, {u[0]: np.float32(1), u[1]: np.float32(2),
                             u[2]: np.ones(1, np.float32)})
    assert type(got) is np.float32
    np.testing.assert_allclose(got, vals.astype(np.float64).sum(), rtol=1e-5)
    assert type(got_int) is np.int32 and got_int == np.int32(3 * 2**30 + 5 - 2**32)
    assert type(got_mixed) is np.float32 and got_mixed == 7


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_is_within_two_ulp_over_the_whole_range_without_warnings(dtype):
    """exp(-|x|) never overflows: huge |x| and +-inf give exact 0/1 silently, and tiny results
    keep their relative accuracy (the oracle: 1 / (1 + exp(-x)) in numpy's longdouble)."""
    fi = np.finfo(dtype)
    big = float(fi.max) / 2
    x = np.concatenate([np.linspace(-big, big, 101), np.linspace(-60, 60, 2001),
                        [np.inf, -np.inf, 0.0, -0.0, fi.tiny, -fi.tiny]]).astype(dtype)
    with tf.Graph().as_default():
        y = tf.sigmoid(tf.constant(x))
        with tf.Session() as sess, np.errstate(all="raise"):
            got = sess.run(y)
    with np.errstate(over="ignore"):
        want = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    assert got.dtype == dtype
    normal = want >= fi.tiny
    ulps = np.abs(got[normal] - want[normal]) / (want[normal] * fi.eps)
    assert ulps.max() <= 2, ulps.max()
    np.testing.assert_array_equal(got[np.isinf(x)], [1, 0])
    assert got[~normal].max(initial=0) <= fi.tiny
