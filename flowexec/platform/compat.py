"""`tf.compat`: text/bytes conversions, the TF 1.x dimension helpers, forward-compatibility
checks, and `tf.compat.v1` (flowexec itself is the TF 1.x API; there is no `v2`)."""

import contextlib
import datetime
import numbers
import os

import numpy as np

from flowexec.framework.tensor_shape import dimension_at_index, dimension_value  # noqa: F401

bytes_or_text_types = (bytes, str)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)
complex_types = (numbers.Complex, np.number)

# The date up to which flowexec implements TF's forward-compatible graph changes (TF 1.15's).
_FORWARD_COMPATIBILITY_HORIZON = datetime.date(2019, 10, 15)
_horizon_override = []


def as_bytes(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as bytes (str is encoded); TypeError for anything else."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """`bytes_or_text` as str (bytes are decoded); TypeError for anything else."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value):
    """`str(value)`, decoding bytes as `as_str` does."""
    if isinstance(value, bytes):
        return as_str(value)
    return str(value)


def path_to_str(path):
    """A path-like object as str (other values unchanged)."""
    if hasattr(path, "__fspath__"):
        path = as_str_any(os.fspath(path))
    return path


def forward_compatible(year, month, day):
    """Whether graphs may use behaviour introduced after (year, month, day): true once the
    forward-compatibility horizon has passed that date."""
    horizon = _horizon_override[-1] if _horizon_override else _FORWARD_COMPATIBILITY_HORIZON
    return horizon > datetime.date(year, month, day)


@contextlib.contextmanager
def forward_compatibility_horizon(year, month, day):
    """Within the block, `forward_compatible` sees the horizon (year, month, day)."""
    _horizon_override.append(datetime.date(year, month, day))
    try:
        yield
    finally:
        _horizon_override.pop()


def __getattr__(name):
    if name == "v1":
        import flowexec

        return flowexec
    raise AttributeError(f"module 'flowexec.compat' has no attribute {name!r}")

