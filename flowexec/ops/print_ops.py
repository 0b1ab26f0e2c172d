"""print_ops: `tf.print` (StringFormat + PrintV2, as TF builds it) and `tf.strings.format`.

A tensor is formatted as TF 2 formats it: nested brackets, elements separated by spaces,
rows on new lines, and at most `summarize` leading and trailing elements per dimension with
"..." between (summarize < 0: all). Floats use the shortest form that reads back the same
value at six significant digits, booleans as 1 and 0, as TF's StringFormat does.

PrintV2 runs on the host (its output is a Python stream) and is stateful: it runs whenever
a step needs it, never folded or merged.
"""

import sys

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape


def _element(v):
    if isinstance(v, bytes):
        return '"' + v.decode("utf-8", "replace") + '"'
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, complex):
        return f"({v.real:.6g},{v.imag:.6g})"
    return str(v)


def _item(v):
    return v.item() if hasattr(v, "item") else v


def format_tensor(value, summarize):
    """`value` (a numpy array) as TF's StringFormat writes it."""
    if isinstance(value, (bytes, str)):
        return _element(value if isinstance(value, bytes) else value.encode("utf-8"))
    arr = value.get() if hasattr(value, "get") else value
    if arr.ndim == 0:
        return _element(_item(arr))

    def fmt(a, depth):
        n = a.shape[0]
        if 0 <= summarize < n and n > 2 * summarize:
            idx = list(range(summarize)) + [None] + list(range(n - summarize, n))
        else:
            idx = list(range(n))
        if a.ndim == 1:
            return "[" + " ".join("..." if i is None else _element(_item(a[i])) for i in idx) + "]"
        sep = "\n" * (a.ndim - 1) + " " * (depth + 1)
        return "[" + sep.join("..." if i is None else fmt(a[i], depth + 1) for i in idx) + "]"
    return fmt(arr, 0)


def _string_format_infer(op):
    return [(dtypes.string, TensorShape([]))]


@defop("StringFormat", infer=_string_format_infer, device_types=("CPU",))
def _string_format(xp, *inputs, template, placeholder="{}", summarize=3):
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise InvalidArgumentError(
            None, None, f"num placeholders in template and num inputs must match: "
                        f"{len(pieces) - 1} vs. {len(inputs)}")
    out = [pieces[0]]
    for x, rest in zip(inputs, pieces[1:]):
        out.append(format_tensor(x, summarize))
        out.append(rest)
    return "".join(out).encode("utf-8")


_string_format.not_differentiable()


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """`template` with each `placeholder` replaced by the formatted value of the matching
    tensor of `inputs` (op type StringFormat; TF's `tf.strings.format`).

    Raises:
        ValueError: the number of placeholders and of inputs differ.

    Example:
        >>> tf.strings.format("x = {}", [tf.constant([1, 2])])  # b"x = [1 2]"
    """
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    if template.count(placeholder) != len(inputs):
        raise ValueError(f"The template expects {template.count(placeholder)} tensors, but "
                         f"the inputs only has {len(inputs)}. Template: '{template}'")
    with name_scope(name, "StringFormat", list(inputs)) as scope:
        tensors = [convert_to_tensor(x) for x in inputs]
        return apply_op("StringFormat", *tensors, name=scope, template=template,
                        placeholder=placeholder, summarize=int(summarize))


_STREAMS = {"stderr": lambda: sys.stderr, "stdout": lambda: sys.stdout}


@defop("PrintV2", infer=lambda op: [], stateful=True, device_types=("CPU",))
def _print_v2(xp, input, *, output_stream="stderr", end="\n"):
    text = input.item() if hasattr(input, "item") else input
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if callable(output_stream):
        output_stream(text + end)
        return None
    stream = _STREAMS.get(output_stream)
    if stream is None:
        raise InvalidArgumentError(None, None, f"Unknown output stream: {output_stream}")
    stream().write(text + end)
    return None


_print_v2.not_differentiable()


def print(*inputs, **kwargs):
    """Prints tensors (and Python values) when the returned op runs, like Python's print
    (op types StringFormat + PrintV2).

    Args:
        *inputs: Tensors and Python values, printed separated by `sep`.
        output_stream: sys.stderr (default) or sys.stdout, or a logging function such as
            `tf.logging.info` (called with the text).
        summarize: the leading and trailing elements printed per dimension (default 3;
            negative: all).
        sep: separator (default " "); end: appended (default "\\n").
        name: op name.

    Returns:
        The PrintV2 Operation: run it, or make it a control dependency.

    Raises:
        ValueError: an unknown output stream or keyword.

    Example:
        >>> op = tf.print("loss:", loss, output_stream=sys.stdout)
        >>> sess.run(op)  # loss: 0.25
    """
    output_stream = kwargs.pop("output_stream", sys.stderr)
    name = kwargs.pop("name", None)
    summarize = kwargs.pop("summarize", 3)
    sep = kwargs.pop("sep", " ")
    end = kwargs.pop("end", "\n")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {sorted(kwargs)}")
    if output_stream is sys.stderr:
        stream = "stderr"
    elif output_stream is sys.stdout:
        stream = "stdout"
    elif callable(output_stream):
        stream = output_stream
    else:
        raise ValueError(f"Unsupported output stream, logging level, or file. "
                         f"{output_stream!r}. Supported streams are sys.stdout, sys.stderr, "
                         f"or a logging function.")
    with name_scope(name, "PrintV2", [x for x in inputs if isinstance(x, Tensor)]) as scope:
        parts, tensors = [], []
        placeholder = "{}"
        for x in inputs:
            if isinstance(x, Tensor):
                parts.append(placeholder)
                tensors.append(x)
            else:
                parts.append(str(x).replace("{}", "{ }"))
        template = sep.join(parts)
        formatted = string_format(template, tensors, placeholder=placeholder,
                                  summarize=summarize)
        return apply_op("PrintV2", formatted, name=scope, output_stream=stream, end=end)


__all__ = ["print", "string_format"]


@defop("Timestamp", infer=lambda op: [(dtypes.float64, TensorShape([]))], stateful=True,
       device_types=("CPU",))
def _timestamp(xp):
    import time

    return xp.float64(time.time())


_timestamp.not_differentiable()


def timestamp(name=None):
    """The time (seconds since the epoch, float64) when the op runs (op type Timestamp).

    Example:
        >>> t0 = tf.timestamp()  # evaluated anew in every run
    """
    return apply_op("Timestamp", name=name or "Timestamp")
