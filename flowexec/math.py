"""`tf.math`: TF 1.x's math namespace, the same functions as the top-level names and tf.nn.

Example:
    >>> import flowexec as tf
    >>> tf.math.segment_sum(tf.constant([1, 2, 3]), [0, 0, 1])  # [3, 3]
"""

from flowexec.ops.array_ops import invert_permutation
from flowexec.ops.composite_math_ops import (
    accumulate_n,
    is_non_decreasing,
    is_strictly_increasing,
    log_sigmoid,
    polyval,
    reduce_euclidean_norm,
    reduce_std,
    reduce_variance,
)
from flowexec.ops.confusion_matrix import confusion_matrix
from flowexec.ops.division_ops import div_no_nan as divide_no_nan
from flowexec.ops.division_ops import (
    multiply_no_nan,
    reciprocal_no_nan,
    xdivy,
    xlog1py,
    xlogy,
)
from flowexec.ops.math_ops import (
    abs,
    add,
    add_n,
    argmax,
    argmin,
    ceil,
    conj,
    cos,
    count_nonzero,
    cumprod,
    cumsum,
    divide,
    equal,
    exp,
    floor,
    floordiv,
    floormod,
    greater,
    greater_equal,
    is_finite,
    is_inf,
    is_nan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    round,
    rsqrt,
    scalar_mul,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
    truediv,
)
from flowexec.ops.nn_ops import (
    in_top_k,
    l2_normalize,
    log_softmax,
    softmax,
    softplus,
    softsign,
    zero_fraction,
)
from flowexec.ops.segment_ops import (
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
)
from flowexec.ops.complex_ops import angle, imag, real
from flowexec.ops.search_ops import bincount
from flowexec.ops.composite_math_ops import cumulative_logsumexp
from flowexec.ops.sobol_ops import sobol_sample
from flowexec.ops.sort_ops import approx_max_k, approx_min_k, top_k
from flowexec.ops.special_ops import (
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    betainc,
    digamma,
    erf,
    erfc,
    erfcinv,
    erfinv,
    igamma,
    igammac,
    lbeta,
    lgamma,
    ndtri,
    nextafter,
    polygamma,
    zeta,
)
from flowexec.ops.trig_ops import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    expm1,
    rint,
    sinh,
    tan,
)

from flowexec import math_special as special  # noqa: E402

__all__ = ["abs", "accumulate_n", "acos", "acosh", "add", "add_n", "argmax", "argmin", "asin",
    "asinh", "atan", "atan2", "atanh", "ceil", "confusion_matrix", "conj", "cos", "cosh",
    "count_nonzero", "cumprod", "cumsum", "divide", "divide_no_nan", "equal", "exp", "expm1",
    "floor", "floordiv", "floormod", "greater", "greater_equal", "in_top_k", "invert_permutation",
    "is_finite", "is_inf", "is_nan", "is_non_decreasing", "is_strictly_increasing", "l2_normalize",
    "less", "less_equal", "log", "log1p", "log_sigmoid", "log_softmax", "logical_and",
    "logical_not", "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply",
    "multiply_no_nan", "negative", "not_equal", "polyval", "pow", "reciprocal",
    "reciprocal_no_nan", "reduce_all", "reduce_any", "reduce_euclidean_norm", "reduce_logsumexp",
    "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_std", "reduce_sum",
    "reduce_variance", "rint", "round", "rsqrt", "scalar_mul", "segment_max", "segment_mean",
    "segment_min", "segment_prod", "segment_sum", "sigmoid", "sign", "sin", "sinh", "softmax",
    "softplus", "softsign", "sqrt", "square", "squared_difference", "subtract", "tan", "tanh",
    "top_k", "truediv", "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
    "unsorted_segment_prod", "unsorted_segment_sqrt_n", "unsorted_segment_sum", "xdivy", "xlog1py",
    "xlogy", "zero_fraction"]
__all__ += ["angle", "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "betainc", "digamma",
            "erf", "erfc", "erfcinv", "erfinv", "igamma", "igammac", "imag", "lbeta", "lgamma",
            "ndtri", "nextafter", "polygamma", "real", "special", "zeta", "bincount", "approx_max_k", "approx_min_k",
            "cumulative_logsumexp"]
__all__ += ["sobol_sample"]
