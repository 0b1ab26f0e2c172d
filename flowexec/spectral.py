"""`tf.spectral`: TF 1.x's discrete Fourier and cosine transforms (the same functions as
`tf.signal`'s).

Example:
    >>> import flowexec as tf
    >>> tf.spectral.rfft(tf.constant([1.0, 0.0, 0.0, 0.0]))  # [1+0j, 1+0j, 1+0j]
"""

from flowexec.ops.signal_dct import dct, idct  # noqa: F401
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

__all__ = ["dct", "fft", "fft2d", "fft3d", "idct", "ifft", "ifft2d", "ifft3d", "irfft",
           "irfft2d", "irfft3d", "rfft", "rfft2d", "rfft3d"]
