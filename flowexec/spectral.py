"""`tf.spectral`: TF 1.x's discrete Fourier transforms (the same functions as `tf.signal`'s).

Example:
    >>> import flowexec as tf
    >>> tf.spectral.rfft(tf.constant([1.0, 0.0, 0.0, 0.0]))  # [1+0j, 1+0j, 1+0j]
"""

from flowexec.ops.spectral_ops import (  # noqa: F401
    fft,
    fft2d,
    fft3d,
    ifft,
    ifft2d,
    ifft3d,
    irfft,
    irfft2d,
    irfft3d,
    rfft,
    rfft2d,
    rfft3d,
)

__all__ = ["fft", "fft2d", "fft3d", "ifft", "ifft2d", "ifft3d", "irfft", "irfft2d", "irfft3d",
           "rfft", "rfft2d", "rfft3d"]
