"""fftnd / ifftnd / rfftnd / irfftnd over arbitrary axes vs numpy, with gradients."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import complex_ops as co
from flowexec.ops import spectral_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _u(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _ri(z):
    return [co.real(z), co.imag(z)]


def _c(fn):
    return lambda a, b: _ri(fn(co.complex(a, b)))


def _cref(fn):
    return lambda a, b: [fn(a + 1j * b).real, fn(a + 1j * b).imag]


CASES = [
    OpCase("fftnd_axes", _c(lambda z: so.fftnd(z, axes=[0, 2])),
           _cref(lambda z: np.fft.fftn(z, axes=(0, 2))), _u((2, 3, 4), (2, 3, 4))),
    OpCase("fftnd_all_4d", _c(so.fftnd), _cref(np.fft.fftn), _u((2, 2, 3, 2), (2, 2, 3, 2))),
    OpCase("fftnd_padded_ortho", _c(lambda z: so.fftnd(z, [4, 2], axes=[1, 0], norm="ortho")),
           _cref(lambda z: np.fft.fftn(z, (4, 2), axes=(1, 0), norm="ortho")),
           _u((3, 3), (3, 3))),
    OpCase("ifftnd", _c(lambda z: so.ifftnd(z, axes=[-1, 0])),
           _cref(lambda z: np.fft.ifftn(z, axes=(-1, 0))), _u((3, 2, 4), (3, 2, 4))),
    OpCase("rfftnd", lambda x: _ri(so.rfftnd(x, axes=[0, 1])),
           lambda x: [np.fft.rfftn(x, axes=(0, 1)).real, np.fft.rfftn(x, axes=(0, 1)).imag],
           _u((3, 4, 2))),
    OpCase("rfftnd_lengths_forward", lambda x: _ri(so.rfftnd(x, [2, 6], norm="forward")),
           lambda x: [np.fft.rfftn(x, (2, 6), axes=(-2, -1), norm="forward").real,
                      np.fft.rfftn(x, (2, 6), axes=(-2, -1), norm="forward").imag],
           _u((3, 5))),
    OpCase("irfftnd", lambda a, b: so.irfftnd(co.complex(a, b), axes=[0, 2]),
           lambda a, b: np.fft.irfftn(a + 1j * b, axes=(0, 2)), _u((2, 3, 3), (2, 3, 3))),
    OpCase("irfftnd_length", lambda a, b: so.irfftnd(co.complex(a, b), [3, 5]),
           lambda a, b: np.fft.irfftn(a + 1j * b, (3, 5), axes=(-2, -1)), _u((3, 3), (3, 3))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def test_errors_and_names():
    with pytest.raises(TypeError):
        so.fftnd(tf.constant([1.0]))
    with pytest.raises(ValueError, match="unique"):
        so.fftnd(tf.constant([[1j]]), axes=[0, 0])
    with pytest.raises(ValueError, match="norm"):
        so.fftnd(tf.constant([1j]), norm="both")
    assert tf.fftnd is tf.signal.fftnd is so.fftnd and tf.irfftnd is so.irfftnd
