"""File-reading datasets: `TextLineDataset`, `TFRecordDataset`, `FixedLengthRecordDataset`.

Each element is a scalar string: a line without its terminator, a TFRecord's payload
(checked against its CRC32C, as TF does), or a fixed-length record. `filenames` is a
string or a vector of strings, read in order; with `num_parallel_reads`, the files are
interleaved (cycle `num_parallel_reads`, one element per file at a time), as TF does.
`compression_type` is "", "ZLIB" or "GZIP". A missing file is a NotFoundError, a corrupt
record a DataLossError, each raised by the `get_next` that reaches it.

Example:
    >>> lines = TextLineDataset(["a.txt", "b.txt"]).filter(lambda l: tf.size(
    ...     tf.string_split([l]).values) > 0)
"""

from flowexec.data.dataset import Dataset
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import TensorSpec
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op

_DEFAULT_BUFFER = 256 * 1024


def _string_input(value, name):
    return convert_to_tensor("" if value is None else value, dtype=dtypes.string, name=name)


def _int64_input(value, default, name):
    return convert_to_tensor(default if value is None else value, dtype=dtypes.int64,
                             name=name)


class _FileDataset(Dataset):
    """A dataset of scalar strings read from files (one op, or an interleave of one op per
    file)."""

    def __init__(self, filenames, num_parallel_reads, make_op):
        if num_parallel_reads is None:
            with name_scope(type(self).__name__):
                files = convert_to_tensor(filenames, dtype=dtypes.string, name="filenames")
            variant = make_op(files)
            super().__init__(variant, TensorSpec([], dtypes.string))
            return
        files = Dataset.from_tensor_slices(convert_to_tensor(filenames, dtype=dtypes.string))
        single = files.interleave(lambda f: Dataset(make_op(f), TensorSpec([],
                                                                           dtypes.string)),
                                  cycle_length=num_parallel_reads, block_length=1)
        super().__init__(single._variant_tensor, single._element_spec, single._options)


class TextLineDataset(_FileDataset):
    """The lines of text files (without "\\n" or "\\r\\n")."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        def make(files):
            with name_scope("TextLineDataset"):
                c = _string_input(compression_type, "compression_type")
                b = _int64_input(buffer_size, _DEFAULT_BUFFER, "buffer_size")
            return apply_op("TextLineDataset", files, c, b)
        super().__init__(filenames, num_parallel_reads, make)


class TFRecordDataset(_FileDataset):
    """The records of TFRecord files (`tf.python_io.TFRecordWriter` writes them)."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        def make(files):
            with name_scope("TFRecordDataset"):
                c = _string_input(compression_type, "compression_type")
                b = _int64_input(buffer_size, _DEFAULT_BUFFER, "buffer_size")
            return apply_op("TFRecordDataset", files, c, b)
        super().__init__(filenames, num_parallel_reads, make)


class FixedLengthRecordDataset(_FileDataset):
    """Records of `record_bytes` bytes, after `header_bytes` and before `footer_bytes`."""

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None):
        def make(files):
            with name_scope("FixedLengthRecordDataset"):
                h = _int64_input(header_bytes, 0, "header_bytes")
                r = _int64_input(record_bytes, 0, "record_bytes")
                f = _int64_input(footer_bytes, 0, "footer_bytes")
                b = _int64_input(buffer_size, _DEFAULT_BUFFER, "buffer_size")
                c = _string_input(compression_type, "compression_type")
            return apply_op("FixedLengthRecordDatasetV2", files, h, r, f, b, c)
        super().__init__(filenames, num_parallel_reads, make)
