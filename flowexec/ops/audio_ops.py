"""audio_ops: TF's WAV codec — DecodeWav and EncodeWav (`tf.audio.decode_wav`,
`tf.audio.encode_wav`), 16-bit PCM only, as TF's wav_io reads and writes it.

- DecodeWav parses RIFF/WAVE with a 16- or 18-byte "fmt " chunk and one "data" chunk (other
  chunks are skipped); samples become float32 `int16 / 32768` in [-1, 1), shaped [samples,
  channels]. `desired_channels` keeps the first channels or repeats the last one;
  `desired_samples` cuts or pads with zeros. Header errors are InvalidArgumentError with
  TF's messages ("Header mismatch: Expected RIFF but found RIFX", "Can only read 16-bit WAV
  files, but received 8").
- EncodeWav scales by 32768, rounds and saturates to int16 (TF's FloatToInt16Sample),
  writing the canonical 44-byte header, so `decode_wav(encode_wav(x))` is `x` rounded to
  1/32768 for `x` in [-1, 1).

Pure Python/numpy (no optional library). Host-only, stateless, not differentiable.
"""

import struct

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["decode_wav", "encode_wav"]

_HOST = ("CPU",)
_INT32_MAX = 2 ** 31 - 1


def _invalid(message):
    return InvalidArgumentError(None, None, message)


class _Reader:
    """TF wav_io's offset reader: every read past the end is 'Data too short ...'."""

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def advance(self, n):
        if self.offset > len(self.data):
            raise _invalid(f"Initial offset is outside data range: {self.offset}")
        new = self.offset + n
        if new > len(self.data):
            raise _invalid("Data too short when trying to read string")
        old, self.offset = self.offset, new
        return old

    def string(self, n):
        start = self.advance(n)
        return self.data[start:start + n]

    def value(self, fmt):
        start = self.advance(struct.calcsize(fmt))
        return struct.unpack_from(fmt, self.data, start)[0]

    def expect(self, text):
        found = self.string(len(text))
        if found != text:
            raise _invalid(f"Header mismatch: Expected {text.decode('latin-1')} but found "
                           f"{found.decode('latin-1')}")


def _parse_wav(data):
    """(float32 [samples, channels], sample rate) of 16-bit PCM WAV bytes."""
    r = _Reader(data)
    r.expect(b"RIFF")
    r.value("<I")
    r.expect(b"WAVE")
    r.expect(b"fmt ")
    fmt_size = r.value("<I")
    if fmt_size not in (16, 18):
        raise _invalid(f"Bad format chunk size for WAV: Expected 16 or 18, but got{fmt_size}")
    audio_format = r.value("<H")
    if audio_format != 1:
        raise _invalid(f"Bad audio format for WAV: Expected 1 (PCM), but got{audio_format}")
    channels = r.value("<H")
    if channels < 1:
        raise _invalid(f"Bad number of channels for WAV: Expected at least 1, but got "
                       f"{channels}")
    rate = r.value("<I")
    bytes_per_second = r.value("<I")
    block = r.value("<H")
    bits = r.value("<H")
    if bits != 16:
        raise _invalid(f"Can only read 16-bit WAV files, but received {bits}")
    expected_block = (bits * channels + 7) // 8
    if block != expected_block:
        raise _invalid(f"Bad bytes per sample in WAV header: Expected {expected_block} but got "
                       f"{block}")
    if bytes_per_second != block * rate:
        raise _invalid(f"Bad bytes per second in WAV header: Expected {block * rate} but got "
                       f"{bytes_per_second} (sample_rate={rate}, bytes_per_sample={block})")
    if fmt_size == 18:
        r.offset += 2
    samples = None
    while r.offset < len(data):
        chunk = r.string(4)
        size = r.value("<I")
        if size > _INT32_MAX:
            raise _invalid(f"WAV data chunk '{chunk.decode('latin-1')}' is too large: {size} "
                           f"bytes, but the limit is {_INT32_MAX}")
        if chunk == b"data":
            if samples is not None:
                raise _invalid("More than one data chunk found in WAV")
            count = size // block
            start = r.advance(2 * count * channels)
            pcm = np.frombuffer(data, "<i2", count * channels, start)
            samples = (pcm.astype(np.float32) * np.float32(1.0 / 32768)).reshape(count,
                                                                                 channels)
        else:
            r.offset += size
    if samples is None:
        raise _invalid("No data chunk found in WAV")
    return samples, rate


def _decode_wav_infer(op):
    t = op.inputs[0]
    if t.dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), 0)
    if t.shape.ndims is not None and t.shape.ndims != 0:
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {t.shape.ndims}")
    ch = op.attrs.get("desired_channels", -1)
    n = op.attrs.get("desired_samples", -1)
    return [(dtypes.float32, TensorShape([n if n > 0 else None, ch if ch > 0 else None])),
            (dtypes.int32, TensorShape([]))]


@defop("DecodeWav", infer=_decode_wav_infer, device_types=_HOST)
def _decode_wav(xp, contents, *, desired_channels=-1, desired_samples=-1):
    v = np.asarray(contents, dtype=object).reshape(-1)[0]
    data = v if isinstance(v, bytes) else str(v).encode("utf-8")
    samples, rate = _parse_wav(data)
    n, c = samples.shape
    out_n = n if desired_samples == -1 else int(desired_samples)
    out_c = c if desired_channels == -1 else int(desired_channels)
    if out_n < 0 or out_c <= 0:
        raise _invalid(f"Bad desired_channels {desired_channels} or desired_samples "
                       f"{desired_samples}")
    source = np.minimum(np.arange(out_c), c - 1)
    out = np.zeros((out_n, out_c), np.float32)
    keep = min(n, out_n)
    out[:keep] = samples[:keep][:, source]
    return out, np.asarray(rate, np.int32)


_decode_wav.not_differentiable()


def _encode_wav_infer(op):
    shape_fns.check_dtype_in(op, (dtypes.float32,), 0)
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    a, r = op.inputs
    if a.shape.ndims is not None and a.shape.ndims != 2:
        raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {a.shape.ndims}")
    if r.shape.ndims is not None and r.shape.ndims != 0:
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {r.shape.ndims}")
    return [(dtypes.string, TensorShape([]))]


def _wav_bytes(audio, rate):
    n, c = audio.shape
    pcm = np.clip(np.round(audio.astype(np.float32) * np.float32(32768)), -32768, 32767)
    body = pcm.astype("<i2").tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(body), b"WAVE", b"fmt ", 16,
                         1, c, rate, rate * c * 2, c * 2, 16, b"data", len(body))
    return header + body


@defop("EncodeWav", infer=_encode_wav_infer, device_types=_HOST)
def _encode_wav(xp, audio, sample_rate):
    audio = np.asarray(audio)
    if audio.ndim != 2:
        raise _invalid(f"audio must be 2-dimensional{list(audio.shape)}")
    rate = int(np.asarray(sample_rate))
    if audio.shape[1] < 1 or audio.shape[1] > 65535:
        raise _invalid(f"Channel count {audio.shape[1]} must be in [1, 65535]")
    if rate <= 0:
        raise _invalid(f"sample_rate must be positive, got {rate}")
    out = np.empty((), dtype=object)
    out[()] = _wav_bytes(audio, rate)
    return out


_encode_wav.not_differentiable()


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """Decodes a 16-bit PCM WAV file into float audio (op type DecodeWav).

    Args:
        contents: a scalar string Tensor, the file's bytes.
        desired_channels: -1 (the file's) or a channel count: extra channels repeat the
            file's last one, fewer keep the first ones.
        desired_samples: -1 (all) or a sample count: cut, or padded with zeros.
        name: the op name.

    Returns:
        `(audio, sample_rate)`: a float32 Tensor [samples, channels] in [-1, 1) and an int32
        scalar.

    Raises:
        InvalidArgumentError: (at run time) a bad header ("Header mismatch: Expected RIFF but
            found RIFX"), not 16-bit PCM, no data chunk, truncated data.

    Example:
        >>> audio, rate = tf.audio.decode_wav(tf.read_file("speech.wav"), desired_channels=1)
    """
    with name_scope(name, "DecodeWav", [contents]) as scope:
        c = convert_to_tensor(contents, dtype=dtypes.string, name="contents")
        return apply_op("DecodeWav", c, name=scope, desired_channels=int(desired_channels),
                        desired_samples=int(desired_samples))


def encode_wav(audio, sample_rate, name=None):
    """Encodes float audio [samples, channels] as a 16-bit PCM WAV file (op type EncodeWav).

    Args:
        audio: a float32 Tensor [samples, channels]; values outside [-1, 1) saturate.
        sample_rate: an int32 scalar, samples per second.
        name: the op name.

    Returns:
        A scalar string Tensor, the file's bytes.

    Raises:
        ValueError: `audio` is not rank 2 (at build time, when known).
        InvalidArgumentError: (at run time) a non-positive sample rate.

    Example:
        >>> data = tf.audio.encode_wav(tf.zeros([16000, 1]), 16000)
    """
    with name_scope(name, "EncodeWav", [audio, sample_rate]) as scope:
        a = convert_to_tensor(audio, dtype=dtypes.float32, name="audio")
        r = convert_to_tensor(sample_rate, dtype=dtypes.int32, name="sample_rate")
        return apply_op("EncodeWav", a, r, name=scope)
