"""string_ops: operations on string tensors — as_string, join/reduce_join, regex_replace /
regex_full_match, strip, length, lower/upper, substr, to_number, base64, read_file/write_file,
unsorted_segment_join.

String tensors hold bytes (numpy object arrays on the host); every kernel here runs on the
CPU and none is differentiable. Regular expressions use Python's `re`, which agrees with
TF's RE2 on the common syntax (classes, groups, anchors, `\\1` in rewrites); RE2-only
constructs are not translated.
"""

import base64
import re

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError, NotFoundError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

_HOST = ("CPU",)


def _arr(xp, v):
    return xp.asarray(v, dtype=object)


def _out(xp, values, shape):
    out = xp.empty(len(values), dtype=object)
    out[:] = values
    out = out.reshape(shape)
    return out.item() if out.ndim == 0 else out


def _map(xp, fn, x, dtype=None):
    a = _arr(xp, x)
    vals = [fn(v) for v in a.reshape(-1).tolist()]
    if dtype is None:
        return _out(xp, vals, a.shape)
    return xp.asarray(vals, dtype=dtype.np).reshape(a.shape)


def _b(v):
    if not isinstance(v, (bytes, str)) and hasattr(v, "item"):
        v = v.item()  # a 0-d array holding the string
    return bytes(v) if isinstance(v, bytes) else str(v).encode("utf-8")


def _string_in(op, index=0):
    t = op.inputs[index]
    if t.dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), index)
    return t


def _unary_string(type_name, out_dtype=None, stateful=False):
    def infer(op):
        x = _string_in(op)
        return [(out_dtype or dtypes.string, x.shape)]

    def register(kernel):
        od = defop(type_name, infer=infer, device_types=_HOST, stateful=stateful)(kernel)
        od.not_differentiable()
        return od
    return register


def _string_arg(value, name):
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, dtypes.DType) and dtype is not dtypes.string:
        raise TypeError(f"Value passed to parameter '{name}' has DataType {dtype.name} not in "
                        f"list of allowed values: string")
    return convert_to_tensor(value, dtype=dtypes.string, name=name)


# ----- AsString -------------------------------------------------------------------------------
_AS_STRING_TYPES = shape_fns.REAL + (dtypes.bool, dtypes.complex64, dtypes.complex128)


def _as_string_infer(op):
    shape_fns.check_dtype_in(op, _AS_STRING_TYPES)
    return [(dtypes.string, op.inputs[0].shape)]


@defop("AsString", infer=_as_string_infer, device_types=_HOST)
def _as_string(xp, input, *, precision=-1, scientific=False, shortest=False, width=-1,
               fill=""):
    kind = input.dtype.kind
    flags = "0" if fill == "0" else ""  # printf's flags: zero padding after the sign
    w = str(width) if width >= 0 else ""
    if kind in "fc":
        spec = "g" if shortest else ("e" if scientific else "f")
        prec = f".{precision}" if precision >= 0 else ("" if shortest else ".6")
        conv = "{:>" + flags + w + prec + spec + "}" if not flags else "{:" + flags + w + prec \
            + spec + "}"
    else:
        if precision >= 0 or scientific or shortest:
            raise InvalidArgumentError(None, None, "precision, scientific and shortest apply "
                                                   "to floating point types only")
        conv = "{:>" + w + "}" if not flags else "{:0" + w + "}"

    def one(v):
        if isinstance(v, bool):
            return b"true" if v else b"false"
        if isinstance(v, complex):
            return ("(" + conv.format(v.real) + "," + conv.format(v.imag) + ")").encode()
        return conv.format(v).encode()
    return _map(xp, one, input)


_as_string.not_differentiable()


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None):
    """Each number (or bool) of `input` as a string (op type AsString).

    Args:
        precision: digits after the point for floats (-1: 6, as printf).
        scientific: exponent notation for floats; shortest: the shortest of fixed and
            scientific (%g).
        width, fill: pad to `width` characters with `fill` (a single character; default
            spaces), right-aligned.

    Example:
        >>> as_string([1.5, 2.0], precision=2)  # [b"1.50", b"2.00"]
    """
    if fill and len(fill) > 1:
        raise ValueError(f"Fill string must be one or fewer characters: '{fill}'")
    with name_scope(name, "AsString", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("AsString", x, name=scope, precision=int(precision),
                        scientific=bool(scientific), shortest=bool(shortest), width=int(width),
                        fill=fill)


# ----- StringJoin / ReduceJoin ----------------------------------------------------------------
def _join_infer(op):
    shapes = []
    for i, t in enumerate(op.inputs):
        _string_in(op, i)
        if t.shape.ndims != 0:
            shapes.append(t.shape)
    out = TensorShape([]) if not shapes else shapes[0]
    for s in shapes[1:]:
        if not out.is_compatible_with(s):
            raise shape_fns.shape_error(op, "Input shapes do not match")
        out = out.merge_with(s)
    return [(dtypes.string, out)]


@defop("StringJoin", infer=_join_infer, device_types=_HOST)
def _string_join(xp, *inputs, separator=""):
    arrs = [_arr(xp, v) for v in inputs]
    shapes = {a.shape for a in arrs if a.ndim}
    if len(shapes) > 1:
        raise InvalidArgumentError(None, None, f"Input shapes do not match: "
                                               f"{sorted(map(list, shapes))}")
    shape = shapes.pop() if shapes else ()
    cols = [xp.broadcast_to(a, shape).reshape(-1).tolist() for a in arrs]
    sep = _b(separator)
    vals = [sep.join(parts) for parts in zip(*cols)] if cols else []
    return _out(xp, vals, shape)


_string_join.not_differentiable()


def string_join(inputs, separator="", name=None):
    """Elementwise concatenation of string tensors of one shape (scalars broadcast), with
    `separator` between (op type StringJoin).

    Example:
        >>> string_join([["a", "b"], "-x"], separator="")  # [b"a-x", b"b-x"]
    """
    with name_scope(name, "StringJoin", list(inputs)) as scope:
        xs = [_string_arg(x, "inputs") for x in inputs]
        return apply_op("StringJoin", *xs, name=scope, separator=separator)


def _reduce_join_infer(op):
    x, axes = op.inputs
    _string_in(op)
    keep = op.attrs["keep_dims"]
    ax = shape_fns.constant_value(axes)
    if x.shape.ndims is None or ax is None:
        return [(dtypes.string, TensorShape(None))]
    n = x.shape.ndims
    red = {int(a) % n for a in ax.reshape(-1)} if n else set()
    dims = x.shape.as_list()
    out = [1 if i in red else d for i, d in enumerate(dims)] if keep else [
        d for i, d in enumerate(dims) if i not in red]
    return [(dtypes.string, TensorShape(out))]


@defop("ReduceJoin", infer=_reduce_join_infer, device_types=_HOST)
def _reduce_join(xp, inputs, reduction_indices, *, keep_dims=False, separator=""):
    a = _arr(xp, inputs)
    n = a.ndim
    axes = sorted({int(i) % n for i in reduction_indices.reshape(-1).tolist()}) if n else []
    for i in reduction_indices.reshape(-1).tolist():
        if n and not -n <= int(i) < n:
            raise InvalidArgumentError(None, None, f"Invalid reduction dimension {i} for "
                                                   f"input with {n} dimensions.")
    keep_axes = [i for i in range(n) if i not in axes]
    moved = a.transpose(keep_axes + axes)
    kept_shape = tuple(a.shape[i] for i in keep_axes)
    flat = moved.reshape((-1,) + (int(_prod(a.shape[i] for i in axes)),))
    sep = _b(separator)
    vals = [sep.join(row.tolist()) for row in flat] if flat.size or kept_shape else [b""]
    if keep_dims:
        shape = tuple(1 if i in axes else a.shape[i] for i in range(n))
    else:
        shape = kept_shape
    return _out(xp, vals, shape)


def _prod(values):
    out = 1
    for v in values:
        out *= v
    return out


_reduce_join.not_differentiable()


def reduce_join(inputs, axis=None, keep_dims=False, separator="", name=None,
                reduction_indices=None, keepdims=None):
    """Joins the strings along `axis` (all axes when None), in order, with `separator`
    (op type ReduceJoin).

    Example:
        >>> reduce_join([["a", "b"], ["c", "d"]], axis=1)  # [b"ab", b"cd"]
    """
    axis = _deprecated(axis, reduction_indices)
    keep_dims = bool(keepdims) if keepdims is not None else bool(keep_dims)
    with name_scope(name, "ReduceJoin", [inputs]) as scope:
        x = _string_arg(inputs, "inputs")
        if axis is None:
            if x.shape.ndims is None:
                from flowexec.ops import array_ops

                axes = array_ops.range(array_ops.rank(x))
            else:
                axes = convert_to_tensor(list(range(x.shape.ndims)), dtype=dtypes.int32)
        else:
            axes = convert_to_tensor(axis, dtype=dtypes.int32, name="reduction_indices")
        return apply_op("ReduceJoin", x, axes, name=scope, keep_dims=keep_dims,
                        separator=separator)


def _deprecated(new, old):
    if old is not None:
        if new is not None:
            raise ValueError("Cannot specify both 'axis' and 'reduction_indices'")
        return old
    return new


# ----- regular expressions --------------------------------------------------------------------
def _compile(pattern):
    try:
        return re.compile(_b(pattern))
    except re.error as e:
        raise InvalidArgumentError(None, None, f"Invalid pattern: {pattern!r}, error: {e}") \
            from None


def _regex_replace_infer(op):
    x = _string_in(op)
    for i in (1, 2):
        _string_in(op, i)
    return [(dtypes.string, x.shape)]


@defop("RegexReplace", infer=_regex_replace_infer, device_types=_HOST)
def _regex_replace(xp, input, pattern, rewrite, *, replace_global=True):
    rx = _compile(pattern)
    rw = _b(rewrite)
    return _map(xp, lambda v: rx.sub(rw, v, count=0 if replace_global else 1), input)


_regex_replace.not_differentiable()


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Replaces matches of the regular expression `pattern` in each string by `rewrite`
    (`\\1` refers to a group); only the first match unless `replace_global` (op type
    RegexReplace).

    Example:
        >>> regex_replace(["a1b22"], r"\\d+", "#")  # [b"a#b#"]
    """
    with name_scope(name, "RegexReplace", [input]) as scope:
        x = _string_arg(input, "input")
        return apply_op("RegexReplace", x, _string_arg(pattern, "pattern"),
                        _string_arg(rewrite, "rewrite"), name=scope,
                        replace_global=bool(replace_global))


def _full_match_infer(op):
    x = _string_in(op)
    _string_in(op, 1)
    return [(dtypes.bool, x.shape)]


@defop("RegexFullMatch", infer=_full_match_infer, device_types=_HOST)
def _regex_full_match(xp, input, pattern):
    rx = _compile(pattern)
    return _map(xp, lambda v: rx.fullmatch(v) is not None, input, dtype=dtypes.bool)


_regex_full_match.not_differentiable()


def regex_full_match(input, pattern, name=None):
    """Whether each whole string matches the regular expression `pattern` (op type
    RegexFullMatch).

    Example:
        >>> regex_full_match(["abc", "ab1"], "[a-z]+")  # [True, False]
    """
    with name_scope(name, "RegexFullMatch", [input]) as scope:
        return apply_op("RegexFullMatch", _string_arg(input, "input"),
                        _string_arg(pattern, "pattern"), name=scope)


# ----- elementwise ----------------------------------------------------------------------------
@_unary_string("StringStrip")
def _string_strip(xp, input):
    return _map(xp, lambda v: v.strip(b" \t\n\v\f\r"), input)


def string_strip(input, name=None):
    """Each string without leading and trailing whitespace (op type StringStrip).

    Example:
        >>> string_strip(["  a b \\n"])  # [b"a b"]
    """
    with name_scope(name, "StringStrip", [input]) as scope:
        return apply_op("StringStrip", _string_arg(input, "input"), name=scope)


@_unary_string("StringLength", out_dtype=dtypes.int32)
def _string_length(xp, input, *, unit="BYTE"):
    if unit == "UTF8_CHAR":
        return _map(xp, lambda v: len(v.decode("utf-8", "replace")), input, dtype=dtypes.int32)
    return _map(xp, len, input, dtype=dtypes.int32)


def string_length(input, name=None, unit="BYTE"):
    """The length of each string in bytes, or in UTF-8 characters with unit="UTF8_CHAR"
    (op type StringLength)."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")
    with name_scope(name, "StringLength", [input]) as scope:
        return apply_op("StringLength", _string_arg(input, "input"), name=scope, unit=unit)


@_unary_string("StringLower")
def _string_lower(xp, input, *, encoding=""):
    if encoding == "utf-8":
        return _map(xp, lambda v: v.decode("utf-8").lower().encode("utf-8"), input)
    return _map(xp, lambda v: v.lower(), input)


@_unary_string("StringUpper")
def _string_upper(xp, input, *, encoding=""):
    if encoding == "utf-8":
        return _map(xp, lambda v: v.decode("utf-8").upper().encode("utf-8"), input)
    return _map(xp, lambda v: v.upper(), input)


def lower(input, encoding="", name=None):
    """Each string in lower case: ASCII letters only, or all of Unicode with
    encoding="utf-8" (op type StringLower)."""
    with name_scope(name, "StringLower", [input]) as scope:
        return apply_op("StringLower", _string_arg(input, "input"), name=scope,
                        encoding=encoding)


def upper(input, encoding="", name=None):
    """Each string in upper case (op type StringUpper); see `lower`."""
    with name_scope(name, "StringUpper", [input]) as scope:
        return apply_op("StringUpper", _string_arg(input, "input"), name=scope,
                        encoding=encoding)


def _to_number_infer(op):
    x = _string_in(op)
    return [(op.attrs["out_type"], x.shape)]


@defop("StringToNumber", infer=_to_number_infer, device_types=_HOST)
def _string_to_number(xp, string_tensor, *, out_type=dtypes.float32):
    def one(v):
        s = v.decode("utf-8", "replace").strip()
        try:
            if out_type.is_integer:
                value = int(s, 10)
                info = xp.iinfo(out_type.np)
                if not info.min <= value <= info.max:
                    raise ValueError
                return value
            return float(s)
        except ValueError:
            raise InvalidArgumentError(None, None, f"StringToNumberOp could not correctly "
                                                   f"convert string: {s}") from None
    return _map(xp, one, string_tensor, dtype=out_type)


_string_to_number.not_differentiable()


def string_to_number(string_tensor, out_type=dtypes.float32, name=None):
    """Each string parsed as a number of `out_type` (float32/64, int32/64; op type
    StringToNumber).

    Raises:
        InvalidArgumentError: (at run time) a string is not a number of that type.

    Example:
        >>> string_to_number(["1.5", "-2"])  # [1.5, -2.]
    """
    out_type = dtypes.as_dtype(out_type)
    if out_type not in (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {out_type.name} "
                        f"not in list of allowed values: float32, float64, int32, int64")
    with name_scope(name, "StringToNumber", [string_tensor]) as scope:
        return apply_op("StringToNumber", _string_arg(string_tensor, "string_tensor"),
                        name=scope, out_type=out_type)


def _substr_infer(op):
    x, pos, length = op.inputs
    _string_in(op)
    shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64), 1)
    if length.dtype is not pos.dtype:
        raise TypeError(f"Input 'len' of 'Substr' Op has type {length.dtype.name} that does "
                        f"not match type {pos.dtype.name} of argument 'pos'.")
    if None not in (pos.shape.ndims, length.shape.ndims) and pos.shape.ndims != \
            length.shape.ndims:
        raise shape_fns.shape_error(op, f"Shape must be rank {pos.shape.ndims} but is rank "
                                        f"{length.shape.ndims}")
    out = shape_fns.broadcast_shapes(op, x.shape, pos.shape)
    return [(dtypes.string, shape_fns.broadcast_shapes(op, out, length.shape))]


@defop("Substr", infer=_substr_infer, device_types=_HOST)
def _substr(xp, input, pos, len, *, unit="BYTE"):
    a = _arr(xp, input)
    shape = xp.broadcast_shapes(a.shape, pos.shape, len.shape)
    strs = xp.broadcast_to(a, shape).reshape(-1).tolist()
    ps = xp.broadcast_to(pos, shape).reshape(-1).tolist()
    ls = xp.broadcast_to(len, shape).reshape(-1).tolist()
    out = []
    for s, p, n in zip(strs, ps, ls):
        seq = s.decode("utf-8") if unit == "UTF8_CHAR" else s
        size = _len(seq)
        if not -size <= p <= size:
            raise InvalidArgumentError(None, None, f"pos {p} out of range for string b'"
                                                   f"{s.decode('utf-8', 'replace')}' at index 0")
        start = p if p >= 0 else size + p
        piece = seq[start:start + max(n, 0)]
        out.append(piece.encode("utf-8") if unit == "UTF8_CHAR" else piece)
    return _out(xp, out, shape)


def _len(seq):
    return seq.__len__()


_substr.not_differentiable()


def substr(input, pos, len, name=None, unit="BYTE"):
    """The substring of each string starting at `pos` (negative: from the end) with at most
    `len` bytes (or UTF-8 characters with unit="UTF8_CHAR"); op type Substr.

    Raises:
        InvalidArgumentError: (at run time) `pos` is outside a string.

    Example:
        >>> substr(["Hello", "World"], 1, 3)  # [b"ell", b"orl"]
    """
    with name_scope(name, "Substr", [input, pos, len]) as scope:
        x = _string_arg(input, "input")
        pos = convert_to_tensor(pos, name="pos", preferred_dtype=dtypes.int32)
        length = convert_to_tensor(len, name="len", dtype=pos.dtype)
        return apply_op("Substr", x, pos, length, name=scope, unit=unit)


# ----- base64 ---------------------------------------------------------------------------------
@_unary_string("EncodeBase64")
def _encode_base64(xp, input, *, pad=False):
    def one(v):
        out = base64.urlsafe_b64encode(v)
        return out if pad else out.rstrip(b"=")
    return _map(xp, one, input)


@_unary_string("DecodeBase64")
def _decode_base64(xp, input):
    def one(v):
        try:
            return base64.urlsafe_b64decode(v + b"=" * (-len(v) % 4))
        except ValueError:
            raise InvalidArgumentError(None, None, f"Invalid character found in base64.") \
                from None
    return _map(xp, one, input)


def encode_base64(input, pad=False, name=None):
    """Each string in web-safe base64 (`-` and `_` for `+` and `/`), '=' padding only with
    `pad` (op type EncodeBase64).

    Example:
        >>> encode_base64(["hi?"])  # [b"aGk_"]
    """
    with name_scope(name, "EncodeBase64", [input]) as scope:
        return apply_op("EncodeBase64", _string_arg(input, "input"), name=scope, pad=bool(pad))


def decode_base64(input, name=None):
    """The bytes of each web-safe base64 string, padded or not (op type DecodeBase64)."""
    with name_scope(name, "DecodeBase64", [input]) as scope:
        return apply_op("DecodeBase64", _string_arg(input, "input"), name=scope)


# ----- files ----------------------------------------------------------------------------------
def _read_file_infer(op):
    _string_in(op)
    return [(dtypes.string, TensorShape([]))]


@defop("ReadFile", infer=_read_file_infer, device_types=_HOST, stateful=True)
def _read_file(xp, filename):
    name = _b(filename).decode("utf-8")
    try:
        with open(name, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{name}; No such file or directory") from None


_read_file.not_differentiable()


def read_file(filename, name=None):
    """The whole contents of the file `filename` as one string (op type ReadFile).

    Raises:
        NotFoundError: (at run time) the file does not exist.
    """
    with name_scope(name, "ReadFile", [filename]) as scope:
        return apply_op("ReadFile", _string_arg(filename, "filename"), name=scope)


@defop("WriteFile", infer=lambda op: [], device_types=_HOST, stateful=True)
def _write_file(xp, filename, contents):
    import os

    name = _b(filename).decode("utf-8")
    parent = os.path.dirname(name)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(name, "wb") as f:
        f.write(_b(contents))


_write_file.not_differentiable()


def write_file(filename, contents, name=None):
    """An op that writes the string `contents` to `filename` (creating its directory), as
    TF's WriteFile."""
    with name_scope(name, "WriteFile", [filename, contents]) as scope:
        return apply_op("WriteFile", _string_arg(filename, "filename"),
                        _string_arg(contents, "contents"), name=scope)


# ----- UnsortedSegmentJoin --------------------------------------------------------------------
def _segment_join_infer(op):
    x, ids, num = op.inputs
    _string_in(op)
    n = shape_fns.constant_value(num)
    if x.shape.ndims is None or ids.shape.ndims is None:
        return [(dtypes.string, TensorShape(None))]
    rest = x.shape.as_list()[ids.shape.ndims:]
    return [(dtypes.string, TensorShape([None if n is None else int(n)] + rest))]


@defop("UnsortedSegmentJoin", infer=_segment_join_infer, device_types=_HOST)
def _unsorted_segment_join(xp, inputs, segment_ids, num_segments, *, separator=""):
    a = _arr(xp, inputs)
    n = int(num_segments)
    k = segment_ids.ndim
    ids = segment_ids.reshape(-1).tolist()
    rows = a.reshape((len(ids),) + a.shape[k:])
    inner = a.shape[k:]
    sep = _b(separator)
    parts = [[[] for _ in range(int(_prod(inner)))] for _ in range(n)]
    for i, s in enumerate(ids):
        if not 0 <= s < n:
            if s < 0:
                continue
            raise InvalidArgumentError(None, None, f"segment_ids[{i}] = {s} is out of range "
                                                   f"[0, {n})")
        for j, v in enumerate(_arr(xp, rows[i]).reshape(-1).tolist()):
            parts[s][j].append(v)
    vals = [sep.join(p) for seg in parts for p in seg]
    return _out(xp, vals, (n,) + inner)


_unsorted_segment_join.not_differentiable()


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Joins the strings of each segment (in input order) with `separator`; empty segments
    give "" (op type UnsortedSegmentJoin).

    Example:
        >>> unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2, ",")  # [b"b", b"a,c"]
    """
    with name_scope(name, "UnsortedSegmentJoin", [inputs, segment_ids]) as scope:
        x = _string_arg(inputs, "inputs")
        ids = convert_to_tensor(segment_ids, name="segment_ids", preferred_dtype=dtypes.int32)
        num = convert_to_tensor(num_segments, name="num_segments", preferred_dtype=dtypes.int32)
        return apply_op("UnsortedSegmentJoin", x, ids, num, name=scope, separator=separator)


__all__ = ["as_string", "decode_base64", "encode_base64", "read_file", "reduce_join",
           "regex_replace", "string_join", "string_strip", "string_to_number", "substr",
           "write_file"]
