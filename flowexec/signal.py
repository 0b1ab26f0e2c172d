"""`tf.signal`: TF's signal processing namespace — the Fourier transforms (see `tf.spectral`),
the DCTs and MDCT, windows, framing and overlap-add, the STFT and its inverse, mel filter banks
and MFCCs, and fftshift. Every function is a composition of flowexec's registered ops (in
`flowexec/ops/signal_*.py`), so each is differentiable where TF's is and takes tensors whose
shapes are known only at run time.

Example:
    >>> import flowexec as tf
    >>> spec = tf.signal.stft(tf.zeros([1000]), frame_length=400, frame_step=160)  # [4, 257]
    >>> tf.signal.fft(tf.constant([1j, 0j]))  # [1j, 1j]
"""

from flowexec.spectral import *  # noqa: F401,F403
from flowexec.spectral import __all__ as _SPECTRAL
from flowexec.ops.spectral_ops import fftnd, ifftnd, irfftnd, rfftnd  # noqa: F401,E402
from flowexec.ops.signal_dct import inverse_mdct, mdct  # noqa: F401,E402
from flowexec.ops.signal_framing import frame, overlap_and_add  # noqa: F401,E402
from flowexec.ops.signal_mel import (  # noqa: F401,E402
    linear_to_mel_weight_matrix,
    mfccs_from_log_mel_spectrograms,
)
from flowexec.ops.signal_shift import fftshift, ifftshift  # noqa: F401,E402
from flowexec.ops.signal_stft import (  # noqa: F401,E402
    inverse_stft,
    inverse_stft_window_fn,
    stft,
)
from flowexec.ops.signal_windows import (  # noqa: F401,E402
    hamming_window,
    hann_window,
    kaiser_bessel_derived_window,
    kaiser_window,
    vorbis_window,
)

__all__ = sorted(list(_SPECTRAL) + [
    "fftnd", "ifftnd", "irfftnd", "rfftnd", "fftshift", "ifftshift", "frame",
    "overlap_and_add", "hamming_window", "hann_window", "kaiser_bessel_derived_window",
    "kaiser_window", "vorbis_window", "stft", "inverse_stft", "inverse_stft_window_fn",
    "linear_to_mel_weight_matrix", "mfccs_from_log_mel_spectrograms", "mdct", "inverse_mdct"])
