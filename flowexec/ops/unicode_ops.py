"""unicode_ops: TF's Unicode string ops (UnicodeTranscode, UnicodeScript, UnicodeEncode) and
StringNGrams, with the `tf.strings` functions over them for dense (non-ragged) tensors.

flowexec has no RaggedTensor, so the ops that TF feeds ragged values take the same flat
`(values, splits)` inputs as TF's ops, and the Python functions accept only dense input: a
dense `[..., n]` tensor is `n` values per row. `unicode_script` returns ICU's `UScriptCode`
numbers; Python's `unicodedata` has no script property, so they come from a table that
scripts/make_tf_misc_api_fixtures.py recorded from TensorFlow's ICU for every code point
(unicode_script_table.py).

Example:
    >>> import flowexec as tf
    >>> tf.strings.unicode_transcode(["h\\xc3\\xa9"], "UTF-8", "UTF-16-BE")  # [b"\\x00h\\x00\\xe9"]
    >>> tf.strings.ngrams(["a", "b", "c"], 2)  # [b"a b", b"b c"]
"""

import bisect

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns
from flowexec.ops.string_ops import _b, _map, _out, _string_arg, _string_in

__all__ = ["bytes_split", "ngrams", "unicode_encode", "unicode_script", "unicode_transcode"]

_HOST = ("CPU",)
_CODECS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}
_ERRORS = ("strict", "replace", "ignore")


def _codec(encoding, what):
    try:
        return _CODECS[encoding]
    except KeyError:
        raise ValueError(f"{what} must be one of {sorted(_CODECS)}, got {encoding!r}") from None


def _valid_codepoint(c):
    return 0 <= c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF


# ----- UnicodeTranscode -----------------------------------------------------------------------
def _decode(data, codec, errors, replacement_char):
    """The code points of `data`, each invalid subsequence (Unicode's maximal subpart, as
    ICU and Python both cut it) replaced by `replacement_char`, dropped, or an error."""
    out, pos = [], 0
    while True:
        try:
            out.append(data[pos:].decode(codec))
            break
        except UnicodeDecodeError as e:
            out.append(data[pos:pos + e.start].decode(codec))
            if errors == "strict":
                raise InvalidArgumentError(None, None, "Invalid formatting on input string")
            if errors == "replace":
                out.append(chr(replacement_char))
            pos += max(e.end, e.start + 1)
    return "".join(out)


def _transcode_infer(op):
    return [(dtypes.string, _string_in(op).shape)]


@defop("UnicodeTranscode", infer=_transcode_infer, device_types=_HOST)
def _unicode_transcode(xp, x, *, input_encoding, output_encoding, errors="replace",
                       replacement_char=65533, replace_control_characters=False):
    src, dst = _codec(input_encoding, "input_encoding"), _codec(output_encoding,
                                                               "output_encoding")

    def one(v):
        text = _decode(_b(v), src, errors, replacement_char)
        if replace_control_characters:
            text = "".join(chr(replacement_char) if ord(ch) < 0x20 else ch for ch in text)
        return text.encode(dst)
    return _map(xp, one, x)


_unicode_transcode.not_differentiable()


def _check_errors(errors, replacement_char):
    if errors not in _ERRORS:
        raise ValueError(f"errors must be one of {list(_ERRORS)}, got {errors!r}")
    if not _valid_codepoint(int(replacement_char)):
        raise ValueError(f"replacement_char must be a valid Unicode code point, got "
                         f"{replacement_char!r}")


def unicode_transcode(input, input_encoding, output_encoding, errors="replace",  # noqa: A002
                      replacement_char=65533, replace_control_characters=False, name=None):
    """Re-encodes each string of `input` from `input_encoding` to `output_encoding`.

    Args:
        input: string Tensor of any shape.
        input_encoding, output_encoding: "UTF-8", "UTF-16-BE" or "UTF-32-BE" (no byte order
            mark is read or written).
        errors: what an invalid input subsequence becomes: "replace" (`replacement_char`),
            "ignore" (dropped) or "strict" (an InvalidArgumentError at run time).
        replacement_char: the code point that replaces invalid input (default U+FFFD).
        replace_control_characters: also replace the C0 control characters U+0000..U+001F.
        name: op name.

    Returns:
        A string Tensor of `input`'s shape.

    Raises:
        ValueError: an unsupported encoding or `errors`, an invalid `replacement_char`.
        InvalidArgumentError: at run time with errors="strict": "Invalid formatting on input
            string".

    Example:
        >>> tf.strings.unicode_transcode(b"a\\xffb", "UTF-8", "UTF-8")  # b"a\\xef\\xbf\\xbdb"
    """
    _codec(input_encoding, "input_encoding")
    _codec(output_encoding, "output_encoding")
    _check_errors(errors, replacement_char)
    x = _string_arg(input, "input")
    return apply_op("UnicodeTranscode", x, name=name or "UnicodeTranscode",
                    input_encoding=input_encoding, output_encoding=output_encoding,
                    errors=errors, replacement_char=int(replacement_char),
                    replace_control_characters=bool(replace_control_characters))


# ----- UnicodeScript --------------------------------------------------------------------------
_STARTS = _CODES = None


def script_codes(codepoints):
    """ICU's script code of each int in `codepoints` (-1 for a value that is no code point)."""
    global _STARTS, _CODES
    if _STARTS is None:
        from flowexec.ops.unicode_script_table import RUNS

        _STARTS, _CODES = [a for a, _ in RUNS], [c for _, c in RUNS]
    out = []
    for c in codepoints:
        c = int(c)
        out.append(-1 if c < 0 or c > 0x10FFFF else _CODES[bisect.bisect_right(_STARTS, c) - 1])
    return out


def _script_infer(op):
    shape_fns.check_dtype_in(op, (dtypes.int32,), 0)
    return [(dtypes.int32, op.inputs[0].shape)]


@defop("UnicodeScript", infer=_script_infer, device_types=_HOST)
def _unicode_script(xp, x):
    a = xp.asarray(x)
    return xp.asarray(script_codes(a.reshape(-1).tolist()), dtype="int32").reshape(a.shape)


_unicode_script.not_differentiable()


def unicode_script(input, name=None):  # noqa: A002
    """The ICU script code (`UScriptCode`) of each int32 code point.

    Args:
        input: int32 Tensor of code points, any shape.
        name: op name.

    Returns:
        An int32 Tensor of `input`'s shape: e.g. 0 COMMON, 1 INHERITED, 8 CYRILLIC, 14 GREEK,
        17 HAN, 25 LATIN; -1 for values outside [0, 0x10FFFF].

    Raises:
        TypeError: `input` is not int32.

    Example:
        >>> tf.strings.unicode_script([65, 0x416, 0x4E00])  # [25, 8, 17]
    """
    x = convert_to_tensor(input, dtype=dtypes.int32, name="input")
    return apply_op("UnicodeScript", x, name=name or "UnicodeScript")


# ----- UnicodeEncode --------------------------------------------------------------------------
def _encode_infer(op):
    values, splits = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.int32,), 0)
    shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64), 1)
    n = splits.shape.as_list()[0] if splits.shape.ndims == 1 else None
    return [(dtypes.string, TensorShape([None if n is None else max(n - 1, 0)]))]


@defop("UnicodeEncode", infer=_encode_infer, device_types=_HOST)
def _unicode_encode(xp, values, splits, *, output_encoding, errors="replace",
                    replacement_char=65533, Tsplits=None):
    codec = _codec(output_encoding, "output_encoding")
    vals, cuts = xp.asarray(values).tolist(), [int(s) for s in xp.asarray(splits).tolist()]
    rows = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        chars = []
        for c in vals[lo:hi]:
            if _valid_codepoint(c):
                chars.append(chr(c))
            elif errors == "strict":
                raise InvalidArgumentError(
                    None, None, "Code point is out of range for Unicode, or is a surrogate.")
            elif errors == "replace":
                chars.append(chr(replacement_char))
        rows.append("".join(chars).encode(codec))
    return _out(xp, rows, (len(rows),))


_unicode_encode.not_differentiable()


def _rows(x, what):
    """`(flat values, int64 row splits, leading shape)` of a dense `[..., n]` tensor."""
    from flowexec.ops import array_ops as _a
    from flowexec.ops import math_ops as _m

    if x.shape.ndims is None:
        raise ValueError(f"{what} must have a known rank (flowexec has no RaggedTensor)")
    if x.shape.ndims == 0:
        raise ValueError(f"{what} must have rank at least 1, got a scalar")
    shape = _a.shape(x, out_type=dtypes.int64)
    lead = shape[:-1]
    n, rows = shape[-1], _m.reduce_prod(lead)
    splits = _a.range(rows + 1, dtype=dtypes.int64) * n
    return _a.reshape(x, [-1]), splits, lead


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   name=None):
    """Encodes each row of code points (the last axis of a dense int32 Tensor) as a string.

    TF takes ragged or dense input; flowexec takes dense input only (it has no
    RaggedTensor). As in TF, every element of a dense row is encoded: a pad value such as -1
    is an invalid code point and becomes `replacement_char` (errors="replace").

    Args:
        input: int32 Tensor `[..., n]` of code points.
        output_encoding: "UTF-8", "UTF-16-BE" or "UTF-32-BE".
        errors: "replace" (default), "ignore" or "strict" for invalid code points (negative,
            over 0x10FFFF or surrogates).
        replacement_char: the code point that replaces them (default U+FFFD).
        name: name scope.

    Returns:
        A string Tensor of shape `[...]` (a scalar for a 1-D input).

    Raises:
        ValueError: a scalar or unknown-rank input, an unsupported encoding or `errors`.
        InvalidArgumentError: at run time with errors="strict": "Code point is out of range
            for Unicode, or is a surrogate."

    Example:
        >>> tf.strings.unicode_encode([[72, 105], [0x1F600, -1]], "UTF-8")
        ... # [b"Hi", b"\\xf0\\x9f\\x98\\x80\\xef\\xbf\\xbd"]
    """
    from flowexec.ops import array_ops as _a

    _codec(output_encoding, "output_encoding")
    _check_errors(errors, replacement_char)
    with name_scope(name, "UnicodeEncode", [input]):
        x = convert_to_tensor(input, dtype=dtypes.int32, name="input")
        values, splits, lead = _rows(x, "input")
        flat = apply_op("UnicodeEncode", values, splits, output_encoding=output_encoding,
                        errors=errors, replacement_char=int(replacement_char),
                        Tsplits=dtypes.int64)
        return _a.reshape(flat, lead)


# ----- StringNGrams ---------------------------------------------------------------------------
def _ngrams_infer(op):
    _string_in(op)
    shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64), 1)
    return [(dtypes.string, TensorShape([None])), (op.inputs[1].dtype, op.inputs[1].shape)]


def ngram_rows(tokens, *, separator, ngram_widths, left_pad, right_pad, pad_width,
               preserve_short_sequences):
    """The n-grams of one row of byte tokens, as TF's StringNGrams kernel makes them."""
    def pad_of(width):
        return min(width - 1 if pad_width < 0 else pad_width, width - 1)

    def grams(width, count, pad):
        out = []
        for i in range(count):
            left = max(0, pad - i)
            right = max(0, pad - (count - (i + 1)))
            start = 0 if left > 0 else i - pad
            words = ([left_pad] * left + tokens[start:start + width - left - right]
                     + [right_pad] * right)
            out.append(separator.join(words))
        return out

    out = []
    for width in ngram_widths:
        pad = pad_of(width)
        out += grams(width, max(0, len(tokens) + 2 * pad - width + 1), pad)
    if preserve_short_sequences and not out and tokens:
        pad = max(pad_width, 0)
        out = grams(len(tokens) + 2 * pad, 1, pad)
    return out


@defop("StringNGrams", infer=_ngrams_infer, device_types=_HOST)
def _string_ngrams(xp, data, data_splits, *, separator, ngram_widths, left_pad, right_pad,
                   pad_width, preserve_short_sequences, Tsplits=None):
    if any(int(w) <= 0 for w in ngram_widths):
        raise InvalidArgumentError(None, None, "Ngram width must be greater than 0")
    flat = [_b(v) for v in xp.asarray(data, dtype=object).reshape(-1).tolist()]
    cuts = [int(s) for s in xp.asarray(data_splits).tolist()]
    values, splits = [], [0]
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        values += ngram_rows(flat[lo:hi], separator=_b(separator),
                             ngram_widths=[int(w) for w in ngram_widths],
                             left_pad=_b(left_pad), right_pad=_b(right_pad),
                             pad_width=int(pad_width),
                             preserve_short_sequences=bool(preserve_short_sequences))
        splits.append(len(values))
    return _out(xp, values, (len(values),)), xp.asarray(splits, dtype=data_splits.dtype)


_string_ngrams.not_differentiable()


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """The n-grams of the last axis of a dense 1-D or 2-D string Tensor.

    Args:
        data: string Tensor `[n]` or `[batch, n]` (dense only: flowexec has no RaggedTensor).
        ngram_width: an int, or a tuple of ints whose n-grams are concatenated in that order.
        separator: joins the tokens of an n-gram.
        pad_values: None (no padding), one string for both sides, or a `(left, right)` pair.
        padding_width: pad tokens on each side (default `ngram_width - 1`, capped there).
        preserve_short_sequences: a non-empty row too short for any n-gram gives one n-gram of
            all its (padded) tokens.
        name: name scope.

    Returns:
        A dense string Tensor `[m]` or `[batch, m]` (every row has the same length, so the
        same number of n-grams), as TF returns for dense input.

    Raises:
        ValueError: a bad `pad_values`, `padding_width` < 1 or `data` not 1-D or 2-D.
        InvalidArgumentError: at run time, "Ngram width must be greater than 0".

    Example:
        >>> tf.strings.ngrams([["a", "b", "c"]], 2, pad_values=("<", ">"))
        ... # [[b"< a", b"a b", b"b c", b"c >"]]
    """
    from flowexec.ops import array_ops as _a

    widths = [int(ngram_width)] if isinstance(ngram_width, int) else [int(w)
                                                                     for w in ngram_width]
    if pad_values is None:
        left, right, pad = "", "", 0
    else:
        if isinstance(pad_values, (bytes, str)):
            left = right = pad_values
        elif isinstance(pad_values, (tuple, list)) and len(pad_values) == 2:
            left, right = pad_values
        else:
            raise ValueError("pad_values must be a string, tuple of strings, or None.")
        if padding_width is not None and int(padding_width) < 1:
            raise ValueError("padding_width must be greater than 0.")
        pad = -1 if padding_width is None else int(padding_width)
    with name_scope(name, "StringNGrams", [data]):
        x = _string_arg(data, "data")
        if x.shape.ndims not in (1, 2):
            raise ValueError(f"flowexec's ngrams takes dense 1-D or 2-D data (it has no "
                             f"RaggedTensor), got shape {x.shape}")
        values, splits, lead = _rows(x, "data")
        out, _ = apply_op("StringNGrams", values, splits, separator=separator,
                          ngram_widths=widths, left_pad=left, right_pad=right,
                          pad_width=pad, preserve_short_sequences=bool(preserve_short_sequences),
                          Tsplits=dtypes.int64)
        if x.shape.ndims == 1:
            return out
        return _a.reshape(out, _a.concat([lead, [-1]], 0))


def bytes_split(input, name=None):  # noqa: A002
    """The bytes of a scalar string, as a 1-D string Tensor (TF's result for a scalar).

    For a non-scalar TF returns a RaggedTensor, which flowexec does not have.

    Args:
        input: a scalar string Tensor.
        name: name scope.

    Returns:
        A string Tensor `[len(input)]`, one byte per element.

    Raises:
        ValueError: `input` is not a scalar.

    Example:
        >>> tf.strings.bytes_split("abc")  # [b"a", b"b", b"c"]
    """
    from flowexec.ops import array_ops as _a
    from flowexec.ops.string_ops import string_length, substr

    with name_scope(name, "StringsByteSplit", [input]):
        x = _string_arg(input, "input")
        if x.shape.ndims != 0:
            raise ValueError(f"flowexec's bytes_split takes a scalar (a RaggedTensor is TF's "
                             f"result for rank >= 1, and flowexec has none), got shape "
                             f"{x.shape}")
        n = string_length(x)
        pos = _a.range(n)
        return substr(_a.fill(_a.expand_dims(n, 0), x), pos, _a.ones_like(pos))
