"""decode_ops: strings decoded into numbers — raw bytes (DecodeRaw, DecodePaddedRaw) and CSV
records (DecodeCSV), as TensorFlow's parsing ops decode them.

- `decode_raw(bytes, out_type, little_endian)`: each string's bytes reinterpreted as a
  vector of `out_type`; every string must have the same length, a multiple of the type's
  size. `fixed_length` (DecodePaddedRaw) first cuts or zero-pads each string to that length.
- `decode_csv(records, record_defaults, ...)`: one output per column, each shaped like
  `records`; the column's type is its default's; an empty (or `na_value`) field takes the
  default, or is an error when the default is empty. Fields are split as TF's tokenizer
  does (RFC 4180 quotes when `use_quote_delim`, `""` for a quote inside quotes); numbers
  follow TF's strtod-style parsing: ints are decimal with an optional sign and surrounding
  spaces, floats also accept hex, inf and nan, and overflow to inf.

Host-only (string tensors are object arrays of bytes), not differentiable; the messages of
the run-time errors are TF's ("Expect 3 fields but have 2 in record 0").
"""

import re

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["decode_csv", "decode_raw"]

_HOST = ("CPU",)


def _invalid(message):
    return InvalidArgumentError(None, None, message)


def _strings(xp, x):
    a = xp.asarray(x, dtype=object)
    return a, [v if isinstance(v, bytes) else str(v).encode("utf-8")
               for v in a.reshape(-1).tolist()]


# ----- DecodeRaw / DecodePaddedRaw -----------------------------------------------------
_RAW_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint16,
              dtypes.uint8, dtypes.int16, dtypes.int8, dtypes.int64, dtypes.complex64,
              dtypes.complex128, dtypes.bool)
_PADDED_TYPES = _RAW_TYPES[:9]


def _check_out_type(op, allowed):
    out = op.attrs["out_type"]
    if out not in allowed:
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {out.name} not in "
                        f"list of allowed values: {', '.join(d.name for d in allowed)}")
    return out


def _string_input(op, index=0):
    if op.inputs[index].dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), index)
    return op.inputs[index]


def _raw_infer(op):
    x = _string_input(op)
    out = _check_out_type(op, _RAW_TYPES)
    dims = None if x.shape.ndims is None else x.shape.as_list() + [None]
    return [(out, TensorShape(dims))]


def _element_dtype(xp, out_type, little_endian):
    dt = xp.dtype(out_type.np)
    return dt.newbyteorder("<" if little_endian else ">") if dt.itemsize > 1 else dt


def _decode_rows(xp, data, shape, n_bytes, out_type, little_endian):
    dt = _element_dtype(xp, out_type, little_endian)
    buf = b"".join(data)
    out = xp.frombuffer(buf, dtype=dt).astype(out_type.np)  # native order, own memory
    return out.reshape(tuple(shape) + (n_bytes // dt.itemsize,))


@defop("DecodeRaw", infer=_raw_infer, device_types=_HOST)
def _decode_raw(xp, bytes, *, out_type, little_endian=True):
    a, data = _strings(xp, bytes)
    size = -1
    for i, s in enumerate(data):
        if size == -1:
            size = len(s)
        elif len(s) != size:
            raise _invalid(f"DecodeRaw requires input strings to all be the same size, but "
                           f"element {i} has size {size} != {len(s)}")
    if size <= 0:
        return xp.zeros(a.shape + (0,), dtype=out_type.np)
    width = xp.dtype(out_type.np).itemsize
    if size % width:
        raise _invalid(f"Input to DecodeRaw has length {size} that is not a multiple of "
                       f"{width}, the size of {out_type.name}")
    return _decode_rows(xp, data, a.shape, size, out_type, little_endian)


_decode_raw.not_differentiable()


def _padded_infer(op):
    x = _string_input(op)
    length = op.inputs[1]
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    out = _check_out_type(op, _PADDED_TYPES)
    n = shape_fns.constant_value(length)
    width = out.size
    last = None
    if n is not None:
        n = int(n)
        if n % width:
            raise shape_fns.shape_error(
                op, f"Dimension size must be evenly divisible by {width} but is {n}")
        last = n // width
    dims = None if x.shape.ndims is None else x.shape.as_list() + [last]
    return [(out, TensorShape(dims))]


@defop("DecodePaddedRaw", infer=_padded_infer, device_types=_HOST)
def _decode_padded_raw(xp, input_bytes, fixed_length, *, out_type, little_endian=True):
    a, data = _strings(xp, input_bytes)
    n = int(fixed_length)
    width = xp.dtype(out_type.np).itemsize
    if n % width:
        raise _invalid(f"fixed_length ({n}) must be a multiple of the size of out_type "
                       f"({width})")
    if n < 0:
        raise _invalid(f"fixed_length ({n}) must be non-negative")
    rows = [s[:n] + b"\x00" * (n - len(s)) if len(s) < n else s[:n] for s in data]
    return _decode_rows(xp, rows, a.shape, n, out_type, little_endian)


_decode_padded_raw.not_differentiable()


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None,
               fixed_length=None):
    """Reinterprets the bytes of each string as a vector of `out_type` (op type DecodeRaw;
    DecodePaddedRaw with `fixed_length`).

    Args:
        input_bytes: a string Tensor (`bytes` is its deprecated name).
        out_type: float16, float32, float64, int8/16/32/64, uint8/16, complex64/128 or bool.
        little_endian: the byte order of the input (for types wider than one byte).
        fixed_length: cut or zero-pad each string to this many bytes first (TF 2.x
            `tf.io.decode_raw`).

    Returns:
        A Tensor of shape `input_bytes.shape + [length / size of out_type]`.

    Raises:
        InvalidArgumentError: (at run time) strings of different lengths, or a length that
            is not a multiple of the type's size.

    Example:
        >>> decode_raw([b"\\x01\\x00\\x02\\x00"], tf.int16)  # [[1, 2]]
    """
    if input_bytes is not None and bytes is not None:
        raise ValueError("Cannot specify both 'input_bytes' and 'bytes'")
    if input_bytes is None:
        input_bytes = bytes
    if input_bytes is None:
        raise ValueError("Missing value for argument 'input_bytes'")
    out_type = dtypes.as_dtype(out_type)
    op_type = "DecodeRaw" if fixed_length is None else "DecodePaddedRaw"
    with name_scope(name, op_type, [input_bytes]) as scope:
        x = convert_to_tensor(input_bytes, dtype=dtypes.string, name="input_bytes")
        if fixed_length is None:
            return apply_op("DecodeRaw", x, name=scope, out_type=out_type,
                            little_endian=bool(little_endian))
        n = convert_to_tensor(fixed_length, dtype=dtypes.int32, name="fixed_length")
        return apply_op("DecodePaddedRaw", x, n, name=scope, out_type=out_type,
                        little_endian=bool(little_endian))


# ----- DecodeCSV -------------------------------------------------------------------------
_CSV_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)


class _CsvError(Exception):
    pass


def _tokenize(s, delim, use_quote, select):
    """TF's DecodeCSV tokenizer: the fields of record `s` (bytes), only the `select`ed
    columns when it is non-empty."""
    n = len(s)
    fields = []
    if n == 0:
        return fields
    cur = parsed = sel = 0
    quote, cr, lf = 0x22, 0x0D, 0x0A
    while cur < n:
        c = s[cur]
        if c == lf or c == cr:
            cur += 1
            continue
        include = not select or select[sel] == parsed
        quoted = use_quote and c == quote
        if quoted:
            cur += 1
        field = bytearray()
        if not quoted:
            while cur < n and s[cur] != delim:
                c = s[cur]
                if (use_quote and c == quote) or c == lf or c == cr:
                    raise _CsvError("Unquoted fields cannot have quotes/CRLFs inside")
                if include:
                    field.append(c)
                cur += 1
            cur += 1
        else:
            while cur < n - 1 and not (s[cur] == quote and s[cur + 1] == delim):
                if s[cur] != quote:
                    if include:
                        field.append(s[cur])
                    cur += 1
                else:
                    if s[cur + 1] != quote:
                        raise _CsvError("Quote inside a string has to be escaped by another "
                                        "quote")
                    if include:
                        field.append(quote)
                    cur += 2
            if cur > n - 1 or s[cur] != quote:
                raise _CsvError("Quoted field has to end with quote followed by delim or end")
            cur += 2
        parsed += 1
        if include:
            fields.append(bytes(field))
            sel += 1
            if select and sel == len(select):
                return fields
    if (not select or select[sel] == parsed) and s[n - 1] == delim:
        fields.append(b"")
    return fields


_INT = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*\Z")
_SPACE = b" \t\n\v\f\r"
_HEX = re.compile(r"[+-]?0[xX]")  # strtod's hex floats; float.fromhex alone also takes "1.5f"
_INT_RANGE = {dtypes.int32: (-(2 ** 31), 2 ** 31 - 1), dtypes.int64: (-(2 ** 63), 2 ** 63 - 1)}


def _parse_int(text, dtype):
    m = _INT.match(text)
    if not m:
        return None
    v = int(m.group(1))
    lo, hi = _INT_RANGE[dtype]
    return v if lo <= v <= hi else None


def _parse_float(text):
    t = text.strip(_SPACE)
    if not t or b"_" in t:
        return None
    try:
        t = t.decode("ascii")
    except UnicodeDecodeError:
        return None
    try:
        return float(t)
    except ValueError:
        pass
    if not _HEX.match(t):
        return None
    try:
        return float.fromhex(t)
    except (ValueError, OverflowError):
        return None


def _csv_infer(op):
    records = _string_input(op)
    for i, t in enumerate(op.inputs[1:], 1):
        if t.dtype not in _CSV_TYPES:
            raise TypeError(f"Value passed to parameter 'record_defaults' has DataType "
                            f"{t.dtype.name} not in list of allowed values: float32, float64, "
                            "int32, int64, string")
        if t.shape.ndims is not None and t.shape.ndims > 1:
            raise shape_fns.shape_error(op, f"Shape must be at most rank 1 but is rank "
                                            f"{t.shape.ndims}")
        if t.shape.ndims == 1 and t.shape[0] is not None and t.shape[0] > 1:
            raise ValueError("Shape of a default must be a length-0 or length-1 vector, or a "
                             "scalar.")
    return [(t.dtype, records.shape) for t in op.inputs[1:]]


@defop("DecodeCSV", infer=_csv_infer, device_types=_HOST)
def _decode_csv(xp, records, *record_defaults, OUT_TYPE, field_delim=",", use_quote_delim=True,
                na_value="", select_cols=()):
    delim = field_delim.encode("utf-8") if isinstance(field_delim, str) else field_delim
    if len(delim) != 1:
        raise _invalid("field_delim should be only 1 char")
    na = na_value.encode("utf-8") if isinstance(na_value, str) else na_value
    defaults = []
    for i, d in enumerate(record_defaults):
        d = xp.asarray(d, dtype=object if OUT_TYPE[i] is dtypes.string else None)
        if d.ndim > 1:
            raise _invalid("Each record default should be at most rank 1")
        if d.size > 1:
            raise _invalid(f"There should only be 1 default per field but field {i} has "
                           f"{d.size}")
        defaults.append(d.reshape(-1)[0] if d.size else None)
    a, data = _strings(xp, records)
    select = list(select_cols)
    columns = [[] for _ in OUT_TYPE]
    for r, record in enumerate(data):
        try:
            fields = _tokenize(record, delim[0], use_quote_delim, select)
        except _CsvError as e:
            raise _invalid(str(e)) from None
        if len(fields) != len(OUT_TYPE):
            raise _invalid(f"Expect {len(OUT_TYPE)} fields but have {len(fields)} in record {r}")
        for f, (text, dtype) in enumerate(zip(fields, OUT_TYPE)):
            if not text or text == na:
                if defaults[f] is None:
                    raise _invalid(f"Field {f} is required but missing in record {r}!")
                columns[f].append(defaults[f])
                continue
            if dtype is dtypes.string:
                columns[f].append(text)
                continue
            value = (_parse_int(text, dtype) if dtype.is_integer else _parse_float(text))
            if value is None:
                kind = {dtypes.float32: "float", dtypes.float64: "double"}.get(dtype, dtype.name)
                raise _invalid(f"Field {f} in record {r} is not a valid {kind}: "
                               f"{text.decode('utf-8', 'replace')}")
            columns[f].append(value)
    outs = []
    for col, dtype in zip(columns, OUT_TYPE):
        if dtype is dtypes.string:
            out = xp.empty(len(col), dtype=object)
            out[:] = col
        else:
            out = xp.asarray(col, dtype=dtype.np) if col else xp.zeros(0, dtype=dtype.np)
        outs.append(out.reshape(a.shape))
    return tuple(outs)


_decode_csv.not_differentiable()


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """Converts CSV records to tensors, one per column (op type DecodeCSV).

    Args:
        records: a string Tensor; each string is one record.
        record_defaults: one Tensor-like per (selected) column: a scalar or a one-element
            list, the column's default, or an empty list for a required column. Its dtype
            (float32, float64, int32, int64 or string) is the column's.
        field_delim: the one-character field separator.
        use_quote_delim: RFC 4180 double quotes; when False, quotes are ordinary characters.
        na_value: a field text that counts as missing (as an empty field does).
        select_cols: the sorted column indices to parse (one per default), or None for all.

    Returns:
        A list of Tensors shaped like `records`.

    Raises:
        ValueError: `select_cols` not strictly increasing, negative, or not as long as
            `record_defaults`.
        InvalidArgumentError: (at run time) a record with the wrong number of fields
            ("Expect 3 fields but have 2 in record 0"), a missing required field, a field
            that does not parse as its type, a malformed quote.

    Example:
        >>> a, b = decode_csv(["1,x", "2,"], [[0], ["none"]])  # [1, 2], [b"x", b"none"]
    """
    if select_cols is not None:
        select_cols = [int(c) for c in select_cols]
        if any(select_cols[i] >= select_cols[i + 1] for i in range(len(select_cols) - 1)):
            raise ValueError("select_cols is not strictly increasing.")
        if select_cols and select_cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
        if len(select_cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    record_defaults = list(record_defaults)
    with name_scope(name, "DecodeCSV", [records] + record_defaults) as scope:
        recs = convert_to_tensor(records, dtype=dtypes.string, name="records")
        defaults = []
        for i, d in enumerate(record_defaults):
            if isinstance(d, (list, tuple)) and not d:
                t = convert_to_tensor(d, dtype=dtypes.float32, name=f"record_defaults_{i}")
            else:
                t = convert_to_tensor(d, name=f"record_defaults_{i}")
            defaults.append(t)
        outs = apply_op("DecodeCSV", recs, *defaults, name=scope,
                        OUT_TYPE=[t.dtype for t in defaults], field_delim=field_delim,
                        use_quote_delim=bool(use_quote_delim), na_value=na_value,
                        select_cols=list(select_cols or []))
        return list(outs) if isinstance(outs, (list, tuple)) else [outs]
