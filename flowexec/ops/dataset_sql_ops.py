"""SqlDataset: the rows of a SQL query as tuples of scalars (the Python API is
`flowexec.data.experimental.SqlDataset`, `flowexec/data/sql.py`).

As TF's kernel, only the "sqlite" driver exists (Python's sqlite3 here; TF links SQLite
itself) and each column is read as SQLite's C API reads it for the requested type, so the
values equal TF's: NULL is 0, 0.0 or the empty string; a text read as an integer is its
leading integer ("12abc" is 12, "a" is 0), as a double its leading number ("3.5e1x" is
35.0); a number read as a string is its text (a double as SQLite prints it, "%!.15g":
"2.0", "1.0e+20"); a bool is a non-zero integer. The 8-, 16- and 32-bit types read the
column as SQLite's 32-bit `column_int` and wrap to the type, int64 as `column_int64`.

Errors are TF's: an unknown driver or an output type other than string, int8, int16, int32,
int64, uint8, uint16, bool or double is an InvalidArgumentError when the dataset op runs; a
query SQLite cannot prepare is UnknownError "Prepare() failed: [<code>] <message>: <query>"
and a column count other than the types' InvalidArgumentError, on the first `get_next`.

Stateful, host-only and not differentiable (as all dataset ops).
"""

import math
import re
import sqlite3

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_iterators as it
from flowexec.ops.dataset_iterators import Failed, _invalid

SQL_TYPES = (dtypes.string, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
             dtypes.uint8, dtypes.uint16, dtypes.bool, dtypes.float64)
_INT = re.compile(rb"\s*[+-]?\d+")
_REAL = re.compile(rb"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _text(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def _sqlite_real_text(x):
    """SQLite's "%!.15g" text of a REAL: always with a decimal point."""
    if math.isinf(x):
        return b"Inf" if x > 0 else b"-Inf"
    s = "%.15g" % x
    mantissa, _, exponent = s.partition("e")
    if "." not in mantissa and "n" not in mantissa:
        mantissa += ".0"
    return (mantissa + ("e" + exponent if exponent else "")).encode()


def _as_int(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    m = _INT.match(_text(value))
    return int(m.group()) if m else 0


def _as_real(value):
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    m = _REAL.match(_text(value))
    return float(m.group()) if m else 0.0


def _as_string(value):
    if value is None:
        return b""
    if isinstance(value, float):
        return _sqlite_real_text(value)
    if isinstance(value, int):
        return str(value).encode()
    return _text(value)


def _wrap(n, bits):
    """`n` as SQLite's 32-bit column_int (bits=32) or column_int64 (64) gives it."""
    n &= (1 << bits) - 1
    return n - (1 << bits) if n >= 1 << (bits - 1) else n


def _column(value, dtype):
    if dtype is dtypes.string:
        return np.asarray(_as_string(value), dtype=object)
    if dtype is dtypes.float64:
        return np.float64(_as_real(value))
    if dtype is dtypes.bool:
        return np.bool_(_wrap(_as_int(value), 32) != 0)
    bits = 64 if dtype is dtypes.int64 else 32
    return np.asarray(_wrap(_as_int(value), bits)).astype(dtype.np)


class SqlValue(it.DatasetValue):
    """The rows of `query` on the SQLite database `source` (see the module docstring)."""

    def __init__(self, driver, source, query, types):
        driver = driver.decode() if isinstance(driver, bytes) else str(driver)
        if driver != "sqlite":
            raise _invalid(f"The database type, {driver}, is not supported by SqlDataset. "
                           "The set of supported databases is: {'sqlite'}.")
        for t in types:
            if t not in SQL_TYPES:
                raise _invalid("Each element of `output_types_` must be one of: DT_STRING, "
                               "DT_INT8, DT_INT16, DT_INT32, DT_INT64, DT_UINT8, DT_UINT16, "
                               "DT_BOOL, DT_DOUBLE ")
        self.source = source.decode() if isinstance(source, bytes) else str(source)
        self.query = query.decode() if isinstance(query, bytes) else str(query)
        self.types = list(types)

    def _rows(self):
        try:
            connection = sqlite3.connect(f"file:{self.source}?mode=ro", uri=True)
        except sqlite3.Error as e:
            raise errors.UnknownError(None, None, f"Failed to open database {self.source}: "
                                      f"{e}") from e
        try:
            try:
                cursor = connection.execute(self.query)
            except sqlite3.Error as e:
                code = getattr(e, "sqlite_errorcode", 1)
                raise errors.UnknownError(None, None, f"Prepare() failed: [{code}] {e}: "
                                          f"{self.query}") from e
            width = len(cursor.description or ())
            if width != len(self.types):
                raise _invalid(f"The number of columns in query ({width}) must match the "
                               f"number of elements in output_types ({len(self.types)}).")
            yield from cursor
        finally:
            connection.close()

    def iterate(self, ctx):
        rows = self._rows()
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except errors.OpError as e:
                yield Failed(e)
                return
            yield tuple(_column(v, t) for v, t in zip(row, self.types))


def _sql_infer(op):
    for t, name in zip(op.inputs, ("driver_name", "data_source_name", "query")):
        if t.dtype is not dtypes.string:
            raise TypeError(f"Input '{name}' of 'SqlDataset' Op has type {t.dtype.name} that "
                            "does not match expected type of string.")
    return [(dtypes.variant, TensorShape([]))]


@defop("SqlDataset", infer=_sql_infer, stateful=True, device_types=("CPU",))
def _sql_dataset(xp, driver_name, data_source_name, query, *, output_types, output_shapes):
    return SqlValue(np.asarray(driver_name).item(), np.asarray(data_source_name).item(),
                    np.asarray(query).item(), output_types)


_sql_dataset.not_differentiable()
