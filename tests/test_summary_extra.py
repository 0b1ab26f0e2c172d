"""tensor_summary, text, image and audio summaries: the serialized protos TensorBoard reads."""

import io
import wave
import zlib

import numpy as np
import pytest

import flowexec as tf


def _summary(op, feed=None):
    with tf.Session() as sess:
        return tf.Summary.FromString(sess.run(op, feed))


def test_tensor_and_text_summaries():
    with tf.Graph().as_default():
        t = tf.summary.tensor_summary("t", tf.constant([[1.0, 2.0]]), summary_description="d")
        x = tf.summary.text("notes", tf.constant(["hello", "world"]))
        s, s2 = _summary(t), _summary(x)
        assert t in tf.get_collection(tf.GraphKeys.SUMMARIES)
    v = s.value[0]
    assert v.tag == "t" and v.metadata.summary_description == "d"
    assert tf.make_ndarray(v.tensor).tolist() == [[1.0, 2.0]]
    assert s2.value[0].metadata.plugin_data.plugin_name == "text"
    assert tf.make_ndarray(s2.value[0].tensor).tolist() == [b"hello", b"world"]
    with pytest.raises(ValueError, match="string"):
        tf.summary.text("bad", tf.constant([1.0]))


def _png_pixels(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    channels = {0: 1, 2: 3, 6: 4}[header[9]]
    raw = zlib.decompress(idat)
    rows = [raw[i * (w * channels + 1) + 1:(i + 1) * (w * channels + 1)] for i in range(h)]
    return np.frombuffer(b"".join(rows), np.uint8).reshape(h, w, channels)


def test_image_summary_encodes_png_and_scales_floats():
    imgs = np.zeros((4, 2, 3, 3), np.uint8)
    imgs[1, 0, 0] = [255, 10, 0]
    floats = np.array([[[[0.0], [0.5]], [[1.0], [0.25]]]], np.float32)
    with tf.Graph().as_default():
        s = _summary(tf.summary.image("img", tf.constant(imgs), max_outputs=2))
        f = _summary(tf.summary.image("f", tf.constant(floats)))
    assert [v.tag for v in s.value] == ["img/image/0", "img/image/1"]
    im = s.value[1].image
    assert (im.height, im.width, im.colorspace) == (2, 3, 3)
    np.testing.assert_array_equal(_png_pixels(im.encoded_image_string), imgs[1])
    assert f.value[0].tag == "f/image"
    np.testing.assert_array_equal(_png_pixels(f.value[0].image.encoded_image_string)[..., 0],
                                  [[0, 128], [255, 64]])


def test_audio_summary_encodes_wav():
    clip = np.stack([np.sin(np.linspace(0, 6, 100)), np.zeros(100)]).astype(np.float32)
    with tf.Graph().as_default():
        s = _summary(tf.summary.audio("a", tf.constant(clip), 8000, max_outputs=1))
    a = s.value[0].audio
    assert s.value[0].tag == "a/audio" and a.sample_rate == 8000 and a.length_frames == 100
    with wave.open(io.BytesIO(a.encoded_audio_string)) as w:
        assert w.getframerate() == 8000 and w.getnchannels() == 1
        pcm = np.frombuffer(w.readframes(100), "<i2")
    np.testing.assert_allclose(pcm / 32767.0, clip[0], atol=1e-4)


def test_v2_helpers_in_a_graph():
    with tf.Graph().as_default():
        assert tf.summary.all_v2_summary_ops() == []
        tf.summary.initialize()  # nothing to initialize
