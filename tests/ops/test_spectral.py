"""complex_ops and spectral_ops vs numpy, gradients vs finite differences (complex values are
built from, and taken back to, real tensors so the checker sees real inputs and outputs)."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import complex_ops as co
from flowexec.ops import spectral_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _u(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _parts(fn):
    """Real inputs (re, im) -> complex -> fn -> (real, imag) outputs."""
    def build(re, im):
        out = fn(co.complex(re, im))
        return [co.real(out), co.imag(out)]
    return build


def _parts_ref(fn):
    def ref(re, im):
        out = fn(re + 1j * im)
        return [out.real, out.imag]
    return ref


def _ri(out):
    return [co.real(out), co.imag(out)]


CASES = [
    OpCase("complex", co.complex, lambda a, b: a + 1j * b, _u((3, 4), (3, 4)), grad=False),
    OpCase("complex_broadcast_parts", lambda a, b: _ri(co.complex(a, b)),
           lambda a, b: [np.broadcast_to(a, (3, 4)), np.broadcast_to(b, (3, 4))],
           _u((4,), (3, 4))),
    OpCase("real_imag", lambda z: [co.real(z), co.imag(z)], lambda z: [z.real, z.imag],
           [np.array([1 + 2j, -3 - 0.5j], dtype=np.complex64)], grad=False),
    OpCase("angle", co.angle, np.angle, [np.array([1 + 2j, -3 + 0j, -1j])], grad=False),
    OpCase("angle_grad", lambda a, b: co.angle(co.complex(a, b)),
           lambda a, b: np.angle(a + 1j * b), _u((3, 4), (3, 4))),
    OpCase("angle_of_real", co.angle, np.angle, [np.array([-2.0, 0.0, 3.0])], grad=False),
    OpCase("fft", _parts(so.fft), _parts_ref(np.fft.fft), _u((3, 8), (3, 8))),
    OpCase("ifft", _parts(so.ifft), _parts_ref(np.fft.ifft), _u((3, 5), (3, 5))),
    OpCase("fft2d", _parts(so.fft2d), _parts_ref(np.fft.fft2), _u((2, 3, 4), (2, 3, 4))),
    OpCase("ifft2d", _parts(so.ifft2d), _parts_ref(np.fft.ifft2), _u((3, 4), (3, 4))),
    OpCase("fft3d", _parts(so.fft3d), _parts_ref(np.fft.fftn), _u((2, 3, 2), (2, 3, 2))),
    OpCase("ifft3d", _parts(so.ifft3d), _parts_ref(np.fft.ifftn), _u((2, 2, 3), (2, 2, 3))),
    OpCase("rfft", lambda x: _ri(so.rfft(x)),
           lambda x: [np.fft.rfft(x).real, np.fft.rfft(x).imag], _u((3, 8))),
    OpCase("rfft_odd", lambda x: _ri(so.rfft(x)),
           lambda x: [np.fft.rfft(x).real, np.fft.rfft(x).imag], _u((3, 7))),
    OpCase("rfft_padded", lambda x: _ri(so.rfft(x, [10])),
           lambda x: [np.fft.rfft(x, 10).real, np.fft.rfft(x, 10).imag], _u((2, 7))),
    OpCase("rfft_cropped", lambda x: _ri(so.rfft(x, [5])),
           lambda x: [np.fft.rfft(x, 5).real, np.fft.rfft(x, 5).imag], _u((2, 7))),
    OpCase("rfft2d", lambda x: _ri(so.rfft2d(x)),
           lambda x: [np.fft.rfft2(x).real, np.fft.rfft2(x).imag], _u((2, 3, 4))),
    OpCase("rfft3d", lambda x: _ri(so.rfft3d(x, [2, 3, 4])),
           lambda x: [np.fft.rfftn(x, (2, 3, 4), axes=(0, 1, 2)).real,
                      np.fft.rfftn(x, (2, 3, 4), axes=(0, 1, 2)).imag],
           _u((2, 3, 5))),
    OpCase("irfft", lambda a, b: so.irfft(co.complex(a, b)),
           lambda a, b: np.fft.irfft(a + 1j * b), _u((3, 5), (3, 5))),
    OpCase("irfft_odd_length", lambda a, b: so.irfft(co.complex(a, b), [7]),
           lambda a, b: np.fft.irfft(a + 1j * b, 7), _u((3, 4), (3, 4))),
    OpCase("irfft_cropped_input", lambda a, b: so.irfft(co.complex(a, b), [6]),
           lambda a, b: np.fft.irfft(a + 1j * b, 6), _u((2, 6), (2, 6))),
    OpCase("irfft2d", lambda a, b: so.irfft2d(co.complex(a, b)),
           lambda a, b: np.fft.irfft2(a + 1j * b), _u((3, 4), (3, 4))),
    OpCase("irfft3d", lambda a, b: so.irfft3d(co.complex(a, b), [2, 2, 4]),
           lambda a, b: np.fft.irfftn(a + 1j * b, (2, 2, 4), axes=(0, 1, 2)), _u((2, 2, 3), (2, 2, 3))),
    OpCase("rfft_fed_shapes", lambda x: _ri(so.rfft(x)),
           lambda x: [np.fft.rfft(x).real, np.fft.rfft(x).imag], _u((3, 6)), feed=True,
           grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_dtypes_and_shapes_as_tf():
    x = tf.constant(np.ones((2, 8), np.float32))
    r = so.rfft(x)
    assert r.dtype == tf.complex64 and r.shape.as_list() == [2, 5]
    assert so.irfft(r).dtype == tf.float32 and so.irfft(r).shape.as_list() == [2, 8]
    assert co.complex(1.0, 2.0).dtype == tf.complex64
    assert co.real(tf.constant([1.0 + 1j], dtype=tf.complex128)).dtype == tf.float64
    with pytest.raises(TypeError):
        so.fft(x)
    with pytest.raises(TypeError):
        co.complex(tf.constant(1.0), tf.constant(1.0, dtype=tf.float64))
    with pytest.raises(ValueError, match="at least rank 2"):
        so.fft2d(tf.constant([1j]))
    y = tf.constant([1.0, -2.0])
    assert co.real(y) is y
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(co.imag(y)), [0.0, 0.0])
