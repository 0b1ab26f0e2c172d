"""`tf.python_io` (also `tf.io`): writing and reading TFRecord files from Python.

The framing is TF's (see `flowexec/ops/record_format.py`); files written here are read by
`tf.data.TFRecordDataset` and by TensorFlow, and the other way round.

Example:
    >>> with TFRecordWriter("/tmp/x.tfrecord") as w:
    ...     w.write(b"hello")
    >>> list(tf_record_iterator("/tmp/x.tfrecord"))
    [b'hello']
"""

import gzip
import io
import zlib

from flowexec.framework import errors
from flowexec.ops import record_format


class TFRecordCompressionType:
    """TF's compression kinds for TFRecord files."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_NAMES = {TFRecordCompressionType.NONE: "", TFRecordCompressionType.ZLIB: "ZLIB",
          TFRecordCompressionType.GZIP: "GZIP"}


class TFRecordOptions:
    """Options for a TFRecord file: `compression_type` (a TFRecordCompressionType or "",
    "ZLIB", "GZIP")."""

    compression_type_map = _NAMES

    def __init__(self, compression_type=None):
        if compression_type in _NAMES:
            compression_type = _NAMES[compression_type]
        self.compression_type = compression_type or ""
        if self.compression_type not in ("", "ZLIB", "GZIP"):
            raise ValueError(f"Unsupported compression_type: {compression_type!r}")

    @classmethod
    def get_compression_type_string(cls, options):
        if options is None:
            return ""
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        return TFRecordOptions(options).compression_type


class TFRecordWriter:
    """Writes records (bytes) to a TFRecord file; a context manager."""

    def __init__(self, path, options=None):
        self._path = path
        self._compression = TFRecordOptions.get_compression_type_string(options)
        self._buffer = io.BytesIO() if self._compression == "ZLIB" else None
        if self._compression == "GZIP":
            self._file = gzip.open(path, "wb")  # noqa: SIM115 - closed by close()
        else:
            self._file = open(path, "wb")  # noqa: SIM115 - closed by close()

    def write(self, record):
        """Appends one record (bytes, or str encoded as UTF-8)."""
        if isinstance(record, str):
            record = record.encode("utf-8")
        out = self._buffer if self._buffer is not None else self._file
        out.write(record_format.encode(bytes(record)))

    def flush(self):
        self._file.flush()

    def close(self):
        if self._file.closed:
            return
        if self._buffer is not None:
            self._file.write(zlib.compress(self._buffer.getvalue()))
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def tf_record_iterator(path, options=None):
    """The records of a TFRecord file, as bytes.

    Raises:
        NotFoundError: no such file. DataLossError: a corrupt record.
    """
    f = record_format.open_read(path, TFRecordOptions.get_compression_type_string(options))
    with f:
        try:
            yield from record_format.read_records(f, path)
        except record_format.CorruptRecord as e:
            raise errors.DataLossError(None, None, str(e)) from None


__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter",
           "tf_record_iterator"]
