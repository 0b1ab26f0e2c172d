"""CSVDataset: the records of CSV files as tuples of scalars (the Python API is
`flowexec.data.experimental.CsvDataset`, `flowexec/data/csv.py`).

Records are split as TF's CSVDataset kernel splits them, which differs from DecodeCSV's
one-string-per-record tokenizer: a record ends at "\\n", "\\r" or "\\r\\n" outside quotes;
with `use_quote_delim`, a quoted field may hold delimiters and line breaks, `""` is a quote,
and it ends at a quote followed by a delimiter, a line break or the end of the file. A
header line is skipped per file. The values are converted with DecodeCSV's number parsing
(`decode_ops._parse_int` / `_parse_float`), so `tf.decode_csv` and CsvDataset read a field
alike. An empty or `na_value` field takes its column's default (required when the default
is empty).

Errors are TF's and belong to the record (InvalidArgumentError, raised by the `get_next`
that reaches it; the next `get_next` reads the next record): "Expect 3 fields but have 2 in
record", "Expect 3 fields but have more in record", "Field 1 is required but missing in
record!", "Field 0 in record is not a valid int32: x", "Unquoted fields cannot have quotes
inside", "Quote inside a string has to be escaped by another quote", "Reached end of file
without closing quoted field in record". Argument errors ("select_cols should be strictly
increasing indices", "buffer_size should be positive", ...) are raised when the dataset op
runs (the iterator's initializer). A missing file is a NotFoundError.

Stateful, host-only and not differentiable (as all dataset ops).
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_iterators as it
from flowexec.ops import record_format
from flowexec.ops.dataset_iterators import Failed, _invalid
from flowexec.ops.decode_ops import _parse_float, _parse_int

CSV_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)
_QUOTE, _LF, _CR = 0x22, 0x0A, 0x0D


def _records(data, delim, use_quote):
    """(fields, error message or None) for each record of `data` (the bytes of a file)."""
    pos, n = 0, len(data)
    while pos < n:
        fields, error = [], None
        while True:
            if use_quote and data[pos:pos + 1] == b'"':
                pos += 1
                buf, closed = bytearray(), False
                while pos < n:
                    c = data[pos]
                    if c == _QUOTE:
                        nxt = data[pos + 1] if pos + 1 < n else None
                        if nxt == _QUOTE:
                            buf.append(c)
                            pos += 2
                            continue
                        if nxt is None or nxt in (delim, _LF, _CR):
                            pos += 1
                            closed = True
                            break
                        error = error or "Quote inside a string has to be escaped by another " \
                                         "quote"
                    buf.append(c)
                    pos += 1
                if not closed:
                    yield fields, "Reached end of file without closing quoted field in record"
                    return
                field = bytes(buf)
            else:
                start = pos
                while pos < n and data[pos] not in (delim, _LF, _CR):
                    pos += 1
                field = data[start:pos]
                if use_quote and b'"' in field:
                    error = error or "Unquoted fields cannot have quotes inside"
            fields.append(field)
            if pos < n and data[pos] == delim:
                pos += 1
                continue
            if pos < n and data[pos] == _CR:
                pos += 1
            if pos < n and data[pos] == _LF:
                pos += 1
            break
        yield fields, error


def _skip_line(data):
    for i, c in enumerate(data):
        if c == _LF:
            return data[i + 1:]
        if c == _CR:
            return data[i + 2:] if data[i + 1:i + 2] == b"\n" else data[i + 1:]
    return b""


def _convert(fields, defaults, types, na):
    out = []
    for i, (text, default, dtype) in enumerate(zip(fields, defaults, types)):
        if not text or text == na:
            if default is None:
                raise _invalid(f"Field {i} is required but missing in record!")
            out.append(default)
            continue
        if dtype is dtypes.string:
            out.append(np.asarray(text, dtype=object))
            continue
        value = _parse_int(text, dtype) if dtype.is_integer else _parse_float(text)
        if value is None:
            kind = {dtypes.float32: "float", dtypes.float64: "double"}.get(dtype, dtype.name)
            raise _invalid(f"Field {i} in record is not a valid {kind}: "
                           f"{text.decode('utf-8', 'replace')}")
        with np.errstate(over="ignore"):  # a float beyond float32 is inf, as strtof's
            out.append(np.asarray(value, dtype=dtype.np))
    return tuple(out)


class CsvValue(it.DatasetValue):
    def __init__(self, filenames, compression, buffer_size, header, field_delim,
                 use_quote_delim, na_value, select_cols, defaults, types):
        delim = field_delim if isinstance(field_delim, bytes) else str(field_delim).encode()
        if len(delim) != 1:
            raise _invalid("field_delim should be only 1 char")
        if buffer_size <= 0:
            raise _invalid("buffer_size should be positive")
        select = [int(c) for c in np.ravel(select_cols)]
        if select and len(select) != len(types):
            raise _invalid("select_cols should match output size")
        if any(a >= b for a, b in zip(select, select[1:])):
            raise _invalid("select_cols should be strictly increasing indices")
        if select and select[0] < 0:
            raise _invalid("select_cols should be non-negative indices")
        self.defaults = []
        for i, (d, dtype) in enumerate(zip(defaults, types)):
            d = np.asarray(d, dtype=object if dtype is dtypes.string else dtype.np).reshape(-1)
            if d.size > 1:
                raise _invalid(f"There should only be 1 default per field but field {i} has "
                               f"{d.size}")
            self.defaults.append(np.asarray(d[0], dtype=d.dtype) if d.size else None)
        self.filenames = it._filenames(filenames)
        self.compression = compression
        self.header = bool(header)
        self.delim = delim[0]
        self.use_quote = bool(use_quote_delim)
        self.na = na_value if isinstance(na_value, bytes) else str(na_value).encode()
        self.select = select
        self.types = list(types)

    def _element(self, fields, error):
        if error is not None:
            raise _invalid(error)
        want = len(self.types)
        if self.select:
            # the fields after the last selected column are not read
            fields = [fields[c] for c in self.select if c < len(fields)]
        elif len(fields) > want:
            raise _invalid(f"Expect {want} fields but have more in record")
        if len(fields) < want:
            raise _invalid(f"Expect {want} fields but have {len(fields)} in record")
        return _convert(fields, self.defaults, self.types, self.na)

    def iterate(self, ctx):
        for name in self.filenames:
            try:
                with record_format.open_read(name, self.compression) as f:
                    data = f.read()
            except errors.OpError as e:
                yield Failed(e)
                continue
            if self.header:
                data = _skip_line(data)
            for fields, error in _records(data, self.delim, self.use_quote):
                try:
                    yield self._element(fields, error)
                except errors.OpError as e:
                    yield Failed(e)


def _csv_infer(op):
    for t in op.inputs[8:]:
        if t.dtype not in CSV_TYPES:
            raise TypeError(f"Value passed to parameter 'record_defaults' has DataType "
                            f"{t.dtype.name} not in list of allowed values: float32, float64, "
                            "int32, int64, string")
        if t.shape.ndims is not None and (t.shape.ndims > 1 or t.shape.ndims == 1 and (
                t.shape[0] is not None and t.shape[0] > 1)):
            raise ValueError("Shape of a default must be a length-0 or length-1 vector, or a "
                             "scalar.")
    return [(dtypes.variant, TensorShape([]))]


@defop("CSVDataset", infer=_csv_infer, stateful=True, device_types=("CPU",))
def _csv_dataset(xp, filenames, compression_type, buffer_size, header, field_delim,
                 use_quote_delim, na_value, select_cols, *record_defaults, output_types,
                 output_shapes):
    return CsvValue(filenames, np.asarray(compression_type).item(),
                    np.asarray(buffer_size).item(), np.asarray(header).item(),
                    np.asarray(field_delim).item(), np.asarray(use_quote_delim).item(),
                    np.asarray(na_value).item(), select_cols, record_defaults, output_types)


_csv_dataset.not_differentiable()
