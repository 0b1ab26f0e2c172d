"""matrix_ops and linalg_decomp_ops vs numpy, gradients vs finite differences, TF's errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import linalg_decomp_ops as ld
from flowexec.ops import matrix_ops as mo
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _f(*shapes):
    return lambda rng: [rng.uniform(-2, 2, s) for s in shapes]


def _well(*shapes):
    """Well-conditioned square matrices (diagonally dominant), then other inputs."""
    def gen(rng):
        a = rng.uniform(-1, 1, shapes[0])
        n = shapes[0][-1]
        out = [a + 3 * np.eye(n)]
        return out + [rng.uniform(-2, 2, s) for s in shapes[1:]]
    return gen


def _spd(x):
    n = x.shape[-1]
    return tf.matmul(x, x, transpose_b=True) + n * mo.eye(n, dtype=x.dtype)


def _np_spd(x):
    return x @ np.swapaxes(x, -1, -2) + x.shape[-1] * np.eye(x.shape[-1])


def _band(x, lo, up):
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    return np.where(keep, x, 0)


def _set_diag(x, d, k=0):
    out = x.copy()
    n = d.shape[-1]
    r = np.arange(n)
    rows, cols = (r, r + k) if k >= 0 else (r - k, r)
    out[..., rows, cols] = d
    return out


CASES = [
    OpCase("band_part", lambda x: mo.matrix_band_part(x, 1, 0), lambda x: _band(x, 1, 0),
           _f((2, 3, 4))),
    OpCase("band_part_upper", lambda x: mo.matrix_band_part(x, 0, -1),
           lambda x: _band(x, 0, -1), _f((4, 3))),
    OpCase("matrix_diag", mo.matrix_diag, lambda d: np.stack([np.diag(r) for r in d]),
           _f((2, 3))),
    OpCase("matrix_diag_k", lambda d: mo.matrix_diag(d, k=-1), lambda d: np.diag(d, -1),
           _f((3,))),
    OpCase("matrix_diag_part", mo.matrix_diag_part,
           lambda x: np.diagonal(x, axis1=-2, axis2=-1), _f((2, 3, 4))),
    OpCase("matrix_diag_part_k", lambda x: mo.matrix_diag_part(x, k=1),
           lambda x: np.diagonal(x, 1), _f((3, 4))),
    OpCase("matrix_set_diag", mo.matrix_set_diag, _set_diag, _f((2, 3, 4), (2, 3))),
    OpCase("matrix_set_diag_k", lambda x, d: mo.matrix_set_diag(x, d, k=-1),
           lambda x, d: _set_diag(x, d, -1), _f((4, 3), (3,))),
    OpCase("cross", mo.cross, np.cross, _f((4, 3), (4, 3))),
    OpCase("matrix_transpose", mo.matrix_transpose, lambda x: np.swapaxes(x, -1, -2),
           _f((2, 3, 4))),
    OpCase("trace", mo.trace, lambda x: np.trace(x, axis1=-2, axis2=-1), _f((2, 3, 3))),
    OpCase("matvec", mo.matvec, lambda a, b: np.einsum("...ij,...j->...i", a, b),
           _f((2, 3, 4), (2, 4))),
    OpCase("tensor_diag", mo.tensor_diag, lambda d: np.diag(d.ravel()).reshape(2, 2, 2, 2),
           _f((2, 2))),
    OpCase("det", ld.matrix_determinant, np.linalg.det, _well((2, 3, 3))),
    OpCase("slogdet", ld.slogdet, lambda x: list(np.linalg.slogdet(x)), _well((2, 3, 3))),
    OpCase("logdet_spd", lambda x: ld.logdet(_spd(x)),
           lambda x: np.linalg.slogdet(_np_spd(x))[1], _f((3, 3))),
    OpCase("inverse", ld.matrix_inverse, np.linalg.inv, _well((2, 3, 3))),
    OpCase("inverse_adjoint", lambda x: ld.matrix_inverse(x, adjoint=True),
           lambda x: np.linalg.inv(x.T), _well((3, 3))),
    OpCase("solve", ld.matrix_solve, np.linalg.solve, _well((2, 3, 3), (2, 3, 2))),
    OpCase("solve_adjoint", lambda a, b: ld.matrix_solve(a, b, adjoint=True),
           lambda a, b: np.linalg.solve(a.T, b), _well((3, 3), (3, 2))),
    OpCase("triangular_solve", ld.matrix_triangular_solve,
           lambda a, b: np.linalg.solve(np.tril(a), b), _well((3, 3), (3, 2))),
    OpCase("triangular_solve_upper_adjoint",
           lambda a, b: ld.matrix_triangular_solve(a, b, lower=False, adjoint=True),
           lambda a, b: np.linalg.solve(np.triu(a).T, b), _well((3, 3), (3, 2))),
    OpCase("cholesky_spd", lambda x: ld.cholesky(_spd(x)),
           lambda x: np.linalg.cholesky(_np_spd(x)), _f((2, 3, 3))),
    OpCase("cholesky_solve", lambda x, b: ld.cholesky_solve(ld.cholesky(_spd(x)), b),
           lambda x, b: np.linalg.solve(_np_spd(x), b), _f((3, 3), (3, 2))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_eye_and_adjoint():
    np.testing.assert_array_equal(_run(mo.eye(2, 3)), np.eye(2, 3))
    np.testing.assert_array_equal(_run(mo.eye(2, batch_shape=[3])), np.stack([np.eye(2)] * 3))
    z = np.array([[1 + 2j, 3j], [4.0, 5 - 1j]])
    np.testing.assert_array_equal(_run(mo.adjoint(z)), z.conj().T)


def test_singular_and_indefinite_matrices_are_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input is not invertible."):
        _run(ld.matrix_inverse(np.zeros((2, 2))))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input is not invertible."):
        _run(ld.matrix_solve(np.zeros((2, 2)), np.ones((2, 1))))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Cholesky decomposition was not successful"):
        _run(ld.cholesky(-np.eye(2)))


def test_build_time_shape_errors():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        ld.matrix_inverse(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least rank 2"):
        mo.matrix_band_part(np.ones(3), 0, 0)
    with pytest.raises(ValueError, match="Only one diagonal offset"):
        mo.matrix_diag_part(np.ones((3, 3)), k=(0, 1))


def test_cholesky_reads_only_the_lower_triangle():
    a = np.array([[4.0, 100.0], [2.0, 3.0]])
    np.testing.assert_allclose(_run(ld.cholesky(a)),
                               np.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 3.0]])))
