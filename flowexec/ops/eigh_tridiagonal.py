"""`tf.linalg.eigh_tridiagonal`: eigenvalues (and eigenvectors) of a real symmetric or
complex Hermitian tridiagonal matrix, all of them or those selected by index or interval.

The matrix T has `alpha` on its diagonal, `beta` above it and `conj(beta)` below (TF's
convention; a complex `alpha`'s imaginary part is ignored). TF computes the eigenvalues by
Sturm-sequence bisection to the tolerance `tol` and the eigenvectors by inverse iteration;
flowexec builds T with graph ops (matrix_diag, pad) and takes SelfAdjointEigV2 of it, so
the eigenvalues are LAPACK's (accurate to eps * ||T||, well within TF's default `tol` of
eps * ||T||; a larger `tol` does not make them coarser) and the result is differentiable
(SelfAdjointEigV2's gradient), where TF's loops are not. Cost is that of a dense n x n
eigensolver. Selection as TF: 'a' all, 'i' the eigenvalues of indices
`select_range[0] ... select_range[1]` (inclusive, ascending order), 'v' those in
`(select_range[0], select_range[1]]`; eigenvectors are returned for every selection (TF
fails on 'v' with eigenvectors).

Example:
    >>> tf.linalg.eigh_tridiagonal([0.0, 0.0, 0.0], [1.0, 1.0])  # [-sqrt(2), 0, sqrt(2)]
"""

from flowexec import errors
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import check_ops
from flowexec.ops import math_ops as _m
from flowexec.ops import matrix_ops as _mx
from flowexec.ops import shape_fns
from flowexec.ops.complex_ops import real
from flowexec.ops.linalg_extra_ops import eigh, eigvalsh

_TYPES = (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)
_EMPTY = {"i": ("Got empty index range in select_range.", check_ops.assert_less_equal,
                lambda lo, hi: lo <= hi),
          "v": ("Got empty interval in select_range.", check_ops.assert_less,
                lambda lo, hi: lo < hi)}


def _tridiagonal(alpha, beta):
    """The dense T: diag(alpha) + beta above the diagonal + conj(beta) below."""
    if alpha.dtype.is_complex:
        alpha = _m.cast(real(alpha), alpha.dtype)
    upper = _a.pad(_mx.matrix_diag(beta), [[0, 1], [1, 0]])
    return _mx.matrix_diag(alpha) + upper + _mx.adjoint(upper)


def _checked_range(select, select_range):
    """(lo, hi) of select_range, with TF's empty-range check (at build when known)."""
    lo, hi = select_range[0], select_range[1]
    message, assert_fn, ok = _EMPTY[select]
    known = [shape_fns.constant_value(convert_to_tensor(x)) for x in (lo, hi)]
    if known[0] is not None and known[1] is not None:
        if not ok(known[0], known[1]):
            raise errors.InvalidArgumentError(
                None, None, f"{message}\nCondition did not hold: select_range = "
                            f"[{known[0]}, {known[1]}]")
        return lo, hi, []
    return lo, hi, [assert_fn(lo, hi, message=message)]


def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None,
                     name=None):
    """Eigenvalues (ascending) and optionally eigenvectors of a tridiagonal Hermitian matrix.

    Args:
        alpha: `[n]` float32/float64/complex64/complex128: the diagonal.
        beta: `[n - 1]` of alpha's dtype: the superdiagonal (the subdiagonal is its
            conjugate).
        eigvals_only: return only the eigenvalues (default), else (eigenvalues, vectors).
        select: 'a' (all), 'i' (by index) or 'v' (by value).
        select_range: for 'i', `[lo, hi]` indices (inclusive); for 'v', the interval
            `(lo, hi]`. Ignored for 'a'.
        tol: TF's bisection tolerance; accepted, the eigenvalues are exact to working
            precision already (see the module docstring).
        name: name scope (default "eigh_tridiagonal").

    Returns:
        The eigenvalues, real (`[k]`); with `eigvals_only=False` also the `[n, k]`
        eigenvectors, column j for eigenvalue j, of alpha's dtype.

    Raises:
        ValueError: "'alpha' and 'beta' must have the same type.", "'select must have a
            value in {'a', 'i', 'v'}.", or beta's length is not n - 1.
        InvalidArgumentError: an empty select_range ("Got empty index range in
            select_range.", "Got empty interval in select_range."), at build when known.

    Example:
        >>> e, v = eigh_tridiagonal([1.0, 2.0], [0.5], eigvals_only=False)
    """
    del tol
    with name_scope(name or "eigh_tridiagonal"):
        alpha = convert_to_tensor(alpha, name="alpha")
        beta = convert_to_tensor(beta, name="beta")
        if alpha.dtype != beta.dtype:
            raise ValueError("'alpha' and 'beta' must have the same type.")
        if alpha.dtype not in _TYPES:
            raise TypeError(f"eigh_tridiagonal takes float32, float64, complex64 or "
                            f"complex128, got {alpha.dtype.name}")
        if select not in ("a", "i", "v"):
            raise ValueError("'select must have a value in {'a', 'i', 'v'}.")
        n, m = alpha.shape.with_rank(1)[0], beta.shape.with_rank(1)[0]
        if n is not None and m is not None and m != max(n - 1, 0):
            raise ValueError(f"beta must have n - 1 = {n - 1} elements for alpha of length "
                             f"{n}, got {m}")
        t = _tridiagonal(alpha, beta)
        if eigvals_only:
            e, v = eigvalsh(t), None
        else:
            e, v = eigh(t)
        if select == "a":
            return e if eigvals_only else (e, v)
        lo, hi, checks = _checked_range(select, select_range)
        with control_dependencies(checks):
            if select == "i":
                keep = _a.range(lo, _m.add(hi, 1))
            else:
                lo, hi = (_m.cast(x, e.dtype) for x in (lo, hi))
                keep = _a.reshape(_m.where(_m.logical_and(_m.greater(e, lo),
                                                          _m.less_equal(e, hi))), [-1])
            e = _a.gather(e, keep)
            if eigvals_only:
                return e
            return e, _a.gather(v, keep, axis=1)


__all__ = ["eigh_tridiagonal"]
