"""logging_ops: Print and Assert, the two ops that report tensor values from a running graph.

Both summarize their data tensors as TF's `Tensor::SummarizeValue` does: at most
`summarize` elements, nested brackets per dimension, "..." when elements were left out, e.g.
`[[1 2][3...]`. Print writes `message` followed by one `[...]` per data tensor to stderr and
passes its input through (Identity's gradient); it prints only the first `first_n` times per
Session when `first_n >= 0`. Assert has no outputs: it raises InvalidArgumentError
"assertion failed: [...] [...]" when its condition is false, and is run by putting it in a
`control_dependencies` block (see check_ops for the `assert_*` family).
"""

import itertools
import sys

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.ops import shape_fns


# ----- value summaries (TF's SummarizeValue) --------------------------------------------------
def _element(v, dtype):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        digits = (6, 9) if dtype.itemsize <= 4 else (15, 17)
        short = f"{v:.{digits[0]}g}"
        cast = dtype.type
        return short if cast(short) == cast(v) else f"{v:.{digits[1]}g}"
    return str(v)


def summarize_value(value, summarize):
    """`value` (an array of any array module) as TF1 prints it: at most `summarize`
    elements (all when negative), nested brackets, "..." when elements were left out."""
    arr = value.get() if hasattr(value, "get") else value  # a cupy array: to the host
    shape = tuple(arr.shape)
    total = int(arr.size)
    limit = total if summarize < 0 else min(summarize, total)
    flat = arr.reshape(-1)[:limit].tolist()
    items = [_element(v, arr.dtype) for v in flat]
    if not shape:
        out = " ".join(items)
    else:
        parts = []
        pos = [0]

        def one_dim(dim):
            if pos[0] >= limit:
                return
            if dim == len(shape) - 1:
                for i in range(shape[dim]):
                    if pos[0] >= limit:
                        if dim != 0:
                            parts.append("...")
                        return
                    if i > 0:
                        parts.append(" ")
                    parts.append(items[pos[0]])
                    pos[0] += 1
                return
            for _ in range(shape[dim]):
                opened = pos[0] < limit
                if opened:
                    parts.append("[")
                one_dim(dim + 1)
                if pos[0] < limit or opened:
                    parts.append("]")

        one_dim(0)
        out = "".join(parts)
    return out + ("..." if total > limit else "")


# ----- Print ----------------------------------------------------------------------------------
def _print_infer(op):
    x = op.inputs[0]
    return [(x.dtype, x.shape)]


@defop("Print", infer=_print_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _print(ctx, xp, input, *data, message, first_n, summarize):
    if first_n >= 0:
        counter = ctx.state.setdefault(("Print", ctx.op.name), itertools.count())
        if next(counter) >= first_n:
            return input
    text = message + "".join(f"[{summarize_value(d, summarize)}]" for d in data)
    sys.stderr.write(text + "\n")
    return input


@_print.gradient
def _print_grad(op, dy):
    return [dy] + [None] * (len(op.inputs) - 1)


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):
    """TF1's `tf.Print`: `input_` unchanged, printing `message` and `data` to stderr when run.

    Args:
        input_: the Tensor passed through.
        data: a list of Tensors (or values) whose summaries are printed.
        message: the prefix of the printed line (default "").
        first_n: print only the first `first_n` runs per Session (default -1: always).
        summarize: elements printed per tensor (default 3; negative: all).
        name: op name (default "Print").

    Returns:
        A Tensor equal to `input_`; the gradient flows to `input_` only.

    Example:
        >>> x = constant([1.0, 2.0, 3.0, 4.0])
        >>> y = Print(x, [x], "x: ")  # running y prints "x: [1 2 3...]"
    """
    data = list(data)
    with name_scope(name, "Print", [t for t in [input_] + data if isinstance(t, Tensor)]) as s:
        input_ = convert_to_tensor(input_, name="input")
        data = [convert_to_tensor(d, name="data") for d in data]
        return apply_op("Print", input_, *data, name=s, message="" if message is None else
                        str(message), first_n=-1 if first_n is None else int(first_n),
                        summarize=3 if summarize is None else int(summarize))


# ----- Assert ---------------------------------------------------------------------------------
def _assert_infer(op):
    c = op.inputs[0]
    if c.dtype is not dtypes.bool:
        shape_fns.check_dtype_in(op, (dtypes.bool,))
    if c.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {c.shape.ndims}")
    return []


@defop("Assert", infer=_assert_infer, stateful=True, device_types=("CPU",))
def _assert(xp, condition, *data, summarize):
    if condition.ndim != 0:
        raise InvalidArgumentError(None, None, "In[0] expected to be a scalar.")
    if not bool(condition):
        shown = " ".join(f"[{summarize_value(d, summarize)}]" for d in data)
        raise InvalidArgumentError(None, None, f"assertion failed: {shown}")
    return ()


_assert.not_differentiable()


def Assert(condition, data, summarize=None, name=None):
    """Raises InvalidArgumentError "assertion failed: [...]" at run time when `condition`
    is false.

    Args:
        condition: a scalar bool Tensor.
        data: Tensors (or values, e.g. strings) printed when the condition is false.
        summarize: elements printed per tensor (default 3).
        name: name scope (default "Assert"); the op is `<scope>Assert`.

    Returns:
        The Assert Operation (run it, or put it in `control_dependencies`).

    Example:
        >>> check = Assert(x > 0, ["x is not positive:", x])
        >>> with control_dependencies([check]):
        ...     y = identity(x)
    """
    data = list(data)
    tensors = [t for t in [condition] + data if isinstance(t, Tensor)]
    with name_scope(name, "Assert", tensors):
        condition = convert_to_tensor(condition, name="Condition")
        data = [convert_to_tensor(d) for d in data]
        return apply_op("Assert", condition, *data, name="Assert",
                        summarize=3 if summarize is None else int(summarize))


__all__ = ["Assert", "Print"]
