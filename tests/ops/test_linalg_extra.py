"""linalg_extra_ops vs numpy/scipy; gradients vs finite differences (on quantities that do
not depend on the decompositions' sign and order choices)."""

import numpy as np
import pytest
import scipy.linalg as sl

import flowexec as tf
from flowexec.ops import linalg_extra_ops as le
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _n(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _spd(rng, n=3, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _sym(rng, n=3):
    a = rng.standard_normal((n, n))
    return a + a.T


def _qr_ref(a):
    q, r = np.linalg.qr(a)
    return q, r


def _sign_fix(q, r):
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    return q * d[..., None, :], r * d[..., :, None]


CASES = [
    OpCase("qr_values", lambda a: [tf.matmul(*le.qr(a))], lambda a: [a], _n((4, 3))),
    OpCase("qr", lambda a: le.qr(a), lambda a: _qr_ref(a), _n((2, 4, 3))),
    OpCase("qr_full", lambda a: le.qr(a, full_matrices=True),
           lambda a: np.linalg.qr(a, mode="complete"), _n((3, 3))),
    OpCase("svd_values", lambda a: le.svd(a, compute_uv=False),
           lambda a: np.linalg.svd(a, compute_uv=False), _n((2, 4, 3))),
    OpCase("svd_reconstructs", lambda a: [tf.matmul(le.svd(a)[1] * tf.expand_dims(le.svd(a)[0],
                                                                               -2),
                                                    le.svd(a)[2], adjoint_b=True)],
           lambda a: [a], _n((3, 5))),
    OpCase("svd_projectors", lambda a: [tf.matmul(le.svd(a)[1], le.svd(a)[1], adjoint_b=True),
                                         tf.matmul(le.svd(a)[2], le.svd(a)[2], adjoint_b=True)],
           lambda a: [np.linalg.svd(a, full_matrices=False)[0]
                      @ np.linalg.svd(a, full_matrices=False)[0].T,
                      np.linalg.svd(a, full_matrices=False)[2].T
                      @ np.linalg.svd(a, full_matrices=False)[2]],
           _n((4, 3)), atol=1e-6),
    OpCase("eigvalsh", le.eigvalsh, np.linalg.eigvalsh, lambda rng: [_sym(rng)]),
    OpCase("eigh_vector_squares", lambda a: [le.eigh(a)[0], tf.square(le.eigh(a)[1])],
           lambda a: [np.linalg.eigh(a)[0], np.square(np.linalg.eigh(a)[1])],
           lambda rng: [_sym(rng)], grad_atol=1e-4),
    OpCase("expm", le.expm, lambda a: sl.expm(a), lambda rng: [0.5 * rng.standard_normal((3, 3))],
           grad_atol=1e-4),
    OpCase("expm_batched", le.expm, lambda a: np.stack([sl.expm(m) for m in a]),
           lambda rng: [0.3 * rng.standard_normal((2, 2, 2))], grad_atol=1e-4),
    OpCase("sqrtm", le.sqrtm, lambda a: sl.sqrtm(a).real, lambda rng: [_spd(rng)],
           grad_atol=1e-4),
    OpCase("lu_packed", lambda a: le.lu(a)[0],
           lambda a: np.tril(sl.lu(a)[1], -1) + sl.lu(a)[2],
           lambda rng: [rng.standard_normal((2, 3, 3))], grad_atol=1e-4),
    OpCase("logm", le.logm, sl.logm,
           lambda rng: [(_spd(rng) + 0.3j * np.eye(3)).astype(np.complex128)], grad=False,
           atol=1e-6),
    OpCase("lu_reconstruct", lambda a: le.lu_reconstruct(*le.lu(a)), lambda a: a, _n((4, 4)),
           grad=False),
    OpCase("lu_perm", lambda a: le.lu(a)[1],
           lambda a: np.argmax(sl.lu(a)[0], axis=0).astype(np.int32), _n((4, 4))),
    OpCase("lu_solve", lambda a, b: le.lu_solve(*le.lu(a), b), np.linalg.solve,
           lambda rng: [rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal((3, 2))],
           grad=(1,)),
    OpCase("lu_matrix_inverse", lambda a: le.lu_matrix_inverse(*le.lu(a)), np.linalg.inv,
           lambda rng: [rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)], grad=False),
    OpCase("pinv", le.pinv, np.linalg.pinv, _n((4, 3)), grad_atol=1e-4),
    OpCase("pinv_rank_deficient", le.pinv, np.linalg.pinv,
           [np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])], grad=False),
    OpCase("matrix_rank", le.matrix_rank,
           lambda a: np.linalg.matrix_rank(a).astype(np.int32),
           [np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 1.0]])], grad=False),
    OpCase("matrix_rank_deficient", le.matrix_rank,
           lambda a: np.array([1, 2], np.int32),
           [np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])], grad=False),
    OpCase("lstsq_tall", le.lstsq, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
           _n((5, 3), (5, 2)), atol=1e-6),
    OpCase("lstsq_l2", lambda a, b: le.lstsq(a, b, l2_regularizer=0.5),
           lambda a, b: np.linalg.solve(a.T @ a + 0.5 * np.eye(3), a.T @ b), _n((5, 3), (5, 2))),
    OpCase("lstsq_wide", le.matrix_solve_ls, lambda a, b: np.linalg.pinv(a) @ b,
           _n((2, 4), (2, 1))),
    OpCase("normalize", lambda x: le.normalize(x, axis=1),
           lambda x: [x / np.linalg.norm(x, axis=1, keepdims=True),
                      np.linalg.norm(x, axis=1, keepdims=True)], _n((3, 4))),
    OpCase("tridiagonal_matmul",
           lambda d, x: le.tridiagonal_matmul(d, x),
           lambda d, x: (np.diag(d[1]) + np.diag(d[0][:-1], 1) + np.diag(d[2][1:], -1)) @ x,
           _n((3, 4), (4, 2))),
    OpCase("tridiagonal_solve",
           lambda d, x: le.tridiagonal_solve(d, x),
           lambda d, x: np.linalg.solve(np.diag(d[1]) + np.diag(d[0][:-1], 1)
                                        + np.diag(d[2][1:], -1), x),
           lambda rng: [rng.standard_normal((3, 4)) + np.array([[0], [4], [0]]),
                        rng.standard_normal((4, 2))]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    if case.name in ("qr", "qr_full"):
        xs = case.arrays()
        with tf.Graph().as_default():
            q, r = case.build(*[tf.constant(x) for x in xs])
            with tf.Session() as sess:
                got_q, got_r = sess.run([q, r])
        want_q, want_r = case.ref(*xs)
        np.testing.assert_allclose(_sign_fix(got_q, got_r)[0], _sign_fix(want_q, want_r)[0],
                                   atol=1e-10)
        np.testing.assert_allclose(_sign_fix(got_q, got_r)[1], _sign_fix(want_q, want_r)[1],
                                   atol=1e-10)
        assert q.shape.as_list() == list(got_q.shape)
        return
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad and c.name not in ("qr", "qr_full", "lu_perm")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_qr_gradient_of_sign_invariant_quantities():
    case = OpCase("qr_grad", lambda a: [tf.abs(le.qr(a)[1]),
                                        tf.matmul(le.qr(a)[0], le.qr(a)[0], adjoint_b=True)],
                  lambda a: None, _n((4, 3)))
    check_gradient(case)


def test_shapes_and_errors():
    a = tf.placeholder(tf.float32, [5, 4, 3])
    q, r = le.qr(a)
    assert q.shape.as_list() == [5, 4, 3] and r.shape.as_list() == [5, 3, 3]
    s, u, v = le.svd(a, full_matrices=True)
    assert s.shape.as_list() == [5, 3] and u.shape.as_list() == [5, 4, 4]
    assert v.shape.as_list() == [5, 3, 3]
    with pytest.raises(TypeError):
        le.logm(tf.constant([[1.0]]))
    with pytest.raises(ValueError, match="square|equal"):
        le.eigh(tf.zeros([2, 3]))
    with pytest.raises(NotImplementedError):
        le.lstsq(tf.zeros([2, 2]), tf.zeros([2, 1]), fast=False)
    assert tf.linalg.eigh is tf.self_adjoint_eig is le.eigh
