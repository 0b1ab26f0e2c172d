"""`tf.signal`: the Fourier transforms of TF's signal namespace (see `tf.spectral`).

Windows, framing, STFT and mel/MFCC features of TF's `tf.signal` are not part of flowexec.

Example:
    >>> import flowexec as tf
    >>> tf.signal.fft(tf.constant([1j, 0j]))  # [1j, 1j]
"""

from flowexec.spectral import *  # noqa: F401,F403
from flowexec.spectral import __all__  # noqa: F401
