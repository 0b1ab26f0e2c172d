"""check_ops: `assert_equal`, `assert_less`, `assert_greater`, `assert_less_equal`,
`assert_greater_equal`, `assert_none_equal`, `assert_near`, `assert_positive`,
`assert_non_negative`, `assert_negative`, `assert_non_positive`; and the shape/dtype checks
`assert_rank(_at_least, _in)`, `assert_type`, `assert_integer`, `assert_scalar`,
`assert_same_float_dtype`, which raise at build time where the static information decides
(ValueError/TypeError, TF's messages) and return a NoOp, and fall back to a run-time Assert
for ranks unknown at build time.

Each returns an Assert Operation (logging_ops) that raises InvalidArgumentError at run time
with TF1's message, e.g. "assertion failed: [Condition x == y did not hold element-wise:]
[x (Const:0) = ] [1 2] [y (Const_1:0) = ] [1 3]". Use it in `control_dependencies`. Unlike
TF1, values known at build time are not checked at build time: the check always runs.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, math_ops
from flowexec.ops.constant_op import constant, no_op
from flowexec.ops.logging_ops import Assert


def _binary_assert(compare, symbol, default_name, x, y, data, summarize, message, name):
    with name_scope(name, default_name, [t for t in (x, y) if isinstance(t, Tensor)]):
        x, y = math_ops._convert((x, y), ("x", "y"))
        if data is None:
            data = [f"Condition x {symbol} y did not hold element-wise:",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        if message is not None:
            data = [message] + list(data)
        condition = math_ops.reduce_all(compare(x, y))
        return Assert(condition, data, summarize=summarize)


def _sign_assert(compare, symbol, default_name, x, data, summarize, message, name):
    with name_scope(name, default_name, [x] if isinstance(x, Tensor) else []):
        (x,) = math_ops._convert((x,), ("x",))
        if data is None:
            data = [f"Condition x {symbol} 0 did not hold element-wise:", f"x ({x.name}) = ", x]
        if message is not None:
            data = [message] + list(data)
        zero = constant(0, dtype=x.dtype)
        inner = "assert_less" if symbol == ">" else "assert_less_equal"
        return _binary_assert(compare, symbol, inner, zero, x, data, summarize, None, None)


_DOC = """Asserts `x {symbol} y` elementwise (with broadcasting) when the returned op runs.

    Args:
        x, y: Tensors (or values) of one numeric dtype.
        data: the Tensors/strings printed on failure (default: TF's condition message and
            both tensors).
        summarize: elements printed per tensor (default 3).
        message: a prefix for the failure message.
        name: name scope (default "{default}").

    Returns:
        The Assert Operation; it raises InvalidArgumentError "assertion failed: ..." when run
        and the condition does not hold.

    Example:
        >>> with control_dependencies([{fn}(x, y)]):
        ...     z = identity(x)
    """


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(math_ops.equal, "==", "assert_equal", x, y, data, summarize,
                          message, name)


def assert_less(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(math_ops.less, "<", "assert_less", x, y, data, summarize,
                          message, name)


def assert_greater(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(math_ops.greater, ">", "assert_greater", x, y, data, summarize,
                          message, name)


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(math_ops.less_equal, "<=", "assert_less_equal", x, y, data,
                          summarize, message, name)


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None):
    return _binary_assert(math_ops.greater_equal, ">=", "assert_greater_equal", x, y, data,
                          summarize, message, name)


for _fn, _sym in ((assert_equal, "=="), (assert_less, "<"), (assert_greater, ">"),
                  (assert_less_equal, "<="), (assert_greater_equal, ">=")):
    _fn.__doc__ = _DOC.format(symbol=_sym, default=_fn.__name__, fn=_fn.__name__)


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    """Asserts `x > 0` elementwise when the returned op runs.

    Args:
        x: a numeric Tensor.
        data: printed on failure (default: "Condition x > 0 did not hold element-wise:" and x).
        summarize: elements printed per tensor (default 3).
        message: a prefix for the failure message.
        name: name scope (default "assert_positive").

    Returns:
        The Assert Operation.

    Example:
        >>> with control_dependencies([assert_positive(x)]):
        ...     y = log(x)
    """
    return _sign_assert(lambda zero, v: math_ops.less(zero, v), ">", "assert_positive", x,
                        data, summarize, message, name)


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    """Asserts `x >= 0` elementwise when the returned op runs.

    Args:
        x: a numeric Tensor.
        data: printed on failure (default: "Condition x >= 0 did not hold element-wise:"
            and x).
        summarize: elements printed per tensor (default 3).
        message: a prefix for the failure message.
        name: name scope (default "assert_non_negative").

    Returns:
        The Assert Operation.

    Example:
        >>> with control_dependencies([assert_non_negative(x)]):
        ...     y = sqrt(x)
    """
    return _sign_assert(lambda zero, v: math_ops.less_equal(zero, v), ">=",
                        "assert_non_negative", x, data, summarize, message, name)


def _zero_assert(compare, symbol, default_name, x, data, summarize, message, name):
    with name_scope(name, default_name, [x] if isinstance(x, Tensor) else []):
        (x,) = math_ops._convert((x,), ("x",))
        if data is None:
            data = [f"Condition x {symbol} 0 did not hold element-wise:", f"x ({x.name}) = ", x]
        if message is not None:
            data = [message] + list(data)
        condition = math_ops.reduce_all(compare(x, constant(0, dtype=x.dtype)))
        return Assert(condition, data, summarize=summarize)


def assert_negative(x, data=None, summarize=None, message=None, name=None):
    """Asserts `x < 0` elementwise when the returned op runs (see `assert_positive`)."""
    return _zero_assert(math_ops.less, "<", "assert_negative", x, data, summarize, message,
                        name)


def assert_non_positive(x, data=None, summarize=None, message=None, name=None):
    """Asserts `x <= 0` elementwise when the returned op runs (see `assert_positive`)."""
    return _zero_assert(math_ops.less_equal, "<=", "assert_non_positive", x, data, summarize,
                        message, name)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    """Asserts `x != y` elementwise when the returned op runs (see `assert_equal`)."""
    return _binary_assert(math_ops.not_equal, "!=", "assert_none_equal", x, y, data,
                          summarize, message, name)


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None,
                name=None):
    """Asserts |x - y| <= atol + rtol * |y| elementwise when the returned op runs.

    Args:
        x, y: float Tensors of one dtype.
        rtol, atol: tolerances (default 10 * the dtype's machine epsilon each).
        data, summarize, message, name: as for `assert_equal` (default name "assert_near").

    Returns:
        The Assert Operation.
    """
    with name_scope(name, "assert_near", [t for t in (x, y) if isinstance(t, Tensor)]):
        x, y = math_ops._convert((x, y), ("x", "y"))
        eps = float(np.finfo(x.dtype.np).eps) if x.dtype.is_floating else 0.0
        rtol = 10 * eps if rtol is None else rtol
        atol = 10 * eps if atol is None else atol
        if data is None:
            data = [f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        if message is not None:
            data = [message] + list(data)
        tol = math_ops.cast(atol, x.dtype) + math_ops.cast(rtol, x.dtype) * math_ops.abs(y)
        condition = math_ops.reduce_all(math_ops.less_equal(math_ops.abs(x - y), tol))
        return Assert(condition, data, summarize=summarize)


def _prefix(message):
    return f"{message}.  " if message else ""


def _rank_assert(x, ok_static, ok_dynamic, what, data, summarize, message, name, default):
    """A rank check: ValueError at build time when the rank is known, else an Assert op."""
    with name_scope(name, default, [x]):
        x = convert_to_tensor(x, name="x")
        ndims = x.shape.ndims
        if ndims is not None:
            if not ok_static(ndims):
                raise ValueError(f"{_prefix(message)}Tensor {x.name} must have rank {what}.  "
                                 f"Received rank {ndims}, shape {x.shape}")
            return no_op(name="static_checks_determined_all_ok")
        if data is None:
            data = [f"{_prefix(message)}Tensor {x.name} must have rank {what}",
                    "Received shape: ", array_ops.shape(x)]
        return Assert(ok_dynamic(array_ops.rank(x)), data, summarize=summarize)


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None):
    """Asserts that `x` has rank `rank`: at build time when its rank is known, else at run time.

    Raises:
        ValueError: the static rank differs.

    Returns:
        A NoOp (checked statically) or the Assert Operation.
    """
    return _rank_assert(x, lambda n: n == rank, lambda r: math_ops.equal(r, rank), str(rank),
                        data, summarize, message, name, "assert_rank")


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """Asserts that `x` has rank >= `rank` (statically when known; see `assert_rank`)."""
    return _rank_assert(x, lambda n: n >= rank, lambda r: math_ops.greater_equal(r, rank),
                        f"at least {rank}", data, summarize, message, name,
                        "assert_rank_at_least")


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    """Asserts that the rank of `x` is one of `ranks` (statically when known)."""
    ranks = tuple(ranks)
    return _rank_assert(
        x, lambda n: n in ranks,
        lambda r: math_ops.reduce_any(math_ops.equal(r, constant(list(ranks), dtype=r.dtype))),
        f"in {ranks}", data, summarize, message, name, "assert_rank_in")


def assert_type(tensor, tf_type, message=None, name=None):
    """Checks at build time that `tensor` has dtype `tf_type`; returns a NoOp.

    Raises:
        TypeError: another dtype.
    """
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        tf_type = dtypes.as_dtype(tf_type)
        if tensor.dtype != tf_type:
            raise TypeError(f"{_prefix(message)}{tensor.name} must be of type {tf_type!r}; "
                            f"got {tensor.dtype!r}")
        return no_op(name="statically_determined_correct_type")


def assert_integer(x, message=None, name=None):
    """Checks at build time that `x` has an integer dtype; returns a NoOp.

    Raises:
        TypeError: a non-integer dtype.
    """
    with name_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(f'{_prefix(message)}Expected "x" to be integer type.  Found: '
                            f"{x.name} of dtype {x.dtype}")
        return no_op("statically_determined_was_integer")


def assert_scalar(tensor, name=None, message=None):
    """Checks at build time that `tensor` is a scalar; returns it.

    Raises:
        ValueError: a shape that is not known to be [].
    """
    with name_scope(name, "assert_scalar", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.shape.ndims != 0:
            raise ValueError(f"{_prefix(message)}Expected scalar shape for {tensor.name}, saw "
                             f"shape: {tensor.shape}.")
        return tensor


def assert_same_float_dtype(tensors=None, dtype=None):
    """The common float dtype of `tensors` (and `dtype`); float32 when there is none.

    Raises:
        ValueError: the dtypes differ or are not floating.
    """
    first = None
    for t in tensors or []:
        if first is None:
            first = t
            if dtype is None:
                dtype = t.dtype
            elif t.dtype != dtype:
                raise ValueError(f"{t.name}, type={t.dtype}, must be of the same type "
                                 f"({dtype}).")
        elif t.dtype != first.dtype:
            raise ValueError(f"{t.name}, type={t.dtype}, must be of the same type "
                             f"({first.dtype}) as {first.name}.")
    if dtype is None:
        return dtypes.float32
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def assert_proper_iterable(values):
    """Raises TypeError unless `values` is an iterable that is not a Tensor, array or string."""
    if isinstance(values, (Tensor, np.ndarray, str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError('Expected argument "values" to be a "proper" iterable.  Found: '
                        f"{type(values)}")


def is_numeric_tensor(tensor):
    """Whether `tensor` is a Tensor of a numeric (not bool or string) dtype."""
    return isinstance(tensor, Tensor) and tensor.dtype not in (dtypes.bool, dtypes.string)


__all__ = ["assert_equal", "assert_greater", "assert_greater_equal", "assert_integer",
           "assert_less", "assert_less_equal", "assert_near", "assert_negative",
           "assert_non_negative", "assert_non_positive", "assert_none_equal", "assert_positive",
           "assert_proper_iterable", "assert_rank", "assert_rank_at_least", "assert_rank_in",
           "assert_same_float_dtype", "assert_scalar", "assert_type", "is_numeric_tensor"]
