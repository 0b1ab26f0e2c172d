"""`tf.linalg.LinearOperator` and its structured subclasses.

A LinearOperator is a (batch of) matrices known by its structure rather than its entries:
`matmul`, `solve`, `determinant`, ... use the structure where it helps (a diagonal's
determinant is the product of its entries, a triangular solve is a back substitution, a
circulant matmul is an FFT, a Householder reflection is a rank-1 update) and fall back to
the dense matrix (`to_dense`) where it does not, so every method gives the values TF's
gives. Every result is a graph Tensor, differentiable where its ops are.

Hints (`is_non_singular`, `is_self_adjoint`, `is_positive_definite`, `is_square`) are the
caller's promises, as in TF; operators that know a hint set it, and contradicting one is a
ValueError.
"""

import abc

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import linalg_decomp_ops as _ld
from flowexec.ops import math_ops as _m
from flowexec.ops import matrix_ops as _mx

__all__ = ["LinearOperator", "LinearOperatorAdjoint", "LinearOperatorBlockDiag",
           "LinearOperatorBlockLowerTriangular", "LinearOperatorCirculant",
           "LinearOperatorCirculant2D", "LinearOperatorCirculant3D",
           "LinearOperatorComposition", "LinearOperatorDiag", "LinearOperatorFullMatrix",
           "LinearOperatorHouseholder", "LinearOperatorIdentity", "LinearOperatorInversion",
           "LinearOperatorKronecker", "LinearOperatorLowRankUpdate",
           "LinearOperatorLowerTriangular", "LinearOperatorPermutation",
           "LinearOperatorScaledIdentity", "LinearOperatorToeplitz", "LinearOperatorTridiag",
           "LinearOperatorZeros"]


def _adj(x):
    return _mx.adjoint(x)


def _matmul(a, b, adjoint_a=False, adjoint_b=False):
    return _m.matmul(a, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)


def _conj(x):
    return _m.conj(x)


class LinearOperator(abc.ABC):
    """The base class: a [batch..., M, N] linear operator (see the module docstring).

    Subclasses define `_shape()` (a static TensorShape) and `_to_dense()`; they may override
    `_matmul`, `_solve`, `_determinant`, `_log_abs_determinant`, `_diag_part`.
    """

    def __init__(self, dtype, graph_parents=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None, parameters=None):
        if is_positive_definite and is_non_singular is False:
            raise ValueError("A positive definite matrix is always non-singular.")
        if is_positive_definite:
            is_non_singular = True
        if is_non_singular and is_square is False:
            raise ValueError("A non-singular matrix is always square.")
        if is_non_singular:
            is_square = True
        if is_self_adjoint and is_square is False:
            raise ValueError("A self-adjoint matrix is always square.")
        if is_self_adjoint:
            is_square = True
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._graph_parents = list(graph_parents or [])
        self._is_non_singular = is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_hint = is_square
        self._name = name or type(self).__name__
        self._parameters = dict(parameters or {})

    # ----- metadata -----------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._name

    @property
    def parameters(self):
        return dict(self._parameters)

    @property
    def graph_parents(self):
        return list(self._graph_parents)

    @property
    def is_non_singular(self):
        return self._is_non_singular

    @property
    def is_self_adjoint(self):
        return self._is_self_adjoint

    @property
    def is_positive_definite(self):
        return self._is_positive_definite

    @property
    def is_square(self):
        """The is_square hint, or what the static shape says."""
        if self._is_square_hint is not None:
            return self._is_square_hint
        m, n = self.shape.as_list()[-2:] if self.shape.ndims else (None, None)
        return None if None in (m, n) else m == n

    @property
    def shape(self):
        return self._shape()

    def _shape(self):
        return self.to_dense().shape

    def shape_tensor(self, name="shape_tensor"):
        with name_scope(self._name):
            with name_scope(name):
                if self.shape.is_fully_defined():
                    return convert_to_tensor(self.shape.as_list(), dtype=dtypes.int32)
                return _a.shape(self.to_dense())

    @property
    def batch_shape(self):
        return self.shape[:-2]

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        return self.shape_tensor(name)[:-2]

    @property
    def tensor_rank(self):
        return self.shape.ndims

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        return _a.size(self.shape_tensor(name))

    @property
    def domain_dimension(self):
        return self.shape[-1]

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        return self.shape_tensor(name)[-1]

    @property
    def range_dimension(self):
        return self.shape[-2]

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        return self.shape_tensor(name)[-2]

    # ----- the operations -----------------------------------------------------------------
    def to_dense(self, name="to_dense"):
        """The operator as a dense [batch..., M, N] tensor."""
        with name_scope(self._name):
            with name_scope(name):
                return self._to_dense()

    @abc.abstractmethod
    def _to_dense(self):
        """The dense [batch..., M, N] tensor (every operator defines it)."""

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """op(A) @ op(x), op = adjoint where asked; a LinearOperator `x` gives their
        composition."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        with name_scope(self._name):
            with name_scope(name):
                x = convert_to_tensor(x, name="x", dtype=self._dtype)
                return self._matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return _matmul(self.to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def __matmul__(self, other):
        return self.matmul(other)

    def matvec(self, x, adjoint=False, name="matvec"):
        """op(A) @ x for vectors x [batch..., N]."""
        with name_scope(self._name):
            with name_scope(name):
                x = convert_to_tensor(x, name="x", dtype=self._dtype)
                return _a.squeeze(self._matmul(_a.expand_dims(x, -1), adjoint=adjoint), [-1])

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with op(A) @ X = op(rhs).

        Raises:
            NotImplementedError: the operator is known to be singular or not square.
        """
        if self.is_non_singular is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is "
                                      "expected to be singular.")
        if self.is_square is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is "
                                      "expected to not be square.")
        if isinstance(rhs, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = rhs.adjoint() if adjoint_arg else rhs
            return LinearOperatorComposition([LinearOperatorInversion(left), right])
        with name_scope(self._name):
            with name_scope(name):
                rhs = convert_to_tensor(rhs, name="rhs", dtype=self._dtype)
                return self._solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = _adj(rhs) if adjoint_arg else rhs
        return _ld.matrix_solve(self.to_dense(), rhs, adjoint=adjoint)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        """x with op(A) @ x = rhs for vectors."""
        with name_scope(self._name):
            with name_scope(name):
                rhs = convert_to_tensor(rhs, name="rhs", dtype=self._dtype)
                return _a.squeeze(self._solve(_a.expand_dims(rhs, -1), adjoint=adjoint), [-1])

    def determinant(self, name="det"):
        """det(A) for each matrix of the batch.

        Raises:
            NotImplementedError: the operator is known not to be square.
        """
        if self.is_square is False:
            raise NotImplementedError("Determinant not implemented for an operator that is "
                                      "expected to not be square.")
        with name_scope(self._name):
            with name_scope(name):
                return self._determinant()

    def _determinant(self):
        return _ld.matrix_determinant(self.to_dense())

    def log_abs_determinant(self, name="log_abs_det"):
        """log|det(A)| for each matrix of the batch."""
        if self.is_square is False:
            raise NotImplementedError("Determinant not implemented for an operator that is "
                                      "expected to not be square.")
        with name_scope(self._name):
            with name_scope(name):
                return self._log_abs_determinant()

    def _log_abs_determinant(self):
        _, log_abs = _ld.slogdet(self.to_dense())
        return log_abs

    def diag_part(self, name="diag_part"):
        """The main diagonal [batch..., min(M, N)]."""
        with name_scope(self._name):
            with name_scope(name):
                return self._diag_part()

    def _diag_part(self):
        return _mx.matrix_diag_part(self.to_dense())

    def trace(self, name="trace"):
        """The sum of the diagonal."""
        with name_scope(self._name):
            with name_scope(name):
                return _m.reduce_sum(self._diag_part(), axis=-1)

    def add_to_tensor(self, x, name="add_to_tensor"):
        """A + x for a dense x."""
        with name_scope(self._name):
            with name_scope(name):
                return self.to_dense() + convert_to_tensor(x, name="x", dtype=self._dtype)

    def adjoint(self, name="adjoint"):
        """The adjoint operator A^H (self when known self-adjoint)."""
        if self.is_self_adjoint:
            return self
        return LinearOperatorAdjoint(self)

    H = property(lambda self: self.adjoint())

    def inverse(self, name="inverse"):
        """The inverse operator.

        Raises:
            ValueError: the operator is known to be singular or not square.
        """
        if self.is_square is False:
            raise ValueError("Cannot take the Inverse: This operator represents a non square "
                             "matrix.")
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular "
                             "matrix.")
        return LinearOperatorInversion(self)

    def cholesky(self, name="cholesky"):
        """The lower-triangular Cholesky factor as an operator.

        Raises:
            ValueError: the operator is not hinted self-adjoint and positive definite.
        """
        if not (self.is_self_adjoint and self.is_positive_definite):
            raise ValueError("Cholesky decomposition is only defined on self-adjoint positive "
                             "definite operators (set the is_self_adjoint and "
                             "is_positive_definite hints).")
        return LinearOperatorLowerTriangular(_ld.cholesky(self.to_dense()),
                                             is_non_singular=True, is_square=True)

    def eigvals(self, name="eigvals"):
        """The eigenvalues of a self-adjoint operator (ascending).

        Raises:
            NotImplementedError: the operator is not hinted self-adjoint.
        """
        if not self.is_self_adjoint:
            raise NotImplementedError("Only self-adjoint matrices are supported.")
        from flowexec.ops.linalg_extra_ops import eigvalsh

        with name_scope(self._name):
            with name_scope(name):
                return eigvalsh(self.to_dense())

    def cond(self, name="cond"):
        """The condition number max(s) / min(s) of each matrix."""
        from flowexec.ops.linalg_extra_ops import svd

        with name_scope(self._name):
            with name_scope(name):
                s = svd(self.to_dense(), compute_uv=False)
                return _m.reduce_max(s, axis=-1) / _m.reduce_min(s, axis=-1)

    def assert_non_singular(self, name="assert_non_singular"):
        """An op that fails at run time if a matrix's |det| is 0."""
        from flowexec.ops import check_ops

        return check_ops.assert_positive(_m.abs(self.determinant()),
                                         message="Singular operator: |det| is 0")

    def assert_positive_definite(self, name="assert_positive_definite"):
        """An op that fails at run time unless the (self-adjoint) eigenvalues are > 0."""
        from flowexec.ops import check_ops
        from flowexec.ops.linalg_extra_ops import eigvalsh

        return check_ops.assert_positive(_m.real(eigvalsh(self.to_dense())) if
                                         self._dtype.is_complex else eigvalsh(self.to_dense()),
                                         message="Operator is not positive definite")

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        """An op that fails at run time unless A == A^H."""
        from flowexec.ops import check_ops

        dense = self.to_dense()
        return check_ops.assert_equal(dense, _adj(dense), message="Operator not self-adjoint")

    def __repr__(self):
        return (f"<tf.linalg.{type(self).__name__} '{self._name}' shape={self.shape} "
                f"dtype={self._dtype.name if self._dtype else None}>")


# ----- dense and diagonal forms ---------------------------------------------------------------
class LinearOperatorFullMatrix(LinearOperator):
    """The operator of a dense [batch..., M, N] matrix."""

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorFullMatrix"):
        self._matrix = convert_to_tensor(matrix, name="matrix")
        super().__init__(self._matrix.dtype, [self._matrix], is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name, {"matrix": matrix})

    def _shape(self):
        return self._matrix.shape

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """A diagonal operator diag(d), [batch..., N, N] from d [batch..., N]."""

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorDiag"):
        self._diag = convert_to_tensor(diag, name="diag")
        if not self._diag.dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A real diagonal operator is always self adjoint.")
            is_self_adjoint = True
        if is_square is False:
            raise ValueError("Only square diagonal operators currently supported.")
        super().__init__(self._diag.dtype, [self._diag], is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, {"diag": diag})

    @property
    def diag(self):
        return self._diag

    def _shape(self):
        s = self._diag.shape
        return TensorShape(None) if s.ndims is None else s.concatenate([s[-1]])

    def _to_dense(self):
        return _mx.matrix_diag(self._diag)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        d = _conj(self._diag) if adjoint else self._diag
        x = _adj(x) if adjoint_arg else x
        return _a.expand_dims(d, -1) * x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        d = _conj(self._diag) if adjoint else self._diag
        rhs = _adj(rhs) if adjoint_arg else rhs
        return rhs / _a.expand_dims(d, -1)

    def _determinant(self):
        return _m.reduce_prod(self._diag, axis=-1)

    def _log_abs_determinant(self):
        return _m.reduce_sum(_m.log(_m.abs(self._diag)), axis=-1)

    def _diag_part(self):
        return self._diag


def _eye(num_rows, num_columns, batch_shape, dtype):
    batch_shape = [] if batch_shape is None else list(batch_shape)
    return _mx.eye(num_rows, num_columns, batch_shape=batch_shape or None, dtype=dtype)


class LinearOperatorIdentity(LinearOperator):
    """The identity of size num_rows (with an optional batch shape)."""

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True,
                 is_self_adjoint=True, is_positive_definite=True, is_square=True,
                 assert_proper_shapes=False, name="LinearOperatorIdentity"):
        self._num_rows = int(num_rows)
        self._batch = [int(b) for b in (batch_shape or [])]
        super().__init__(dtype or dtypes.float32, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name,
                         {"num_rows": num_rows, "batch_shape": batch_shape})

    def _shape(self):
        return TensorShape(self._batch + [self._num_rows, self._num_rows])

    def _to_dense(self):
        return _eye(self._num_rows, None, self._batch, self._dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adj(x) if adjoint_arg else x
        return x + _a.zeros(self._batch + [1, 1], self._dtype) if self._batch else x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return _a.ones(self._batch, self._dtype)

    def _log_abs_determinant(self):
        return _a.zeros(self._batch, self._dtype)

    def _diag_part(self):
        return _a.ones(self._batch + [self._num_rows], self._dtype)


class LinearOperatorScaledIdentity(LinearOperator):
    """multiplier * I (multiplier a scalar or a [batch...] tensor)."""

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorScaledIdentity"):
        self._num_rows = int(num_rows)
        self._multiplier = convert_to_tensor(multiplier, name="multiplier")
        if not self._multiplier.dtype.is_complex:
            is_self_adjoint = True if is_self_adjoint is None else is_self_adjoint
        super().__init__(self._multiplier.dtype, [self._multiplier], is_non_singular,
                         is_self_adjoint, is_positive_definite, is_square, name,
                         {"num_rows": num_rows, "multiplier": multiplier})

    @property
    def multiplier(self):
        return self._multiplier

    def _shape(self):
        return self._multiplier.shape.concatenate([self._num_rows, self._num_rows])

    def _m_mat(self, adjoint=False):
        m = _conj(self._multiplier) if adjoint else self._multiplier
        return _a.expand_dims(_a.expand_dims(m, -1), -1)

    def _to_dense(self):
        return self._m_mat() * _mx.eye(self._num_rows, dtype=self._dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adj(x) if adjoint_arg else x
        return self._m_mat(adjoint) * x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = _adj(rhs) if adjoint_arg else rhs
        return rhs / self._m_mat(adjoint)

    def _determinant(self):
        return self._multiplier ** self._num_rows

    def _log_abs_determinant(self):
        return self._num_rows * _m.log(_m.abs(self._multiplier))

    def _diag_part(self):
        return _a.expand_dims(self._multiplier, -1) * _a.ones([self._num_rows], self._dtype)


class LinearOperatorZeros(LinearOperator):
    """The zero operator [batch..., num_rows, num_columns]."""

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None,
                 is_non_singular=False, is_self_adjoint=True, is_positive_definite=False,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorZeros"):
        if is_non_singular:
            raise ValueError("A zero operator is always singular.")
        self._rows = int(num_rows)
        self._cols = int(num_columns) if num_columns is not None else self._rows
        self._batch = [int(b) for b in (batch_shape or [])]
        square = self._rows == self._cols
        super().__init__(dtype or dtypes.float32, None, False,
                         is_self_adjoint if square else False, False, square, name,
                         {"num_rows": num_rows, "num_columns": num_columns})

    def _shape(self):
        return TensorShape(self._batch + [self._rows, self._cols])

    def _to_dense(self):
        return _a.zeros(self._batch + [self._rows, self._cols], self._dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adj(x) if adjoint_arg else x
        rows = self._cols if adjoint else self._rows
        shape = _a.concat([_a.shape(x)[:-2], [rows], _a.shape(x)[-1:]], 0)
        return _a.zeros(shape, self._dtype)

    def _determinant(self):
        return _a.zeros(self._batch, self._dtype)

    def _log_abs_determinant(self):
        return _m.log(_a.zeros(self._batch, self._dtype))


class LinearOperatorLowerTriangular(LinearOperator):
    """The lower triangle of `tril` ([batch..., N, N]; the upper part is ignored)."""

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        if is_square is False:
            raise ValueError("Only square lower triangular operators supported at this time.")
        self._tril = _mx.matrix_band_part(convert_to_tensor(tril, name="tril"), -1, 0)
        super().__init__(self._tril.dtype, [self._tril], is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, {"tril": tril})

    def _shape(self):
        return self._tril.shape

    def _to_dense(self):
        return self._tril

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = _adj(rhs) if adjoint_arg else rhs
        return _ld.matrix_triangular_solve(self._tril, rhs, lower=True, adjoint=adjoint)

    def _determinant(self):
        return _m.reduce_prod(_mx.matrix_diag_part(self._tril), axis=-1)

    def _log_abs_determinant(self):
        return _m.reduce_sum(_m.log(_m.abs(_mx.matrix_diag_part(self._tril))), axis=-1)

    def _diag_part(self):
        return _mx.matrix_diag_part(self._tril)


# ----- operators of operators -----------------------------------------------------------------
class LinearOperatorAdjoint(LinearOperator):
    """The adjoint A^H of an operator."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self._operator = operator
        super().__init__(operator.dtype, None,
                         operator.is_non_singular if is_non_singular is None
                         else is_non_singular,
                         operator.is_self_adjoint if is_self_adjoint is None
                         else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None
                         else is_positive_definite,
                         operator.is_square if is_square is None else is_square,
                         name or operator.name + "_adjoint", {"operator": operator})

    @property
    def operator(self):
        return self._operator

    def _shape(self):
        s = self._operator.shape
        return s if s.ndims is None else s[:-2].concatenate([s[-1], s[-2]])

    def _to_dense(self):
        return _adj(self._operator.to_dense())

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.solve(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return _conj(self._operator.determinant())

    def _log_abs_determinant(self):
        return self._operator.log_abs_determinant()

    def _diag_part(self):
        return _conj(self._operator.diag_part())


class LinearOperatorInversion(LinearOperator):
    """The inverse A^{-1} of a non-singular square operator."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        if operator.is_non_singular is False or is_non_singular is False:
            raise ValueError(f"operator and supplied hints must be 'non_singular'. Found: "
                             f"operator.is_non_singular = {operator.is_non_singular}")
        if operator.is_square is False or is_square is False:
            raise ValueError("operator and supplied hints must be 'square'.")
        self._operator = operator
        super().__init__(operator.dtype, None, True,
                         operator.is_self_adjoint if is_self_adjoint is None
                         else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None
                         else is_positive_definite, True,
                         name or operator.name + "_inv", {"operator": operator})

    @property
    def operator(self):
        return self._operator

    def _shape(self):
        return self._operator.shape

    def _to_dense(self):
        return _ld.matrix_inverse(self._operator.to_dense())

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return 1.0 / self._operator.determinant()

    def _log_abs_determinant(self):
        return -self._operator.log_abs_determinant()


class LinearOperatorComposition(LinearOperator):
    """The product A1 @ A2 @ ... of operators (applied right to left)."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        operators = list(operators)
        if not operators:
            raise ValueError("Expected a non-empty list of operators.")
        dtype = operators[0].dtype
        for op in operators[1:]:
            if op.dtype != dtype:
                raise TypeError(f"Expected all operators to have the same dtype. Found "
                                f"{dtype.name} and {op.dtype.name}")
        if all(op.is_non_singular for op in operators) and is_non_singular is None:
            is_non_singular = True
        self._operators = operators
        super().__init__(dtype, None, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name or "_o_".join(op.name for op in operators),
                         {"operators": operators})

    @property
    def operators(self):
        return list(self._operators)

    def _shape(self):
        first, last = self._operators[0].shape, self._operators[-1].shape
        if first.ndims is None or last.ndims is None:
            return TensorShape(None)
        batch = first[:-2]
        for op in self._operators[1:]:
            from flowexec.ops.shape_util_ops import broadcast_static_shape

            batch = broadcast_static_shape(batch, op.shape[:-2])
        return batch.concatenate([first[-2], last[-1]])

    def _to_dense(self):
        out = self._operators[-1].to_dense()
        for op in reversed(self._operators[:-1]):
            out = op.matmul(out)
        return out

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        ops = self._operators if adjoint else list(reversed(self._operators))
        out = _adj(x) if adjoint_arg else x
        for op in ops:
            out = op.matmul(out, adjoint=adjoint)
        return out

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        ops = list(reversed(self._operators)) if adjoint else self._operators
        out = _adj(rhs) if adjoint_arg else rhs
        for op in ops:
            out = op.solve(out, adjoint=adjoint)
        return out

    def _determinant(self):
        out = self._operators[0].determinant()
        for op in self._operators[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_determinant(self):
        out = self._operators[0].log_abs_determinant()
        for op in self._operators[1:]:
            out = out + op.log_abs_determinant()
        return out


def _static_dims(op):
    dims = op.shape.as_list()[-2:]
    if None in dims:
        raise ValueError(f"{op.name} needs a static shape here")
    return dims


class _OperatorList(LinearOperator):
    """An operator built from a non-empty list of operators (block diagonal, Kronecker): it
    keeps the list and is non-singular (and, where `_JOIN_SELF_ADJOINT`, self-adjoint) when
    every member is, unless told otherwise."""

    _JOINER = "_"
    _JOIN_SELF_ADJOINT = False

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        operators = list(operators)
        if not operators:
            raise ValueError("Expected a non-empty list of operators.")
        self._operators = operators
        if all(op.is_non_singular for op in operators) and is_non_singular is None:
            is_non_singular = True
        if (self._JOIN_SELF_ADJOINT and is_self_adjoint is None
                and all(op.is_self_adjoint for op in operators)):
            is_self_adjoint = True
        super().__init__(operators[0].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square,
                         name or self._JOINER.join(op.name for op in operators),
                         {"operators": operators})

    @property
    def operators(self):
        return list(self._operators)


class LinearOperatorBlockDiag(_OperatorList):
    """The block-diagonal operator with the given square operators on its diagonal."""

    _JOINER = "_ds_"
    _JOIN_SELF_ADJOINT = True

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name=None):
        super().__init__(operators, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name)

    def _shape(self):
        rows = sum(_static_dims(op)[0] for op in self._operators)
        cols = sum(_static_dims(op)[1] for op in self._operators)
        return self._operators[0].shape[:-2].concatenate([rows, cols])

    def _to_dense(self):
        total = sum(_static_dims(op)[1] for op in self._operators)
        rows, left = [], 0
        for op in self._operators:
            n = _static_dims(op)[1]
            dense = op.to_dense()
            lead = [[0, 0]] * (dense.shape.ndims - 2)
            rows.append(_a.pad(dense, lead + [[0, 0], [left, total - left - n]]))
            left += n
        return _a.concat(rows, -2)

    def _determinant(self):
        out = self._operators[0].determinant()
        for op in self._operators[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_determinant(self):
        out = self._operators[0].log_abs_determinant()
        for op in self._operators[1:]:
            out = out + op.log_abs_determinant()
        return out


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """The block lower-triangular operator from rows of operators: operators[i] lists the
    blocks (i, 0) ... (i, i); the diagonal blocks are square."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorBlockLowerTriangular"):
        rows = [list(r) for r in operators]
        for i, r in enumerate(rows):
            if len(r) != i + 1:
                raise ValueError(f"Row {i} of operators must have {i + 1} operators")
        self._rows = rows
        super().__init__(rows[0][0].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, {"operators": operators})

    @property
    def operators(self):
        return [list(r) for r in self._rows]

    def _sizes(self):
        return [_static_dims(r[-1])[0] for r in self._rows]

    def _shape(self):
        n = sum(self._sizes())
        return self._rows[0][0].shape[:-2].concatenate([n, n])

    def _to_dense(self):
        sizes = self._sizes()
        total = sum(sizes)
        out = []
        for i, r in enumerate(self._rows):
            blocks = [op.to_dense() for op in r]
            row = _a.concat(blocks, -1)
            filled = sum(sizes[:i + 1])
            lead = [[0, 0]] * (row.shape.ndims - 2)
            out.append(_a.pad(row, lead + [[0, 0], [0, total - filled]]))
        return _a.concat(out, -2)

    def _determinant(self):
        out = self._rows[0][0].determinant()
        for r in self._rows[1:]:
            out = out * r[-1].determinant()
        return out

    def _log_abs_determinant(self):
        out = self._rows[0][0].log_abs_determinant()
        for r in self._rows[1:]:
            out = out + r[-1].log_abs_determinant()
        return out


def _kron(a, b):
    """Kronecker products of [..., m, n] and [..., p, q] matrices (static inner shapes)."""
    m, n = a.shape.as_list()[-2:]
    p, q = b.shape.as_list()[-2:]
    prod = (_a.expand_dims(_a.expand_dims(a, -1), -3)
            * _a.expand_dims(_a.expand_dims(b, -3), -2))  # [..., m, p, n, q]
    lead = _a.shape(prod)[:-4]
    return _a.reshape(prod, _a.concat([lead, [m * p, n * q]], 0))


class LinearOperatorKronecker(_OperatorList):
    """The Kronecker product A1 (x) A2 (x) ... of operators."""

    _JOINER = "_x_"

    def _shape(self):
        rows = cols = 1
        for op in self._operators:
            r, c = _static_dims(op)
            rows, cols = rows * r, cols * c
        return self._operators[0].shape[:-2].concatenate([rows, cols])

    def _to_dense(self):
        out = self._operators[0].to_dense()
        for op in self._operators[1:]:
            out = _kron(out, op.to_dense())
        return out

    def _determinant(self):
        total = self.shape.as_list()[-1]
        out = None
        for op in self._operators:
            n = _static_dims(op)[0]
            d = op.determinant() ** (total // n)
            out = d if out is None else out * d
        return out

    def _log_abs_determinant(self):
        total = self.shape.as_list()[-1]
        out = None
        for op in self._operators:
            n = _static_dims(op)[0]
            d = op.log_abs_determinant() * float(total // n)
            out = d if out is None else out + d
        return out


class LinearOperatorLowRankUpdate(LinearOperator):
    """base + U diag(d) V^H (V = U and d = 1 by default)."""

    def __init__(self, base_operator, u, diag_update=None, v=None,
                 is_diag_update_positive=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowRankUpdate"):
        self._base = base_operator
        self._u = convert_to_tensor(u, name="u", dtype=base_operator.dtype)
        self._v = self._u if v is None else convert_to_tensor(v, name="v",
                                                              dtype=base_operator.dtype)
        self._d = None if diag_update is None else convert_to_tensor(
            diag_update, name="diag_update", dtype=base_operator.dtype)
        if v is None and base_operator.is_self_adjoint and is_self_adjoint is None:
            is_self_adjoint = True
        super().__init__(base_operator.dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name,
                         {"base_operator": base_operator, "u": u, "diag_update": diag_update,
                          "v": v})

    @property
    def base_operator(self):
        return self._base

    def _shape(self):
        return self._base.shape

    def _ud(self):
        return self._u if self._d is None else self._u * _a.expand_dims(self._d, -2)

    def _to_dense(self):
        return self._base.to_dense() + _matmul(self._ud(), self._v, adjoint_b=True)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adj(x) if adjoint_arg else x
        base = self._base.matmul(x, adjoint=adjoint)
        if adjoint:
            return base + _matmul(self._v, _matmul(self._ud(), x, adjoint_a=True))
        return base + _matmul(self._ud(), _matmul(self._v, x, adjoint_a=True))


class LinearOperatorHouseholder(LinearOperator):
    """The Householder reflection I - 2 v v^H / (v^H v) of a reflection axis v."""

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorHouseholder"):
        self._v = convert_to_tensor(reflection_axis, name="reflection_axis")
        if is_positive_definite:
            raise ValueError("A Householder operator is always non-positive definite.")
        super().__init__(self._v.dtype, [self._v], True, True, False, True, name,
                         {"reflection_axis": reflection_axis})

    @property
    def reflection_axis(self):
        return self._v

    def _shape(self):
        s = self._v.shape
        return TensorShape(None) if s.ndims is None else s.concatenate([s[-1]])

    def _normal(self):
        v = _a.expand_dims(self._v, -1)
        norm2 = _m.reduce_sum(_m.real(_conj(v) * v) if self._dtype.is_complex else v * v,
                              axis=-2, keepdims=True)
        return v, _m.cast(norm2, self._dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adj(x) if adjoint_arg else x
        v, norm2 = self._normal()
        return x - 2.0 * v * (_matmul(v, x, adjoint_a=True) / norm2)

    def _to_dense(self):
        n = self._v.shape.as_list()[-1]
        eye = _mx.eye(n, dtype=self._dtype)
        return self._matmul(eye + _a.zeros_like(_a.expand_dims(self._v, -1)))

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint_arg=adjoint_arg)  # a reflection is its own inverse

    def _determinant(self):
        return -_a.ones_like(self._v[..., 0])

    def _log_abs_determinant(self):
        return _a.zeros_like(_m.real(self._v[..., 0]) if self._dtype.is_complex
                             else self._v[..., 0])


class LinearOperatorPermutation(LinearOperator):
    """The permutation matrix P with P[i, perm[i]] = 1, so P @ x == x[perm]."""

    def __init__(self, perm, dtype=dtypes.float32, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorPermutation"):
        self._perm = convert_to_tensor(perm, name="perm")
        if not self._perm.dtype.is_integer:
            raise TypeError(f"perm must be integer dtype. Found {self._perm.dtype.name}")
        super().__init__(dtype, [self._perm], True, is_self_adjoint, is_positive_definite,
                         True, name, {"perm": perm, "dtype": dtype})

    @property
    def perm(self):
        return self._perm

    def _shape(self):
        s = self._perm.shape
        return TensorShape(None) if s.ndims is None else s.concatenate([s[-1]])

    def _to_dense(self):
        n = _a.shape(self._perm)[-1]
        return _a.one_hot(self._perm, n, dtype=self._dtype)


# ----- circulant and Toeplitz -----------------------------------------------------------------
_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


class _BaseCirculant(LinearOperator):
    _rank = 1

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True, name=None):
        self._spectrum = convert_to_tensor(spectrum, name="spectrum")
        super().__init__(dtypes.as_dtype(input_output_dtype), [self._spectrum],
                         is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name or type(self).__name__,
                         {"spectrum": spectrum, "input_output_dtype": input_output_dtype})

    @property
    def spectrum(self):
        return self._spectrum

    def _block_shape(self):
        return self._spectrum.shape.as_list()[-self._rank:]

    def _shape(self):
        n = 1
        for d in self._block_shape():
            n *= d
        return self._spectrum.shape[:-self._rank].concatenate([n, n])

    def _complex_spectrum(self):
        s = self._spectrum
        if not s.dtype.is_complex:
            from flowexec.ops.complex_ops import complex as make_complex

            s = make_complex(s, _a.zeros_like(s))
        return s

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        from flowexec.ops import spectral_ops

        x = _adj(x) if adjoint_arg else x
        spec = self._complex_spectrum()
        if adjoint:
            spec = _conj(spec)
        cdt = spec.dtype
        xc = _m.cast(x, cdt)
        block = self._block_shape()
        shape = _a.shape(xc)
        # [..., N, R] -> [..., R, *block]
        moved = _mx.matrix_transpose(xc)
        moved = _a.reshape(moved, _a.concat([_a.shape(moved)[:-1], block], 0))
        fft = {1: spectral_ops.fft, 2: spectral_ops.fft2d, 3: spectral_ops.fft3d}[self._rank]
        ifft = {1: spectral_ops.ifft, 2: spectral_ops.ifft2d, 3: spectral_ops.ifft3d}[self._rank]
        spec_b = _a.expand_dims(spec, -self._rank - 1)  # broadcast over the R columns
        y = ifft(spec_b * fft(moved))
        y = _a.reshape(y, _a.concat([_a.shape(y)[:-self._rank], [-1]], 0))
        y = _mx.matrix_transpose(y)
        y = _a.reshape(y, _a.concat([_a.shape(y)[:-2], shape[-2:]], 0))
        if self._dtype.is_complex:
            return _m.cast(y, self._dtype)
        from flowexec.ops.complex_ops import real

        return _m.cast(real(y), self._dtype)

    def _to_dense(self):
        n = self.shape.as_list()[-1]
        eye = _mx.eye(n, dtype=self._dtype)
        batch = self._spectrum.shape[:-self._rank]
        if batch.ndims:
            eye = eye + _a.zeros(batch.as_list() + [n, n], self._dtype)
        return self._matmul(eye)

    def _determinant(self):
        det = _m.reduce_prod(self._complex_spectrum(), axis=list(range(-self._rank, 0)))
        if self._dtype.is_complex:
            return _m.cast(det, self._dtype)
        from flowexec.ops.complex_ops import real

        return _m.cast(real(det), self._dtype)

    def _log_abs_determinant(self):
        if self._spectrum.dtype.is_complex:
            from flowexec.ops.complex_ops import imag, real

            s = self._spectrum
            log_mag = 0.5 * _m.log(_m.square(real(s)) + _m.square(imag(s)))
        else:
            log_mag = _m.log(_m.abs(self._spectrum))
        out = _m.reduce_sum(log_mag, axis=list(range(-self._rank, 0)))
        return _m.cast(out, self._dtype.real_dtype if self._dtype.is_complex else self._dtype)


class LinearOperatorCirculant(_BaseCirculant):
    """The circulant operator with the given spectrum (the FFT of its first column):
    matmul(x) = ifft(spectrum * fft(x))."""

    _rank = 1


class LinearOperatorCirculant2D(_BaseCirculant):
    """The block-circulant operator with circulant blocks of a 2-D spectrum [.., N0, N1]."""

    _rank = 2


class LinearOperatorCirculant3D(_BaseCirculant):
    """The nested block-circulant operator of a 3-D spectrum [..., N0, N1, N2]."""

    _rank = 3


class LinearOperatorToeplitz(LinearOperator):
    """The Toeplitz operator T[i, j] = col[i - j] (i >= j), row[j - i] (i < j); row[0] is
    ignored (col[0] is the diagonal), as in TF."""

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorToeplitz"):
        self._col = convert_to_tensor(col, name="col")
        self._row = convert_to_tensor(row, name="row", dtype=self._col.dtype)
        super().__init__(self._col.dtype, [self._col, self._row], is_non_singular,
                         is_self_adjoint, is_positive_definite, True, name,
                         {"col": col, "row": row})

    @property
    def col(self):
        return self._col

    @property
    def row(self):
        return self._row

    def _shape(self):
        s = self._col.shape
        return TensorShape(None) if s.ndims is None else s.concatenate([s[-1]])

    def _to_dense(self):
        n = _a.shape(self._col)[-1]
        r = _a.range(n)
        diff = _a.expand_dims(r, -1) - _a.expand_dims(r, 0)  # i - j
        lower = _a.gather(self._col, _m.maximum(diff, 0), axis=-1)
        upper = _a.gather(self._row, _m.maximum(-diff, 0), axis=-1)
        below = _a.broadcast_to(_m.greater_equal(diff, 0), _a.shape(lower))
        return _m.where(below, lower, upper)


class LinearOperatorTridiag(LinearOperator):
    """The tridiagonal operator of `diagonals` ("compact" [..., 3, N]: superdiagonal padded
    at the end, main, subdiagonal padded at the start; "sequence"; or "matrix")."""

    def __init__(self, diagonals, diagonals_format="compact", is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorTridiag"):
        from flowexec.ops.linalg_extra_ops import _tridiag_parts

        if diagonals_format not in ("compact", "sequence", "matrix"):
            raise ValueError(f"Diagonals Format must be one of compact, matrix, sequence, "
                             f"got : {diagonals_format}")
        self._format = diagonals_format
        self._diagonals = diagonals
        self._parts = _tridiag_parts(diagonals, diagonals_format)
        super().__init__(self._parts[1].dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name,
                         {"diagonals": diagonals, "diagonals_format": diagonals_format})

    @property
    def diagonals(self):
        return self._diagonals

    @property
    def diagonals_format(self):
        return self._format

    def _shape(self):
        s = self._parts[1].shape
        return TensorShape(None) if s.ndims is None else s.concatenate([s[-1]])

    def _to_dense(self):
        from flowexec.ops.linalg_extra_ops import _dense_tridiagonal

        return _dense_tridiagonal(*self._parts)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        from flowexec.ops.linalg_extra_ops import tridiagonal_matmul

        x = _adj(x) if adjoint_arg else x
        if adjoint:
            return _matmul(self.to_dense(), x, adjoint_a=True)
        return tridiagonal_matmul(list(self._parts), x, diagonals_format="sequence")
