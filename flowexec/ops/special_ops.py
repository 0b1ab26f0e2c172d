"""special_ops: TF's special functions — erf, erfc, erfinv, ndtri, lgamma, digamma, polygamma,
igamma, igammac, betainc, zeta, the modified Bessel functions, nextafter, and the compositions
TF builds from them (erfcinv, lbeta).

Elementwise on float tensors (binary ones broadcast). Kernels evaluate the functions with
`scipy.special` on CPU and `cupyx.scipy.special` on GPU (`pip install flowexec[special]`);
gradients are TF's, built from graph ops. Where TF has no gradient for an argument (the order
of `polygamma`, `a` and `b` of `betainc`, `x` of `zeta`) none flows, as in TF.
"""

import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns

_FLOATS = shape_fns.FLOATS


def special(xp):
    """The special-function module for the array module `xp` (scipy's or cupyx's).

    Raises:
        UnimplementedError: SciPy (or CuPy's cupyx) is not installed.
    """
    try:
        if xp.__name__ == "numpy":
            import scipy.special as sp
        else:
            import cupyx.scipy.special as sp
    except ImportError as e:
        raise errors.UnimplementedError(
            None, None, "special functions need SciPy: pip install flowexec[special]") from e
    return sp


def _same(xp, out, like):
    return xp.asarray(out, dtype=like.dtype)


def _unary_special(type_name, fn_name, part=None):
    @defop(type_name, infer=_m._unary_infer(_FLOATS))
    def kernel(xp, x):
        out = getattr(special(xp), fn_name)(x)
        return _same(xp, out if part is None else out[part], x)
    return kernel


_erf = _unary_special("Erf", "erf")
_erfc = _unary_special("Erfc", "erfc")
_erfinv = _unary_special("Erfinv", "erfinv")
_ndtri = _unary_special("Ndtri", "ndtri")
_lgamma = _unary_special("Lgamma", "gammaln")
_digamma = _unary_special("Digamma", "psi")
_bessel_i0 = _unary_special("BesselI0", "i0")
_bessel_i0e = _unary_special("BesselI0e", "i0e")
_bessel_i1 = _unary_special("BesselI1", "i1")
_bessel_i1e = _unary_special("BesselI1e", "i1e")

_bessel_j0 = _unary_special("BesselJ0", "j0")
_bessel_j1 = _unary_special("BesselJ1", "j1")
_bessel_y0 = _unary_special("BesselY0", "y0")
_bessel_y1 = _unary_special("BesselY1", "y1")
_bessel_k0 = _unary_special("BesselK0", "k0")
_bessel_k0e = _unary_special("BesselK0e", "k0e")
_bessel_k1 = _unary_special("BesselK1", "k1")
_bessel_k1e = _unary_special("BesselK1e", "k1e")
_dawsn = _unary_special("Dawsn", "dawsn")
_expint = _unary_special("Expint", "expi")
_fresnel_sin = _unary_special("FresnelSin", "fresnel", 0)
_fresnel_cos = _unary_special("FresnelCos", "fresnel", 1)
_spence = _unary_special("Spence", "spence")

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@_erf.gradient
def _erf_grad(op, dy):
    x = op.inputs[0]
    return dy * _TWO_OVER_SQRT_PI * _m.exp(-_m.square(x))


@_erfc.gradient
def _erfc_grad(op, dy):
    x = op.inputs[0]
    return dy * -_TWO_OVER_SQRT_PI * _m.exp(-_m.square(x))


@_erfinv.gradient
def _erfinv_grad(op, dy):
    return dy * (math.sqrt(math.pi) / 2) * _m.exp(_m.square(op.outputs[0]))


@_ndtri.gradient
def _ndtri_grad(op, dy):
    return dy * math.sqrt(2 * math.pi) * _m.exp(_m.square(op.outputs[0]) / 2)


@_lgamma.gradient
def _lgamma_grad(op, dy):
    return dy * digamma(op.inputs[0])


@_digamma.gradient
def _digamma_grad(op, dy):
    x = op.inputs[0]
    return dy * polygamma(_m.cast(1, x.dtype), x)


@_bessel_i0.gradient
def _bessel_i0_grad(op, dy):
    return dy * bessel_i1(op.inputs[0])


@_bessel_i0e.gradient
def _bessel_i0e_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (bessel_i1e(x) - _m.sign(x) * y)


def _i1_over_x(x, i1):
    # I1(x)/x, which tends to 1/2 at x = 0.
    zero = _m.equal(x, _m.cast(0, x.dtype))
    safe = _m.where(zero, _a.ones_like(x), x)
    return _m.where(zero, 0.5 * _a.ones_like(x), _m.truediv(i1, safe))


@_bessel_i1.gradient
def _bessel_i1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (bessel_i0(x) - _i1_over_x(x, y))


@_bessel_i1e.gradient
def _bessel_i1e_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (bessel_i0e(x) - y * _m.sign(x) - _i1_over_x(x, y))


def _over_x(x, v):
    return _m.truediv(v, x)


@_bessel_j0.gradient
def _bessel_j0_grad(op, dy):
    return -dy * bessel_j1(op.inputs[0])


@_bessel_j1.gradient
def _bessel_j1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (bessel_j0(x) - _i1_over_x(x, y))


@_bessel_y0.gradient
def _bessel_y0_grad(op, dy):
    return -dy * bessel_y1(op.inputs[0])


@_bessel_y1.gradient
def _bessel_y1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (bessel_y0(x) - _over_x(x, y))


@_bessel_k0.gradient
def _bessel_k0_grad(op, dy):
    return -dy * bessel_k1(op.inputs[0])


@_bessel_k0e.gradient
def _bessel_k0e_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (y - bessel_k1e(x))


@_bessel_k1.gradient
def _bessel_k1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (-bessel_k0(x) - _over_x(x, y))


@_bessel_k1e.gradient
def _bessel_k1e_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (y - bessel_k0e(x) - _over_x(x, y))


@_dawsn.gradient
def _dawsn_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return dy * (1 - 2 * x * y)


@_expint.gradient
def _expint_grad(op, dy):
    x = op.inputs[0]
    return dy * _m.exp(x) / x


@_fresnel_sin.gradient
def _fresnel_sin_grad(op, dy):
    x = op.inputs[0]
    return dy * _m.sin((math.pi / 2) * _m.square(x))


@_fresnel_cos.gradient
def _fresnel_cos_grad(op, dy):
    x = op.inputs[0]
    return dy * _m.cos((math.pi / 2) * _m.square(x))


@_spence.gradient
def _spence_grad(op, dy):
    x = op.inputs[0]
    one = _m.equal(x, _m.cast(1, x.dtype))
    safe = _m.where(one, 2 * _a.ones_like(x), x)
    partial = _m.where(one, -_a.ones_like(x), _m.log(safe) / (1 - safe))
    return dy * partial


def _binary_special(type_name, fn_name):
    @defop(type_name, infer=_m._binary_infer(_FLOATS))
    def kernel(xp, a, x):
        return _same(xp, getattr(special(xp), fn_name)(a, x), a)
    return kernel


_igamma = _binary_special("Igamma", "gammainc")
_igammac = _binary_special("Igammac", "gammaincc")
_polygamma = _binary_special("Polygamma", "polygamma")
_zeta = _binary_special("Zeta", "zeta")


def _second_only(op, g):
    a, x = op.inputs
    return None, _m._unbroadcast(g, x, a.shape)


def _igamma_dx(a, x):
    # d/dx P(a, x) = exp(-x) x^(a-1) / Gamma(a)
    return _m.exp(-x + (a - 1) * _m.log(x) - lgamma(a))


@_igamma.gradient
def _igamma_grad(op, dz):
    a, x = op.inputs
    return _second_only(op, dz * _igamma_dx(a, x))


@_igammac.gradient
def _igammac_grad(op, dz):
    a, x = op.inputs
    return _second_only(op, -dz * _igamma_dx(a, x))


@_polygamma.gradient
def _polygamma_grad(op, dz):
    a, x = op.inputs
    return _second_only(op, dz * polygamma(a + 1, x))


@_zeta.gradient
def _zeta_grad(op, dz):
    x, q = op.inputs
    return _second_only(op, dz * -x * zeta(x + 1, q))


def _betainc_infer(op):
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, (dtypes.float32, dtypes.float64))
    shapes = [t.shape for t in op.inputs]
    known = [s for s in shapes if s.ndims not in (None, 0)]
    for s in known[1:]:
        if not s.is_compatible_with(known[0]):
            raise shape_fns.shape_error(
                op, "Shapes of a, b and x are inconsistent")
    out = known[0] if known else shapes[0]
    for s in known[1:]:
        out = out.merge_with(s)
    return [(dt, out)]


@defop("Betainc", infer=_betainc_infer)
def _betainc(xp, a, b, x):
    shapes = {tuple(v.shape) for v in (a, b, x) if v.ndim}
    if len(shapes) > 1:
        raise errors.InvalidArgumentError(
            None, None, "Shapes of a, b, and x must be equal or scalars; got "
            + ", ".join(str(list(v.shape)) for v in (a, b, x)))
    return _same(xp, special(xp).betainc(a, b, x), a)


@_betainc.gradient
def _betainc_grad(op, dz):
    a, b, x = op.inputs
    # d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b)
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    dx = _m.exp((a - 1) * _m.log(x) + (b - 1) * _m.log1p(-x) - log_beta)
    g = dz * dx
    if x.shape.ndims == 0 and g.shape.ndims != 0:
        g = _m.reduce_sum(g)
    return None, None, g


def _nextafter_infer(op):
    return _m._binary_infer((dtypes.float32, dtypes.float64))(op)


@defop("NextAfter", infer=_nextafter_infer)
def _nextafter(xp, x1, x2):
    return xp.nextafter(x1, x2)


_nextafter.not_differentiable()


# ----- public functions -----------------------------------------------------------------------
def erf(x, name=None):
    """The Gauss error function, elementwise (op type Erf).

    Example:
        >>> erf(constant([0.0, 1.0]))  # [0., 0.8427]
    """
    return _m._unary("Erf", x, name or "Erf")


def erfc(x, name=None):
    """The complementary error function 1 - erf(x), accurate for large x (op type Erfc)."""
    return _m._unary("Erfc", x, name or "Erfc")


def erfinv(x, name=None):
    """The inverse of erf on (-1, 1), elementwise (op type Erfinv)."""
    return _m._unary("Erfinv", x, name or "Erfinv")


def ndtri(x, name=None):
    """The inverse of the standard normal CDF on (0, 1), elementwise (op type Ndtri)."""
    return _m._unary("Ndtri", x, name or "Ndtri")


def erfcinv(x, name=None):
    """The inverse of erfc on (0, 2): -ndtri(x / 2) / sqrt(2), as TF composes it."""
    with name_scope(name, "erfcinv", [x]):
        x = convert_to_tensor(x, name="start")
        return -ndtri(0.5 * x) * (1.0 / math.sqrt(2.0))


def lgamma(x, name=None):
    """log|Gamma(x)| elementwise (op type Lgamma).

    Example:
        >>> lgamma(constant([1.0, 5.0]))  # [0., log(24)]
    """
    return _m._unary("Lgamma", x, name or "Lgamma")


def digamma(x, name=None):
    """The digamma function psi(x) = d/dx lgamma(x), elementwise (op type Digamma)."""
    return _m._unary("Digamma", x, name or "Digamma")


def polygamma(a, x, name=None):
    """The polygamma function psi^(a)(x) for integer-valued float `a` >= 0 (op Polygamma)."""
    return _m._binary("Polygamma", a, x, name or "Polygamma", arg_names=("a", "x"))


def igamma(a, x, name=None):
    """The regularized lower incomplete gamma function P(a, x) (op type Igamma)."""
    return _m._binary("Igamma", a, x, name or "Igamma", arg_names=("a", "x"))


def igammac(a, x, name=None):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) (op Igammac)."""
    return _m._binary("Igammac", a, x, name or "Igammac", arg_names=("a", "x"))


def zeta(x, q, name=None):
    """The Hurwitz zeta function sum_n (n + q)^(-x), elementwise (op type Zeta)."""
    return _m._binary("Zeta", x, q, name or "Zeta", arg_names=("x", "q"))


def betainc(a, b, x, name=None):
    """The regularized incomplete beta function I_x(a, b) (op type Betainc).

    `a`, `b` and `x` have one shape, or are scalars; float32 or float64.

    Raises:
        InvalidArgumentError: (at run time) the non-scalar shapes differ.
    """
    with name_scope(name, "Betainc", [a, b, x]) as scope:
        a, b, x = _m._convert((a, b, x), ("a", "b", "x"))
        return apply_op("Betainc", a, b, x, name=scope)


def nextafter(x1, x2, name=None):
    """The next representable value after x1 in the direction of x2 (op type NextAfter)."""
    return _m._binary("NextAfter", x1, x2, name or "NextAfter", arg_names=("x1", "x2"))


def lbeta(x, name=None):
    """log|Beta(x)| over the last dimension: sum(lgamma(x)) - lgamma(sum(x)), as TF.

    An empty last dimension gives 0 (TF's convention: the empty product is 1).

    Example:
        >>> lbeta(constant([[1.0, 1.0]]))  # [0.]
    """
    with name_scope(name, "lbeta", [x]):
        x = convert_to_tensor(x, name="x")
        log_prod_gamma_x = _m.reduce_sum(lgamma(x), axis=[-1])
        sum_x = _m.reduce_sum(x, axis=[-1])
        return log_prod_gamma_x - lgamma(sum_x)


def bessel_i0(x, name=None):
    """The modified Bessel function of the first kind of order 0 (op type BesselI0)."""
    return _m._unary("BesselI0", x, name or "BesselI0")


def bessel_i0e(x, name=None):
    """exp(-|x|) * I0(x), the exponentially scaled I0 (op type BesselI0e)."""
    return _m._unary("BesselI0e", x, name or "BesselI0e")


def bessel_i1(x, name=None):
    """The modified Bessel function of the first kind of order 1 (op type BesselI1)."""
    return _m._unary("BesselI1", x, name or "BesselI1")


def bessel_i1e(x, name=None):
    """exp(-|x|) * I1(x), the exponentially scaled I1 (op type BesselI1e)."""
    return _m._unary("BesselI1e", x, name or "BesselI1e")


def _public_unary(type_name, fn_name, doc):
    def fn(x, name=None):
        return _m._unary(type_name, x, name or type_name)
    fn.__name__ = fn_name
    fn.__doc__ = f"{doc} elementwise (op type {type_name})."
    return fn


bessel_j0 = _public_unary("BesselJ0", "bessel_j0", "The Bessel function of the first kind J0")
bessel_j1 = _public_unary("BesselJ1", "bessel_j1", "The Bessel function of the first kind J1")
bessel_y0 = _public_unary("BesselY0", "bessel_y0", "The Bessel function of the second kind Y0")
bessel_y1 = _public_unary("BesselY1", "bessel_y1", "The Bessel function of the second kind Y1")
bessel_k0 = _public_unary("BesselK0", "bessel_k0", "The modified Bessel function K0, for x > 0,")
bessel_k0e = _public_unary("BesselK0e", "bessel_k0e", "exp(x) * K0(x), for x > 0,")
bessel_k1 = _public_unary("BesselK1", "bessel_k1", "The modified Bessel function K1, for x > 0,")
bessel_k1e = _public_unary("BesselK1e", "bessel_k1e", "exp(x) * K1(x), for x > 0,")
dawsn = _public_unary("Dawsn", "dawsn", "Dawson's integral exp(-x^2) * integral_0^x exp(t^2)")
expint = _public_unary("Expint", "expint", "The exponential integral Ei(x)")
fresnel_cos = _public_unary("FresnelCos", "fresnel_cos",
                            "The Fresnel cosine integral of cos(pi t^2 / 2) from 0 to x,")
fresnel_sin = _public_unary("FresnelSin", "fresnel_sin",
                            "The Fresnel sine integral of sin(pi t^2 / 2) from 0 to x,")
spence = _public_unary("Spence", "spence",
                       "Spence's function, the integral of log(t) / (1 - t) from 1 to x, x >= 0,")

__all__ = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "betainc", "digamma", "erf",
           "erfc", "erfcinv", "erfinv", "igamma", "igammac", "lbeta", "lgamma", "ndtri",
           "nextafter", "polygamma", "zeta"]
