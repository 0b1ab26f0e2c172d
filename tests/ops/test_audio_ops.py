"""tf.audio.decode_wav / encode_wav against TensorFlow's recorded outputs, bytes and error
messages (scripts/make_tf_image_codec_fixtures.py wrote tests/data/tf1/image_codec/), plus
round trips, channel and sample-count adjustment, and typed errors that leave the session
usable. No optional library is involved."""

import numpy as np
import pytest

import flowexec as tf
import flowexec.audio as tf_audio
from flowexec.framework import errors
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.test_image_codecs import FIXTURE_CASES, _run, file_bytes, tf_input, tf_output

_NAMES = [n for n, c in FIXTURE_CASES.items() if c["fn"] in ("decode_wav", "encode_wav")]


def _build(case):
    if case["fn"] == "encode_wav":
        return tf_audio.encode_wav(tf_input(case["input"]), **case["kwargs"])
    return tf_audio.decode_wav(tf.constant(file_bytes(case["file"])), **case["kwargs"])


@pytest.mark.parametrize("name", _NAMES)
def test_equals_tf(name):
    case = FIXTURE_CASES[name]
    if case["error"] is not None:
        kind, message = case["error"]
        with pytest.raises(getattr(errors, kind)) as info:
            _run(lambda: _build(case))
        assert info.value.message.split("\n\t [[")[0] == message
        return
    got = _run(lambda: _build(case))
    if case["fn"] == "encode_wav":
        assert got == tf_output(case).tobytes()
        return
    audio, rate = got
    np.testing.assert_array_equal(audio, tf_output(case, 0))
    assert audio.dtype == np.float32
    assert rate == tf_output(case, 1) and np.asarray(rate).dtype == np.int32


CASES = [
    OpCase("decode_wav", lambda s: list(tf_audio.decode_wav(s, desired_channels=3)),
           lambda s: [tf_output(FIXTURE_CASES["wav_stereo_ch3_n-1"], 0), np.int32(16000)],
           [np.array(file_bytes("wav_stereo"), dtype=object)], grad=False, atol=0, rtol=0),
    OpCase("encode_wav_round_trip",
           lambda x: tf_audio.decode_wav(tf_audio.encode_wav(x, 8000))[0],
           lambda x: np.clip(np.round(x * 32768), -32768, 32767).astype(np.float32) / 32768,
           [np.linspace(-1.2, 1.2, 30, dtype=np.float32).reshape(15, 2)], grad=False,
           atol=0, rtol=0),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_matches_oracle(case):
    check_forward(case)


def test_channels_and_samples_adjust():
    stereo = tf_output(FIXTURE_CASES["wav_stereo"], 0)
    with tf.Graph().as_default():
        s = tf.constant(file_bytes("wav_stereo"))
        outs = [tf_audio.decode_wav(s, desired_channels=1)[0],
                tf_audio.decode_wav(s, desired_channels=4, desired_samples=50)[0]]
        assert outs[1].shape.as_list() == [50, 4]
        assert outs[0].shape.as_list() == [None, 1]
        with tf.Session() as sess:
            mono, wide = sess.run(outs)
    np.testing.assert_array_equal(mono, stereo[:, :1])
    np.testing.assert_array_equal(wide[:40, :2], stereo)
    np.testing.assert_array_equal(wide[:40, 3], stereo[:, 1])
    assert not wide[40:].any()


def test_static_shapes():
    with tf.Graph().as_default():
        audio, rate = tf_audio.decode_wav(tf.placeholder(tf.string, []))
        assert audio.shape.as_list() == [None, None] and audio.dtype == tf.float32
        assert rate.shape.as_list() == [] and rate.dtype == tf.int32
        with pytest.raises(ValueError, match="rank 2"):
            tf_audio.encode_wav(tf.zeros([3]), 8000)
        with pytest.raises(ValueError, match="rank 0"):
            tf_audio.decode_wav(tf.placeholder(tf.string, [2]))


def test_bad_header_names_op_and_session_stays_usable():
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [])
        audio, _ = tf_audio.decode_wav(s, name="wav")
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError,
                               match="Header mismatch: Expected RIFF") as info:
                sess.run(audio, {s: b"RIFX" + file_bytes("wav_mono")[4:]})
            assert info.value.op is not None and info.value.op.name == "wav"
            np.testing.assert_array_equal(sess.run(audio, {s: file_bytes("wav_mono")}),
                                          tf_output(FIXTURE_CASES["wav_mono"], 0))
