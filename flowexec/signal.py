"""`tf.signal`: the Fourier transforms of TF's signal namespace (see `tf.spectral`).

Windows, framing, STFT and mel/MFCC features of TF's `tf.signal` are not part of flowexec.

Example:
    >>> import flowexec as tf
    >>> tf.signal.fft(tf.constant([1j, 0j]))  # [1j, 1j]
"""

from flowexec.spectral import *  # noqa: F401,F403
from flowexec.spectral import __all__ as _SPECTRAL
from flowexec.ops.spectral_ops import fftnd, ifftnd, irfftnd, rfftnd  # noqa: F401,E402

__all__ = list(_SPECTRAL) + ["fftnd", "ifftnd", "irfftnd", "rfftnd"]
