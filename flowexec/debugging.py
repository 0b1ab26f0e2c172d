"""`tf.debugging`: TF 1.x's assertions and numeric checks, the check-numerics op callback,
placement logging and traceback filtering.

Example:
    >>> import flowexec as tf
    >>> with tf.control_dependencies([tf.debugging.assert_rank(x, 2)]):
    ...     y = tf.identity(x)
"""

from flowexec.ops.check_ops import (
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_integer,
    assert_less,
    assert_less_equal,
    assert_near,
    assert_negative,
    assert_non_negative,
    assert_non_positive,
    assert_none_equal,
    assert_positive,
    assert_proper_iterable,
    assert_rank,
    assert_rank_at_least,
    assert_rank_in,
    assert_same_float_dtype,
    assert_scalar,
    assert_type,
    is_numeric_tensor,
)
from flowexec.ops.composite_math_ops import is_non_decreasing, is_strictly_increasing
from flowexec.ops.logging_ops import Assert
from flowexec.ops.math_ops import is_finite, is_inf, is_nan
from flowexec.framework.traceback_filter import (
    disable_traceback_filtering,
    enable_traceback_filtering,
    is_traceback_filtering_enabled,
)
from flowexec.ops.numerics_callback import disable_check_numerics, enable_check_numerics
from flowexec.ops.numerics_ops import check_numerics
from flowexec.runtime.config import get_log_device_placement, set_log_device_placement
from flowexec.ops.shape_assert_ops import assert_shapes
from flowexec.ops.numerics_ops import verify_tensor_all_finite as assert_all_finite

__all__ = [
    "Assert", "assert_all_finite", "assert_equal", "assert_greater", "assert_greater_equal",
    "assert_integer", "assert_less", "assert_less_equal", "assert_near", "assert_negative",
    "assert_non_negative", "assert_non_positive", "assert_none_equal", "assert_positive",
    "assert_proper_iterable", "assert_rank", "assert_rank_at_least", "assert_rank_in",
    "assert_same_float_dtype", "assert_scalar", "assert_type", "check_numerics", "is_finite",
    "is_inf", "is_nan", "is_non_decreasing", "is_numeric_tensor", "is_strictly_increasing",
    "assert_shapes", "disable_check_numerics", "disable_traceback_filtering",
    "enable_check_numerics", "enable_traceback_filtering", "get_log_device_placement",
    "is_traceback_filtering_enabled", "set_log_device_placement",
]
