"""`tf.audio`: WAV decoding and encoding (flowexec/ops/audio_ops.py), 16-bit PCM as TF's.

Example:
    >>> import flowexec as tf
    >>> audio, rate = tf.audio.decode_wav(tf.read_file("speech.wav"), desired_channels=1)
"""

from flowexec.ops.audio_ops import decode_wav, encode_wav

__all__ = ["decode_wav", "encode_wav"]
