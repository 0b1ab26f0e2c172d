"""string_split_ops: splitting a vector of strings into a SparseTensor of tokens — TF 1.x's
`tf.string_split` (StringSplit) and `tf.strings.split` (StringSplitV2).

Both give a SparseTensor [N, max tokens]: entry [i, j] is the j-th token of string i.
StringSplit splits at any of the delimiter's bytes (every byte when the delimiter is empty),
drops empty tokens when `skip_empty`, and gives an empty string no tokens. StringSplitV2 is
Python's str.split: a separator string splits exactly (empty tokens kept, "" gives [""]); no
separator splits at runs of ASCII whitespace and drops empty tokens; after `maxsplit` splits
the rest of the string is one token (also when it is empty, as TF's kernel). Both work on
bytes and run on the host.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["string_split", "strings_split"]

_HOST = ("CPU",)
_WHITESPACE = b" \t\n\v\f\r"


def _bytes(v):
    return v if isinstance(v, bytes) else str(v).encode("utf-8")


def _infer(op):
    source, sep = op.inputs
    for i in (0, 1):
        if op.inputs[i].dtype is not dtypes.string:
            shape_fns.check_dtype_in(op, (dtypes.string,), i)
    if source.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {source.shape.ndims}")
    if sep.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {sep.shape.ndims}")
    return [(dtypes.int64, TensorShape([None, 2])), (dtypes.string, TensorShape([None])),
            (dtypes.int64, TensorShape([2]))]


def _sparse_result(rows):
    indices = [[i, j] for i, tokens in enumerate(rows) for j in range(len(tokens))]
    values = np.empty(len(indices), dtype=object)
    values[:] = [t for tokens in rows for t in tokens]
    width = max((len(t) for t in rows), default=0)
    return (np.array(indices, dtype=np.int64).reshape(-1, 2), values,
            np.array([len(rows), width], dtype=np.int64))


def _check_inputs(input, sep):
    if input.ndim != 1:
        raise errors.InvalidArgumentError(None, None, f"input must be a vector, got shape: "
                                                      f"[{','.join(map(str, input.shape))}]")
    if sep.ndim != 0:
        raise errors.InvalidArgumentError(None, None, f"sep must be a scalar, got shape: "
                                                      f"[{','.join(map(str, sep.shape))}]")


def _split_any(s, delimiter, skip_empty):
    if not s:
        return []
    if not delimiter:
        return [s[i:i + 1] for i in range(len(s))]
    tokens, start = [], 0
    for i, c in enumerate(s):
        if c in delimiter:
            tokens.append(s[start:i])
            start = i + 1
    tokens.append(s[start:])
    return [t for t in tokens if t] if skip_empty else tokens


@defop("StringSplit", infer=_infer, device_types=_HOST)
def _string_split(xp, input, delimiter, *, skip_empty=True):
    _check_inputs(input, delimiter)
    delim = _bytes(delimiter.reshape(-1)[0] if delimiter.ndim else delimiter[()])
    return _sparse_result([_split_any(_bytes(s), delim, skip_empty) for s in input.tolist()])


_string_split.not_differentiable()


def _split_v2(s, sep, maxsplit):
    if maxsplit == 0:
        return [s]
    out = []
    if not sep:
        rest = s.lstrip(_WHITESPACE)
        while rest:
            end = next((i for i, c in enumerate(rest) if c in _WHITESPACE), len(rest))
            out.append(rest[:end])
            rest = rest[end:].lstrip(_WHITESPACE)
            if maxsplit > 0 and len(out) == maxsplit:
                out.append(rest)
                break
        return out
    rest = s
    while True:
        at = rest.find(sep)
        if at < 0:
            out.append(rest)
            return out
        out.append(rest[:at])
        rest = rest[at + len(sep):]
        if maxsplit > 0 and len(out) == maxsplit:
            out.append(rest)
            return out


@defop("StringSplitV2", infer=_infer, device_types=_HOST)
def _string_split_v2(xp, input, sep, *, maxsplit=-1):
    _check_inputs(input, sep)
    sep_b = _bytes(sep[()])
    return _sparse_result([_split_v2(_bytes(s), sep_b, maxsplit) for s in input.tolist()])


_string_split_v2.not_differentiable()


def _check_result_type(result_type):
    if result_type != "SparseTensor":
        raise ValueError("result_type must be 'SparseTensor' (flowexec has no RaggedTensor)"
                         if result_type == "RaggedTensor" else
                         "result_type must be 'RaggedTensor' or 'SparseTensor'.")


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor",
                 name=None):
    """Splits each string of the vector `source` at any byte of `delimiter` (default " ";
    every byte when it is empty), op type StringSplit.

    Args:
        source: a 1-D string Tensor.
        sep: the former name of `delimiter`.
        skip_empty: drop empty tokens.
        delimiter: the delimiter bytes (a scalar string).
        result_type: "SparseTensor".
        name: a name scope.

    Returns:
        A SparseTensor [len(source), max tokens] of the tokens.

    Raises:
        ValueError: `source` is not a vector, another `result_type`.

    Example:
        >>> sess.run(tf.string_split(["hello world", "a b c"])).values
        array([b'hello', b'world', b'a', b'b', b'c'], dtype=object)
    """
    _check_result_type(result_type)
    if sep is not None:
        if delimiter is not None:
            raise ValueError("Cannot specify both 'sep' and 'delimiter'")
        delimiter = sep
    if delimiter is None:
        delimiter = " "
    with name_scope(name, "StringSplit", [source]):
        delimiter = convert_to_tensor(delimiter, dtype=dtypes.string)
        source = convert_to_tensor(source, dtype=dtypes.string)
        ind, val, shape = apply_op("StringSplit", source, delimiter, name="StringSplit",
                                   skip_empty=bool(skip_empty))
        return SparseTensor(ind, val, shape)


def strings_split(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None,
                  name=None):
    """`tf.strings.split`: Python's str.split of each string of a vector (op type
    StringSplitV2): by the string `sep`, or at runs of whitespace when it is None.

    Args:
        input: a 1-D string Tensor (`source` is its former name).
        sep: the separator string; None splits at whitespace and drops empty tokens.
        maxsplit: at most this many splits per string (-1: no limit).
        result_type: "SparseTensor".
        source: the former name of `input`.
        name: a name scope.

    Returns:
        A SparseTensor [len(input), max tokens] of the tokens.

    Example:
        >>> sess.run(tf.strings.split(["a,b,,c"], sep=",")).values
        array([b'a', b'b', b'', b'c'], dtype=object)
    """
    _check_result_type(result_type)
    if source is not None:
        if input is not None:
            raise ValueError("Cannot specify both 'input' and 'source'")
        input = source
    if input is None:
        raise ValueError("input must be specified")
    with name_scope(name, "StringSplit", [input]):
        input = convert_to_tensor(input, dtype=dtypes.string)
        sep = convert_to_tensor("" if sep is None else sep, dtype=dtypes.string)
        ind, val, shape = apply_op("StringSplitV2", input, sep, name="StringSplitV2",
                                   maxsplit=int(maxsplit))
        return SparseTensor(ind, val, shape)
