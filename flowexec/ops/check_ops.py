"""check_ops: `assert_equal`, `assert_less`, `assert_greater`, `assert_less_equal`,
`assert_greater_equal`, `assert_positive`, `assert_non_negative`.

Each returns an Assert Operation (logging_ops) that raises InvalidArgumentError at run time
with TF1's message, e.g. "assertion failed: [Condition x == y did not hold element-wise:]
[x (Const:0) = ] [1 2] [y (Const_1:0) = ] [1 3]". Use it in `control_dependencies`. Unlike
TF1, values known at build time are not checked at build time: the check always runs.
"""

from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import math_ops
from flowexec.ops.constant_op import constant
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


__all__ = ["assert_equal", "assert_greater", "assert_greater_equal", "assert_less",
           "assert_less_equal", "assert_non_negative", "assert_positive"]
