"""special_ops: TF's special functions — erf, erfc, erfinv, ndtri, lgamma, digamma, polygamma,
igamma, igammac, betainc, zeta, the modified Bessel functions, nextafter, and the compositions
TF builds from them (erfcinv, lbeta).

Elementwise on float tensors (binary ones broadcast). Kernels evaluate the functions with
`scipy.special` on CPU and `cupyx.scipy.special` on GPU (`pip install flowexec[special]`);
gradients are TF's, built from graph ops. Where TF has no gradient for an argument (the order
of `polygamma`, `a` and `b` of `betainc`, `x` of `zeta`) none flows, as in TF. The gradient of
igamma / igammac with respect to `a` is TF's IgammaGradA op, whose kernel (numpy or cupy, with
the special module only for lgamma and digamma) differentiates the series and continued
fraction that give P(a, x).
"""

import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
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


def _igamma_partials(op, dz):
    # TF's _IgammaGrad: IgammaGradA for `a`, the density for `x`, each summed down to its
    # input's shape.
    a, x = op.inputs
    da = dz * igamma_grad_a(a, x)
    dx = dz * _igamma_dx(a, x)
    return _m._unbroadcast(da, a, x.shape), _m._unbroadcast(dx, x, a.shape)


@_igamma.gradient
def _igamma_grad(op, dz):
    return _igamma_partials(op, dz)


@_igammac.gradient
def _igammac_grad(op, dz):
    # Q = 1 - P: both partials change sign (TF's _IgammacGrad).
    da, dx = _igamma_partials(op, dz)
    return -da, -dx


# ----- IgammaGradA: d/da P(a, x) ----------------------------------------------------------------
# As TF (Eigen's igamma_generic_impl in DERIVATIVE mode, after Cephes' igam/igamc): where
# x > 1 and x > a, P = 1 - Q and Q comes from Legendre's continued fraction; elsewhere P comes
# from the power series. The derivative is the forward-mode derivative of the same series or
# fraction (each term carries d/da along), never a difference quotient. flowexec evaluates both
# in float64 whatever the input dtype, so float32 results are the float64 ones rounded, to
# 2000 + 10 sqrt(a) terms, at most 20000 (TF: 200 in float32, 500 in float64): about 1e-12
# relative or better for a up to 1e6 (x = a needs the most terms; beyond, the sums are cut
# short there).
_GRAD_A_MAX_TERMS = 2000
_GRAD_A_MAX_TERMS_CAP = 20000
_EPS64 = 2.0 ** -53
_BIG = 2.0 ** 52
_LOG_2PI = math.log(2 * math.pi)
# Stirling's series for lgamma(a + 1) - ((a + 1/2) log a - a + log(2 pi) / 2): coefficients of
# a^-1, a^-3, ..., a^-13.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)


def _log_power_term(sp, xp, a, x):
    """log(x^a e^-x / Gamma(a + 1)). For a >= 10 and a / 2 <= x <= 2 a it is
    a (log1p(u) - u) - log(2 pi a) / 2 - stirling(a), u = (x - a) / a (exact there), so that
    a log x, x and lgamma(a + 1), each about a log a, do not cancel to leave rounding error of
    that size; outside that band the term is at most exp(-a / 7)."""
    direct = a * xp.log(x) - x - sp.gammaln(a + 1)
    big = (a >= 10) & (x >= 0.5 * a) & (x <= 2 * a)  # elsewhere t < exp(-a / 7)
    if not big.any():
        return direct
    ab = xp.where(big, a, 10.0)
    u = (x - ab) / ab
    inv2 = 1 / (ab * ab)
    stirling = xp.zeros_like(ab)
    for coef in reversed(_STIRLING):
        stirling = stirling * inv2 + coef
    stirling = stirling / ab
    with _np_errstate(xp):
        scaled = ab * (xp.log1p(u) - u) - 0.5 * (_LOG_2PI + xp.log(ab)) - stirling
    return xp.where(big, scaled, direct)


def _np_errstate(xp):
    import contextlib

    return xp.errstate(all="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()


def _max_terms(xp, a):
    # Near x = a both expansions need about 9 sqrt(a) terms.
    return min(_GRAD_A_MAX_TERMS_CAP, _GRAD_A_MAX_TERMS + int(10 * math.sqrt(float(xp.max(a)))))


def _iterate(xp, state, step, converged, max_terms):
    """Applies `state = step(state)` (a tuple of equal-length 1-D arrays) to the elements not
    yet `converged(state)`, at most `max_terms` times; returns the final state of each
    element (an element that never converges keeps its last one)."""
    final = [v.copy() for v in state]
    idx = xp.arange(state[0].shape[0])
    for _ in range(max_terms):
        state = step(state)
        done = converged(state)
        if done.any():
            for f, v in zip(final, state):
                f[idx[done]] = v[done]
            keep = ~done
            idx = idx[keep]
            state = tuple(v[keep] for v in state)
            if idx.size == 0:
                return final
    for f, v in zip(final, state):
        f[idx] = v
    return final


def _series_slope(sp, xp, a, x, maxlog, sample):
    # P = t S, t = x^a e^-x / Gamma(a + 1), S = sum_n c_n, c_0 = 1, c_n = c_{n-1} x / (a + n);
    # dP/da = t (S (log x - psi(a + 1)) + S'), S' = sum_n c_n', c_n' = d c_n / da carried
    # along the recurrence.
    log_t = _log_power_term(sp, xp, a, x)
    slope_log_t = xp.log(x) - sp.psi(a + 1)

    def step(st):
        a, x, lt, r, c, s, dc, ds = st
        r = r + 1
        term = x / r
        dc = term * dc - (x / (r * r)) * c
        c = c * term
        return a, x, lt, r, c, s + c, dc, ds + dc

    def converged(st):
        _, _, lt, _, c, s, dc, ds = st
        return c * xp.abs(lt) + xp.abs(dc) <= _EPS64 * xp.abs(s * lt + ds)

    one, zero = xp.ones_like(a), xp.zeros_like(a)
    *_, s, _, ds = _iterate(xp, (a, x, slope_log_t, a.copy(), one, one, zero, zero), step,
                            converged, _max_terms(xp, a))
    slope = s * slope_log_t + ds
    # sample: -(dP/da) / pdf, pdf = t a / x; else dP/da. Both 0 where t underflows, as TF.
    out = -slope * (x / a) if sample else xp.exp(log_t) * slope
    return xp.where(log_t < -maxlog, 0.0, out)


def _fraction_slope(sp, xp, a, x, maxlog, sample):
    # Q = t F, t = x^a e^-x / Gamma(a), F Legendre's continued fraction as Cephes' igamc
    # evaluates it (convergents p_k / q_k, rescaled when large); dP/da = -dQ/da =
    # -t (F (log x - psi(a)) + F'), F' from the derivatives of p_k and q_k carried along.
    log_t = _log_power_term(sp, xp, a, x) + xp.log(a)
    lt = xp.log(x) - sp.psi(a)
    zero = xp.zeros_like(a)
    y = 1 - a
    z = x + y + 1
    pkm1, qkm1 = x + 1, z * x
    ans = pkm1 / qkm1
    dqkm1 = -x
    dans = -ans * dqkm1 / qkm1
    inf = xp.full_like(a, xp.inf)
    state = (x, lt, y, z, zero, xp.ones_like(a), pkm1, x.copy(), qkm1, zero, zero, zero, dqkm1,
             ans, dans, inf, inf)

    def step(st):
        x, lt, y, z, c, pkm2, pkm1, qkm2, qkm1, dpkm2, dpkm1, dqkm2, dqkm1, ans0, dans0 = st[:15]
        c, y, z = c + 1, y + 1, z + 2
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        nonzero = qk != 0
        safe_q = xp.where(nonzero, qk, 1.0)
        ans = xp.where(nonzero, pk / safe_q, ans0)
        dans = xp.where(nonzero, (dpk - ans * dqk) / safe_q, dans0)
        scale = xp.where(xp.abs(pk) > _BIG, 1 / _BIG, 1.0)
        return (x, lt, y, z, c, pkm1 * scale, pk * scale, qkm1 * scale, qk * scale,
                dpkm1 * scale, dpk * scale, dqkm1 * scale, dqk * scale, ans, dans,
                xp.where(nonzero, ans0, xp.inf), dans0)

    def converged(st):
        lt, ans, dans, ans0, dans0 = st[1], st[13], st[14], st[15], st[16]
        err = xp.abs(ans - ans0) * xp.abs(lt) + xp.abs(dans - dans0)
        return err <= _EPS64 * xp.abs(ans * lt + dans)

    ans, dans = _iterate(xp, state, step, converged, _max_terms(xp, a))[13:15]
    slope = ans * lt + dans
    # sample: -(dP/da) / pdf, pdf = t / x; else dP/da.
    out = slope * x if sample else -xp.exp(log_t) * slope
    return xp.where(log_t < -maxlog, 0.0, out)


def _igamma_a_derivative(xp, a, x, sample):
    sp = special(xp)
    dtype = xp.result_type(a, x)
    maxlog = math.log(float(xp.finfo(dtype).max))  # TF: x^a e^-x / Gamma(a) = 0 below exp(-it)
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype=xp.float64), xp.asarray(x, dtype=xp.float64))
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    out = xp.full(a.shape, xp.nan)
    out[x == 0] = 0.0
    valid = (x > 0) & (a > 0)  # NaNs compare False
    frac = valid & (x > 1) & (x > a)
    out[frac & xp.isinf(x)] = -0.0
    frac &= ~xp.isinf(x)
    series = valid & ~frac & ~xp.isinf(x)
    out[valid & xp.isinf(a) & ~frac] = 0.0  # TF: x^a e^-x / Gamma(a) is NaN there, taken as 0
    series &= ~xp.isinf(a)
    with _np_errstate(xp):
        for mask, fn in ((series, _series_slope), (frac, _fraction_slope)):
            if mask.any():
                out[mask] = fn(sp, xp, a[mask], x[mask], maxlog, sample)
    return out.reshape(shape)


def igamma_grad_a_values(xp, a, x):
    """d/da of the regularized lower incomplete gamma function P(a, x), elementwise, in float64
    (computed so whatever the dtype of `a` and `x`, which broadcast): TF's IgammaGradA.

    Where TF's kernel gives special values, so does this: 0 where x == 0 (first), NaN where
    a <= 0, x < 0 or either is NaN, 0 (signed) where x or a is infinite or x^a e^-x / Gamma(a)
    underflows in the inputs' dtype.
    """
    return _igamma_a_derivative(xp, a, x, sample=False)


def random_gamma_grad_values(xp, alpha, sample):
    """d sample / d alpha of a Gamma(alpha, 1) sample at fixed CDF, -(dP/da) / pdf, in float64:
    TF's RandomGammaGrad (Eigen's SAMPLE_DERIVATIVE mode), from the same series and fraction
    as `igamma_grad_a_values`, so neither the tail (P near 1) nor a tiny pdf loses it."""
    return _igamma_a_derivative(xp, alpha, sample, sample=True)


def _igamma_grad_a_infer(op):
    return _m._binary_infer((dtypes.float32, dtypes.float64))(op)


@defop("IgammaGradA", infer=_igamma_grad_a_infer, cost=EXPENSIVE)
def _igamma_grad_a(xp, a, x):
    return _same(xp, igamma_grad_a_values(xp, a, x), a)


_igamma_grad_a.not_differentiable()  # TF registers no gradient for IgammaGradA


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


def igamma_grad_a(a, x, name=None):
    """d/da igamma(a, x), the derivative of P(a, x) in its first argument (op IgammaGradA, as
    TF's `gen_math_ops.igamma_grad_a`); `a` and `x` broadcast, float32 or float64.

    Example:
        >>> igamma_grad_a(constant([2.0]), constant([1.0]))  # [-0.2762]
    """
    return _m._binary("IgammaGradA", a, x, name or "IgammaGradA", arg_names=("a", "x"))


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
