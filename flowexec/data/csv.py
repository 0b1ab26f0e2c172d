"""CSV input: `tf.data.experimental.CsvDataset` and `make_csv_dataset`, as TF 1.15 builds them.

`CsvDataset` is one CSVDataset op (`flowexec/ops/dataset_csv_ops.py`, which shares its number
parsing with `tf.decode_csv`): each element is a tuple of scalars, one per column (or per
`select_cols` entry), typed by `record_defaults`. `make_csv_dataset` is TF's Python pipeline
over it: file names from a glob, column names from the header line, column types inferred
from the first `num_rows_for_inference` rows (int32, then int64, float32, float64, string),
then interleave, shuffle/repeat, batch and a map to `(features dict, label)`.

Example:
    >>> ds = CsvDataset("a.csv", [tf.int32, [0.0], ["?"]], header=True, select_cols=[0, 2, 3])
    >>> ds = make_csv_dataset("train-*.csv", batch_size=32, label_name="y", num_epochs=1)
"""

import collections
import csv
import glob
import gzip
import io

import numpy as np

from flowexec.data.dataset import AUTOTUNE, Dataset
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import TensorSpec
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.ops import dataset_csv_ops
from flowexec.ops.constant_op import constant

_DEFAULT_BUFFER = 4 * 1024 * 1024  # TF's CsvDataset default read buffer (bytes)


def _optional(value, default, dtype, name):
    return convert_to_tensor(default if value is None else value, dtype=dtype, name=name)


def _default_tensor(value, i):
    if isinstance(value, dtypes.DType) or (isinstance(value, type) and value in (
            np.int32, np.int64, np.float32, np.float64)):
        dtype = dtypes.as_dtype(value)
        if dtype in dataset_csv_ops.CSV_TYPES:
            return constant([], dtype=dtype, name=f"record_defaults_{i}")
    if isinstance(value, (list, tuple)) and not value:
        return convert_to_tensor(value, dtype=dtypes.float32, name=f"record_defaults_{i}")
    return convert_to_tensor(value, name=f"record_defaults_{i}")


class CsvDataset(Dataset):
    """The records of CSV files (TF 1.x `tf.data.experimental.CsvDataset`).

    Args:
        filenames: a string or vector of strings, read in order.
        record_defaults: one per output column: a dtype (float32, float64, int32, int64,
            string; the column is required) or a one-element default (`[0]`, `["?"]`),
            whose dtype is the column's; `[]` of a dtype is required too.
        compression_type: "", "ZLIB" or "GZIP".
        buffer_size: read buffer in bytes (> 0; the files are read whole here).
        header: skip the first line of each file.
        field_delim: the one-character delimiter.
        use_quote_delim: RFC 4180 quotes (a quoted field may hold delimiters and newlines).
        na_value: a field text that counts as missing.
        select_cols: the sorted column indices to read, one per default.

    Raises:
        ValueError, TypeError: a default with more than one element, or of another dtype.
        At run time, InvalidArgumentError for bad arguments and malformed records (see
        `flowexec/ops/dataset_csv_ops.py` for the messages), NotFoundError for a missing
        file.
    """

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None):
        with name_scope("CSVDataset"):
            files = convert_to_tensor(filenames, dtype=dtypes.string, name="filenames")
            compression = _optional(compression_type, "", dtypes.string, "compression_type")
            buffer = _optional(buffer_size, _DEFAULT_BUFFER, dtypes.int64, "buffer_size")
            head = convert_to_tensor(header, dtype=dtypes.bool, name="header")
            delim = _optional(field_delim, ",", dtypes.string, "field_delim")
            quote = _optional(use_quote_delim, True, dtypes.bool, "use_quote_delim")
            na = _optional(na_value, "", dtypes.string, "na_value")
            select = convert_to_tensor(np.asarray([] if select_cols is None else select_cols,
                                                  dtype=np.int64), name="select_cols")
            defaults = [_default_tensor(d, i) for i, d in enumerate(record_defaults)]
        spec = tuple(TensorSpec([], d.dtype) for d in defaults)
        variant = apply_op("CSVDataset", files, compression, buffer, head, delim, quote, na,
                           select, *defaults, output_types=[s.dtype for s in spec],
                           output_shapes=[s.shape for s in spec])
        super().__init__(variant, spec)


# ----- make_csv_dataset ----------------------------------------------------------------------
def _get_file_names(file_pattern):
    if isinstance(file_pattern, list):
        if not file_pattern:
            raise ValueError("File pattern is empty.")
        names = [n for p in file_pattern for n in glob.glob(p)]
    else:
        names = glob.glob(file_pattern)
    if not names:
        raise ValueError(f"No files match {file_pattern}.")
    return sorted(names)


def _is_valid_int32(text):
    try:
        return np.int32(text) == np.int64(text)
    except (ValueError, OverflowError):
        return False


def _is_valid_int64(text):
    try:
        np.int64(text)
        return True
    except (ValueError, OverflowError):
        return False


def _is_valid_float(text, np_type):
    try:
        with np.errstate(over="ignore"):
            return bool(np_type(text) < np.inf)
    except ValueError:
        return False


_TYPE_LIST = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64, dtypes.string]
_TYPE_CHECKS = [_is_valid_int32, _is_valid_int64, lambda s: _is_valid_float(s, np.float32),
                lambda s: _is_valid_float(s, np.float64), lambda s: True]


def _infer_type(text, na_value, prev_type):
    if text in ("", na_value):
        return prev_type  # a missing field says nothing about the type
    for i, (dtype, check) in enumerate(zip(_TYPE_LIST, _TYPE_CHECKS)):
        if check(text) and (prev_type is None or prev_type in _TYPE_LIST[:i + 1]):
            return dtype
    return prev_type


def _csv_reader(f, field_delim, use_quote_delim):
    return csv.reader(f, delimiter=field_delim,
                      quoting=csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE)


def _infer_column_names(filenames, field_delim, use_quote_delim, open_fn):
    def header(name):
        with open_fn(name) as f:
            try:
                return next(_csv_reader(f, field_delim, use_quote_delim))
            except StopIteration:
                raise ValueError(f"Received StopIteration when reading the header line of "
                                 f"{filenames[0]}.  Empty file?") from None
    names = header(filenames[0])
    for name in filenames[1:]:
        if header(name) != names:
            raise ValueError("Files have different column names in the header row.")
    return names


def _infer_column_defaults(filenames, num_cols, field_delim, use_quote_delim, na_value,
                           header, num_rows_for_inference, select_columns, open_fn):
    if select_columns is None:
        select_columns = range(num_cols)
    inferred = [None] * len(select_columns)
    i = 0
    for name in filenames:
        with open_fn(name) as f:
            reader = _csv_reader(f, field_delim, use_quote_delim)
            if header:
                next(reader, None)
            for row in reader:
                if num_rows_for_inference is not None and i >= num_rows_for_inference:
                    break
                if len(row) != num_cols:
                    raise ValueError("Problem inferring types: CSV row has different number "
                                     "of fields than expected.")
                for j, col in enumerate(select_columns):
                    inferred[j] = _infer_type(row[col], na_value, inferred[j])
                i += 1
        if num_rows_for_inference is not None and i >= num_rows_for_inference:
            break
    inferred = [t or dtypes.string for t in inferred]
    return [constant(["" if t is dtypes.string else 0], dtype=t) for t in inferred]


def _get_sorted_col_indices(select_columns, column_names):
    names = frozenset(column_names)
    indices = []
    for col in select_columns:
        if isinstance(col, int):
            if col < 0 or col >= len(column_names):
                raise ValueError(f"Column index {col} specified in select_columns out of "
                                 f"valid range.")
            indices.append(col)
        elif col not in names:
            raise ValueError(f"Column name {col} specified in select_columns not found in "
                             f"column_names.")
        else:
            indices.append(column_names.index(col))
    if len(indices) != len(set(indices)):
        raise ValueError("select_columns contains duplicate columns")
    return sorted(indices)


def _open_fn(compression_type):
    if compression_type is None or compression_type == "":
        return lambda name: open(name, newline="")  # noqa: SIM115 - used in `with`
    if compression_type == "GZIP":
        return lambda name: io.TextIOWrapper(gzip.open(name, "rb"), newline="")
    if compression_type == "ZLIB":
        raise ValueError(f"compression_type ({compression_type}) is not supported for "
                         f"probing columns")
    raise ValueError(f"compression_type ({compression_type}) is not supported.")


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=AUTOTUNE, num_parallel_reads=1, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False):
    """Batches of CSV records as `(features, label)`: `features` an OrderedDict from column
    name to a batch, `label` the `label_name` column (no label: just `features`).

    Column names come from `column_names` or the header line of the files (all files must
    have the same). Column types come from `column_defaults` (as CsvDataset's
    `record_defaults`) or are inferred from the first `num_rows_for_inference` rows (int32,
    int64, float32, float64, then string; default 0 or ""). The files (a glob or a list of
    globs, sorted) are shuffled with `shuffle`, read `num_parallel_reads` at a time, the
    records shuffled (buffer `shuffle_buffer_size`, `shuffle_seed`) and repeated
    `num_epochs` times (None: forever, and the batch dimension is then static).

    Raises:
        ValueError: no file matches; no header and no `column_names`; duplicate column
            names; a `select_columns` entry not found or repeated; `column_defaults` not as
            long as `select_columns`; `label_name` not a column; rows of different lengths
            while inferring types.

    Example:
        >>> ds = make_csv_dataset("data.csv", batch_size=2, label_name="y", num_epochs=1,
        ...                       shuffle=False)
        >>> ds.output_types  # (OrderedDict([('a', tf.int32), ('b', tf.string)]), tf.float32)
    """
    filenames = _get_file_names(file_pattern)
    dataset = Dataset.from_tensor_slices(filenames)
    if shuffle:
        dataset = dataset.shuffle(len(filenames), shuffle_seed)
    open_fn = _open_fn(compression_type)
    if column_names is None:
        if not header:
            raise ValueError("Cannot infer column names without a header line.")
        column_names = _infer_column_names(filenames, field_delim, use_quote_delim, open_fn)
    column_names = list(column_names)
    if len(column_names) != len(set(column_names)):
        raise ValueError("Cannot have duplicate column names.")
    if select_columns is not None:
        select_columns = _get_sorted_col_indices(select_columns, column_names)
    if column_defaults is not None:
        column_defaults = [constant([], dtype=dtypes.as_dtype(x))
                           if isinstance(x, dtypes.DType) and x in dataset_csv_ops.CSV_TYPES
                           else x for x in column_defaults]
    else:
        column_defaults = _infer_column_defaults(
            filenames, len(column_names), field_delim, use_quote_delim, na_value, header,
            num_rows_for_inference, select_columns, open_fn)
    if select_columns is not None and len(column_defaults) != len(select_columns):
        raise ValueError("If specified, column_defaults and select_columns must have same "
                         "length.")
    if select_columns is not None and len(column_names) > len(select_columns):
        column_names = [column_names[i] for i in select_columns]
    if label_name is not None and label_name not in column_names:
        raise ValueError("`label_name` provided must be one of the columns.")

    def filename_to_dataset(filename):
        ds = CsvDataset(filename, record_defaults=column_defaults, field_delim=field_delim,
                        use_quote_delim=use_quote_delim, na_value=na_value,
                        select_cols=select_columns, header=header,
                        compression_type=compression_type)
        return ds._op("IgnoreErrorsDataset") if ignore_errors else ds

    def map_fn(*columns):
        features = collections.OrderedDict(zip(column_names, columns))
        if label_name is not None:
            label = features.pop(label_name)
            return features, label
        return features

    del sloppy  # the deterministic interleave order is a valid sloppy order
    dataset = dataset.interleave(filename_to_dataset, cycle_length=num_parallel_reads)
    if num_epochs != 1 and shuffle:  # shuffle_and_repeat
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed).repeat(num_epochs)
    elif shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    elif num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    # the batch dimension is static when the input repeats forever (every batch is full)
    dataset = dataset.batch(batch_size, drop_remainder=num_epochs is None)
    dataset = dataset.map(map_fn)
    return dataset.prefetch(prefetch_buffer_size)


__all__ = ["CsvDataset", "make_csv_dataset"]
