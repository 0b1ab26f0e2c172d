"""tf.linalg.LinearOperator*: every method against numpy on the operator's dense matrix."""

import numpy as np
import pytest
import scipy.linalg as sl

import flowexec as tf

LO = tf.linalg
RNG = np.random.default_rng(0)


def _spd(n):
    a = RNG.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


M3 = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
D3 = np.array([2.0, -1.5, 0.5])
L3 = np.tril(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
U3 = RNG.standard_normal((3, 2))
V4 = np.array([1.0, -2.0, 0.5, 3.0])
COL, ROW = np.array([4.0, 1.0, 0.5]), np.array([9.0, 2.0, -1.0])
SPEC = np.array([5.0, 1.0 + 1j, 2.0, 1.0 - 1j])  # Hermitian: a real circulant
SPEC2 = np.fft.fft2(RNG.standard_normal((2, 3)))
TRI = np.array([[1.0, 2.0, 0.0], [4.0, 5.0, 6.0], [0.0, 1.5, 2.5]])


def _circulant(spec):
    return np.real(np.fft.ifft(spec[:, None] * np.fft.fft(np.eye(len(spec)), axis=0), axis=0))


def _circulant2d(spec):
    n0, n1 = spec.shape
    eye = np.eye(n0 * n1)
    cols = []
    for k in range(n0 * n1):
        x = eye[:, k].reshape(n0, n1)
        cols.append(np.real(np.fft.ifft2(spec * np.fft.fft2(x))).reshape(-1))
    return np.stack(cols, 1)


def _toeplitz(col, row):
    return sl.toeplitz(col, np.concatenate([[col[0]], row[1:]]))


def _tridiag(d):
    return np.diag(d[1]) + np.diag(d[0][:-1], 1) + np.diag(d[2][1:], -1)


CASES = [
    ("full", lambda: LO.LinearOperatorFullMatrix(M3), M3),
    ("diag", lambda: LO.LinearOperatorDiag(D3), np.diag(D3)),
    ("identity", lambda: LO.LinearOperatorIdentity(3, dtype=tf.float64), np.eye(3)),
    ("scaled_identity", lambda: LO.LinearOperatorScaledIdentity(3, 2.5), 2.5 * np.eye(3)),
    ("lower_triangular", lambda: LO.LinearOperatorLowerTriangular(L3 + np.triu(M3, 1)), L3),
    ("composition", lambda: LO.LinearOperatorComposition(
        [LO.LinearOperatorFullMatrix(M3), LO.LinearOperatorDiag(D3)]), M3 @ np.diag(D3)),
    ("adjoint", lambda: LO.LinearOperatorAdjoint(LO.LinearOperatorFullMatrix(M3)), M3.T),
    ("inversion", lambda: LO.LinearOperatorInversion(LO.LinearOperatorFullMatrix(M3)),
     np.linalg.inv(M3)),
    ("kronecker", lambda: LO.LinearOperatorKronecker(
        [LO.LinearOperatorDiag(D3[:2]), LO.LinearOperatorFullMatrix(M3)]),
     np.kron(np.diag(D3[:2]), M3)),
    ("block_diag", lambda: LO.LinearOperatorBlockDiag(
        [LO.LinearOperatorFullMatrix(M3), LO.LinearOperatorDiag(D3[:2])]),
     sl.block_diag(M3, np.diag(D3[:2]))),
    ("block_lower_triangular", lambda: LO.LinearOperatorBlockLowerTriangular(
        [[LO.LinearOperatorFullMatrix(M3)],
         [LO.LinearOperatorFullMatrix(U3.T), LO.LinearOperatorDiag(D3[:2])]]),
     np.block([[M3, np.zeros((3, 2))], [U3.T, np.diag(D3[:2])]])),
    ("low_rank_update", lambda: LO.LinearOperatorLowRankUpdate(
        LO.LinearOperatorDiag(D3 + 3), U3, diag_update=[2.0, 0.5]),
     np.diag(D3 + 3) + U3 @ np.diag([2.0, 0.5]) @ U3.T),
    ("householder", lambda: LO.LinearOperatorHouseholder(V4),
     np.eye(4) - 2 * np.outer(V4, V4) / V4.dot(V4)),
    ("permutation", lambda: LO.LinearOperatorPermutation([2, 0, 3, 1], dtype=tf.float64),
     np.eye(4)[[2, 0, 3, 1]]),
    ("toeplitz", lambda: LO.LinearOperatorToeplitz(COL, ROW), _toeplitz(COL, ROW)),
    ("tridiag", lambda: LO.LinearOperatorTridiag(TRI), _tridiag(TRI)),
    ("circulant", lambda: LO.LinearOperatorCirculant(SPEC, input_output_dtype=tf.float64),
     _circulant(SPEC)),
    ("circulant2d", lambda: LO.LinearOperatorCirculant2D(SPEC2, input_output_dtype=tf.float64),
     _circulant2d(SPEC2)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_operator_methods_match_the_dense_matrix(case):
    _, build, dense = case
    n = dense.shape[-1]
    x = RNG.standard_normal((n, 2))
    with tf.Graph().as_default():
        op = build()
        assert op.shape.as_list() == list(dense.shape)
        assert op.batch_shape.as_list() == [] and op.domain_dimension == n
        outs = {
            "dense": op.to_dense(), "matmul": op.matmul(x), "matmul_adj": op.matmul(
                x, adjoint=True), "matvec": op.matvec(x[:, 0]),
            "solve": op.solve(x), "solve_adj": op.solve(x, adjoint=True),
            "solvevec": op.solvevec(x[:, 0]), "det": op.determinant(),
            "logdet": op.log_abs_determinant(), "diag": op.diag_part(), "trace": op.trace(),
            "inverse": op.inverse().to_dense(), "adjoint": op.adjoint().to_dense(),
            "add": op.add_to_tensor(np.ones((n, n))), "shape": op.shape_tensor(),
        }
        with tf.Session() as sess:
            got = sess.run(outs)
    inv = np.linalg.inv(dense)
    want = {"dense": dense, "matmul": dense @ x, "matmul_adj": dense.T @ x,
            "matvec": dense @ x[:, 0], "solve": inv @ x, "solve_adj": inv.T @ x,
            "solvevec": inv @ x[:, 0], "det": np.linalg.det(dense),
            "logdet": np.linalg.slogdet(dense)[1], "diag": np.diag(dense),
            "trace": np.trace(dense), "inverse": inv, "adjoint": dense.T,
            "add": dense + 1, "shape": list(dense.shape)}
    for k, w in want.items():
        np.testing.assert_allclose(np.real_if_close(got[k]), w, rtol=1e-6, atol=1e-8,
                                   err_msg=k)


def test_batches_hints_errors_and_composition_by_matmul():
    with tf.Graph().as_default():
        batch = RNG.standard_normal((2, 3))
        op = LO.LinearOperatorDiag(batch)
        assert op.shape.as_list() == [2, 3, 3] and op.batch_shape.as_list() == [2]
        assert op.is_self_adjoint and op.is_square
        full = LO.LinearOperatorFullMatrix(np.stack([_spd(3), _spd(3)]), is_self_adjoint=True,
                                           is_positive_definite=True)
        chol = full.cholesky()
        assert isinstance(chol, LO.LinearOperatorLowerTriangular)
        prod = full.matmul(op)
        assert isinstance(prod, LO.LinearOperatorComposition)
        assert isinstance(full @ op, LO.LinearOperatorComposition)
        with tf.Session() as sess:
            d, c, p, e = sess.run([op.determinant(), chol.to_dense(), prod.to_dense(),
                                   full.eigvals()])
            dense_full = sess.run(full.to_dense())
        np.testing.assert_allclose(d, batch.prod(-1))
        np.testing.assert_allclose(c @ np.swapaxes(c, -1, -2), dense_full, rtol=1e-6)
        np.testing.assert_allclose(p, dense_full @ np.stack([np.diag(b) for b in batch]),
                                   rtol=1e-6)
        np.testing.assert_allclose(e, np.linalg.eigvalsh(dense_full), rtol=1e-6)
        with pytest.raises(ValueError, match="non-singular"):
            LO.LinearOperatorFullMatrix(M3, is_positive_definite=True, is_non_singular=False)
        with pytest.raises(ValueError, match="singular"):
            LO.LinearOperatorZeros(3).inverse()
        with pytest.raises(ValueError, match="Cholesky"):
            LO.LinearOperatorFullMatrix(M3).cholesky()
        with pytest.raises(NotImplementedError):
            LO.LinearOperatorFullMatrix(U3).determinant()
        z = LO.LinearOperatorZeros(2, 3)
        with tf.Session() as sess:
            assert sess.run(z.matmul(np.ones((3, 4), np.float32))).tolist() == [[0] * 4] * 2
        assert issubclass(LO.LinearOperatorCirculant3D, LO.LinearOperator)


def test_gradients_flow_through_operators():
    with tf.Graph().as_default():
        d = tf.constant(D3)
        op = LO.LinearOperatorDiag(d)
        (g,) = tf.gradients(op.log_abs_determinant() + tf.reduce_sum(op.solve(np.ones((3, 1)))),
                            d)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(g), 1 / D3 - 1 / D3 ** 2)


def test_an_operator_without_to_dense_cannot_be_made():
    """LinearOperator is abstract as TF's: a subclass must define _to_dense."""
    class Partial(tf.linalg.LinearOperator):
        def _shape(self):
            return tf.TensorShape([2, 2])

    with pytest.raises(TypeError, match="abstract"):
        Partial(dtype=tf.float32)


def test_operator_lists_take_names_and_hints_from_their_members():
    a = tf.linalg.LinearOperatorFullMatrix(np.eye(2, dtype=np.float32), is_self_adjoint=True,
                                           is_non_singular=True, name="a")
    b = tf.linalg.LinearOperatorDiag(np.ones(3, np.float32), is_self_adjoint=True,
                                     is_non_singular=True, name="b")
    block = tf.linalg.LinearOperatorBlockDiag([a, b])
    kron = tf.linalg.LinearOperatorKronecker([a, b])
    assert (block.name, block.is_self_adjoint, block.is_non_singular) == ("a_ds_b", True, True)
    assert (kron.name, kron.is_self_adjoint, kron.is_non_singular) == ("a_x_b", None, True)
    assert block.shape.as_list() == [5, 5] and kron.shape.as_list() == [6, 6]
    for cls in (tf.linalg.LinearOperatorBlockDiag, tf.linalg.LinearOperatorKronecker):
        with pytest.raises(ValueError, match="non-empty list of operators"):
            cls([])
