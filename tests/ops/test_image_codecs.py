"""The image codecs (tf.image.decode_jpeg, encode_jpeg, decode_png, ..., decode_image) against
TensorFlow's recorded outputs, bytes and error messages (scripts/make_tf_image_codec_fixtures.py
wrote tests/data/tf1/image_codec/), plus round trips, channel conversions, crop windows,
animated GIFs, typed errors that name the op, and the message without Pillow.

JPEG decode is compared bit for bit except where no Pillow switch reproduces TF's libjpeg
setting (INTEGER_ACCURATE without fancy upscaling on chroma-subsampled files): there the
measured difference is bounded (`JPEG_APPROX`).
"""

import builtins
import json
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import errors
from tests.ops.harness import OpCase, check_forward, ids

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_codec")
with open(os.path.join(DATA, "cases.json")) as _f:
    _META = json.load(_f)
_ARR = np.load(os.path.join(DATA, "cases.npz"))
FIXTURE_CASES = {c["name"]: c for c in _META["cases"]}

# TF 2.21's kernels list formats that TF 1.x (and flowexec) do not read.
_TF2_FORMATS = ("One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required.",
                "One of JPEG, PNG, GIF, BMP required.")
# max |flowexec - TF| where Pillow has no switch for TF's libjpeg setting (measured).
JPEG_APPROX = 2
# Same dtype and shape as TF's, values not reproduced: TF's libjpeg source manager recovers
# truncated data differently from Pillow's.
KNOWN_DIFFERENT = {"jpeg_truncated_recover"}


def file_bytes(name):
    return _ARR[f"file/{name}"].tobytes()


def tf_input(name):
    return _ARR[f"input/{name}"]


def tf_output(case, i=0):
    return _ARR["out/" + case["outputs"][i]["key"]]


@pytest.fixture
def pil():
    return pytest.importorskip("PIL.Image", reason="Pillow is not installed: the JPEG and GIF "
                                                   "codecs need pip install 'flowexec[image]'")


_API = {"decode_jpeg": tf.image.decode_jpeg, "decode_png": tf.image.decode_png,
        "decode_bmp": tf.image.decode_bmp, "decode_gif": tf.image.decode_gif,
        "decode_image": tf.image.decode_image, "extract_jpeg_shape": tf.image.extract_jpeg_shape,
        "decode_and_crop_jpeg": tf.image.decode_and_crop_jpeg, "is_jpeg": tf.image.is_jpeg,
        "encode_jpeg": tf.image.encode_jpeg, "encode_png": tf.image.encode_png,
        "adjust_jpeg_quality": tf.image.adjust_jpeg_quality}


def _kwargs(case):
    return {k: (getattr(tf, v[3:]) if isinstance(v, str) and v.startswith("tf.") else v)
            for k, v in case["kwargs"].items()}


def _build(case):
    fn = _API[case["fn"]]
    if case["input"] is not None:
        return fn(tf.constant(tf_input(case["input"])), **_kwargs(case))
    return fn(tf.constant(file_bytes(case["file"])), **_kwargs(case))


def _run(build):
    with tf.Graph().as_default():
        out = build()
        with tf.Session() as sess:
            return sess.run(out)


def _approx(case):
    """Cases without an exact Pillow path: INTEGER_ACCURATE, no fancy upscaling, ratio 1, a
    colour output of a chroma-subsampled file."""
    kw = case["kwargs"]
    subsampled = case["file"] in ("jpeg_q75", "jpeg_422", "jpeg_progressive")
    return (case["fn"] == "decode_jpeg" and subsampled and kw.get("ratio", 1) == 1
            and kw.get("dct_method") == "INTEGER_ACCURATE" and not kw.get("fancy_upscaling", 1)
            and kw.get("channels", 0) != 1)


_IMAGE_FNS = ("decode_jpeg", "decode_png", "decode_bmp", "decode_gif", "decode_image",
              "extract_jpeg_shape", "decode_and_crop_jpeg", "is_jpeg", "encode_jpeg",
              "encode_png", "adjust_jpeg_quality")
_NAMES = [n for n, c in FIXTURE_CASES.items() if c["fn"] in _IMAGE_FNS]


@pytest.mark.parametrize("name", _NAMES)
def test_equals_tf(name, pil):
    case = FIXTURE_CASES[name]
    if case["error"] is not None:
        kind, message = case["error"]
        message = message.replace(*_TF2_FORMATS)
        with pytest.raises(getattr(errors, kind)) as info:
            _run(lambda: _build(case))
        got = info.value.message.split("\n\t [[")[0]
        if name == "gif_bad":  # giflib's reason after the colon is not reproduced
            message = message.split(": ")[0]
        assert got == message
        return
    got = _run(lambda: _build(case))
    want = tf_output(case)
    if case["outputs"][0]["dtype"] == "bytes":
        assert isinstance(got, bytes)
        assert got == want.tobytes(), f"{name}: encoded bytes differ from TF's"
        return
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape)
    if name in KNOWN_DIFFERENT:
        return
    if _approx(case):
        diff = np.abs(got.astype(int) - want.astype(int)).max()
        assert 0 < diff <= JPEG_APPROX, f"{name}: max diff {diff}"
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_fixture_covers_every_dct_fancy_ratio_setting():
    names = [n for n in FIXTURE_CASES if n.startswith("jpeg420_")]
    assert len(names) == 3 * 2 * 4 * 3


# ----- oracle rows (tests/ops/test_registry.py): TF's recorded outputs as the oracle ------
def _bytes_arr(name):
    return np.array(file_bytes(name), dtype=object)


def _row(case_name):
    return tf_output(FIXTURE_CASES[case_name])


CASES = [
    OpCase("decode_jpeg_default", lambda s: tf.image.decode_jpeg(s),
           lambda s: _row("jpeg420_default_1_r1_c0"), [_bytes_arr("jpeg_q75")], grad=False),
    OpCase("decode_and_crop_jpeg", lambda s: tf.image.decode_and_crop_jpeg(s, [5, 7, 20, 30]),
           lambda s: _row("crop_5_7_20_30"), [_bytes_arr("jpeg_q75")], grad=False),
    OpCase("extract_jpeg_shape", lambda s: tf.image.extract_jpeg_shape(s),
           lambda s: np.array([29, 45, 3], np.int32), [_bytes_arr("jpeg_q75")], grad=False),
    OpCase("encode_jpeg", lambda x: tf.reshape(tf.image.encode_jpeg(x, quality=50), [1]),
           lambda x: np.array([_row("encode_jpeg_2").tobytes()], dtype=object),
           [tf_input("rgb")], grad=False),
    OpCase("adjust_jpeg_quality", lambda x: tf.image.adjust_jpeg_quality(x, 40),
           lambda x: _row("adjust_jpeg_quality_40"), [tf_input("rgb")], grad=False),
    OpCase("decode_png_rgb16", lambda s: tf.image.decode_png(s, dtype=tf.uint16),
           lambda s: tf_input("rgb16"), [_bytes_arr("png_rgb16")], grad=False),
    OpCase("png_round_trip", lambda x: tf.image.decode_png(tf.image.encode_png(x), channels=4),
           lambda x: x, [tf_input("rgba")], grad=False),
    OpCase("decode_bmp", lambda s: tf.image.decode_bmp(s), lambda s: _row("bmp24_c0"),
           [_bytes_arr("bmp24")], grad=False),
    OpCase("decode_gif", lambda s: tf.image.decode_gif(s), lambda s: _row("gif_animated"),
           [_bytes_arr("gif_animated")], grad=False),
    OpCase("decode_image", lambda s: tf.image.decode_image(s, channels=3, dtype=tf.float32),
           lambda s: _row("image_png_rgba8_c3_f32"), [_bytes_arr("png_rgba8")], grad=False,
           atol=0, rtol=0),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_matches_oracle(case, pil):
    check_forward(case)


# ----- round trips, conversions, shapes -----------------------------------------------------
@pytest.mark.parametrize("key", ["rgb", "rgba", "gray", "ga", "rgb16", "rgba16", "gray16",
                                 "ga16"])
@pytest.mark.parametrize("compression", [-1, 0, 9])
def test_png_round_trip(key, compression, pil):
    x = tf_input(key)
    got = _run(lambda: tf.image.decode_png(tf.image.encode_png(x, compression=compression),
                                           dtype=tf.as_dtype(x.dtype)))
    np.testing.assert_array_equal(got, x)


def test_png_decodes_tf_files_exactly(pil):
    for key in ("rgb", "rgba", "gray", "ga", "rgb16", "rgba16", "gray16", "ga16"):
        x = tf_input(key)
        name = "png_" + key + ("" if x.dtype == np.uint16 else "8")
        got = _run(lambda: tf.image.decode_png(file_bytes(name), dtype=tf.as_dtype(x.dtype)))
        np.testing.assert_array_equal(got, x, err_msg=name)


def test_jpeg_round_trip_is_close_and_channels_convert(pil):
    x = tf_input("rgb")

    def build():
        data = tf.image.encode_jpeg(x, quality=100, chroma_downsampling=False)
        return [tf.image.decode_jpeg(data), tf.image.decode_jpeg(data, channels=1),
                tf.image.decode_jpeg(tf.image.encode_jpeg(x[..., :1]), channels=3)]
    rgb, gray, gray3 = _run(build)
    assert np.abs(rgb.astype(int) - x).mean() < 4.0
    assert gray.shape == (29, 45, 1)
    want_y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    assert np.abs(gray[..., 0] - want_y).mean() < 3
    np.testing.assert_array_equal(gray3[..., 0], gray3[..., 1])
    np.testing.assert_array_equal(gray3[..., 0], gray3[..., 2])


@pytest.mark.parametrize("ratio", [1, 2, 4, 8])
def test_jpeg_ratio_shapes(ratio, pil):
    got = _run(lambda: tf.image.decode_jpeg(file_bytes("jpeg_q75"), ratio=ratio))
    assert got.shape == (-(-29 // ratio), -(-45 // ratio), 3)


def test_crop_window_equals_slice_of_full_decode(pil):
    data = file_bytes("jpeg_422")
    win = tf.placeholder(tf.int32, [4])
    with tf.Graph().as_default():
        win = tf.placeholder(tf.int32, [4])
        crop = tf.image.decode_and_crop_jpeg(data, win)
        full = tf.image.decode_jpeg(data)
        assert crop.shape.as_list() == [None, None, None]
        with tf.Session() as sess:
            img = sess.run(full)
            for w in ([0, 0, 29, 45], [1, 2, 3, 4], [20, 30, 9, 15]):
                got = sess.run(crop, {win: w})
                np.testing.assert_array_equal(got, img[w[0]:w[0] + w[2], w[1]:w[1] + w[3]])
    with tf.Graph().as_default():
        static = tf.image.decode_and_crop_jpeg(data, [1, 2, 3, 4], channels=3)
        assert static.shape.as_list() == [3, 4, 3]


def test_animated_gif_frames_and_first_frame(pil):
    frames = _row("gif_animated")
    assert frames.shape == (3, 29, 45, 3)
    assert not np.array_equal(frames[0], frames[1])
    np.testing.assert_array_equal(frames[1][20:, :7], frames[0][20:, :7])

    def build():
        s = tf.constant(file_bytes("gif_animated"))
        return [tf.image.decode_gif(s), tf.image.decode_image(s, expand_animations=False),
                tf.image.decode_png(s)]
    gif, first, first_png = _run(build)
    np.testing.assert_array_equal(gif, frames)
    np.testing.assert_array_equal(first, frames[0])
    np.testing.assert_array_equal(first_png, frames[0])


def test_static_shapes_and_dtypes():
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [])
        assert tf.image.decode_jpeg(s, channels=3).shape.as_list() == [None, None, 3]
        assert tf.image.decode_png(s, dtype=tf.uint16).dtype == tf.uint16
        assert tf.image.decode_gif(s).shape.as_list() == [None, None, None, 3]
        assert tf.image.decode_bmp(s).shape.as_list() == [None, None, None]
        assert tf.image.decode_image(s).shape.ndims is None
        assert tf.image.decode_image(s, dtype=tf.float64).dtype == tf.float64
        assert tf.image.extract_jpeg_shape(s, tf.int64).shape.as_list() == [3]
        assert tf.image.encode_png(tf.zeros([2, 2, 3], tf.uint16)).shape.as_list() == []
        assert tf.image.is_jpeg(s).dtype == tf.bool
        with pytest.raises(ValueError, match="rank 0"):
            tf.image.decode_jpeg(tf.placeholder(tf.string, [2]))
        with pytest.raises(ValueError, match="rank 3"):
            tf.image.encode_jpeg(tf.zeros([2, 2], tf.uint8))
        with pytest.raises(TypeError, match="uint8, uint16"):
            tf.image.decode_png(s, dtype=tf.float32)


def test_not_differentiable():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4, 4, 3])
        u8 = tf.cast(x, tf.uint8)
        out = tf.cast(tf.image.decode_png(tf.image.encode_png(u8)), tf.float32)
        assert tf.gradients(tf.reduce_sum(out), x) == [None]


def test_random_jpeg_quality_stays_in_range(pil):
    x = tf_input("rgb").astype(np.float32) / 255
    with tf.Graph().as_default():
        out = tf.image.random_jpeg_quality(tf.constant(x), 60, 100, seed=3)
        with tf.Session() as sess:
            vals = [sess.run(out) for _ in range(3)]
    for v in vals:
        assert v.dtype == np.float32 and v.shape == x.shape
        assert 0 < np.abs(v - x).mean() < 0.05
    with pytest.raises(ValueError, match="less than"):
        tf.image.random_jpeg_quality(x, 50, 50)


# ----- errors ------------------------------------------------------------------------------
def test_corrupt_image_error_names_op_and_session_stays_usable(pil):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [])
        img = tf.image.decode_jpeg(s, name="my_decode")
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError) as info:
                sess.run(img, {s: file_bytes("jpeg_truncated")})
            assert "Invalid JPEG data or crop window" in str(info.value)
            assert "my_decode" in str(info.value)
            assert info.value.op is not None and info.value.op.name == "my_decode"
            with pytest.raises(errors.InvalidArgumentError, match="Unknown image file format"):
                sess.run(img, {s: b"not an image"})
            assert sess.run(img, {s: file_bytes("jpeg_gray")}).shape == (29, 45, 1)


def test_bad_attrs_are_invalid_argument_at_run_time(pil):
    for build, msg in [
            (lambda s: tf.image.decode_jpeg(s, ratio=3), "ratio must be 1, 2, 4, or 8"),
            (lambda s: tf.image.decode_png(s, channels=2), "`channels` must be 0, 1, 3 or 4"),
            (lambda s: tf.image.decode_image(s, channels=1),
             "channels must be 0 or 3 for GIF")]:
        with pytest.raises(errors.InvalidArgumentError, match=msg):
            _run(lambda: build(tf.constant(file_bytes("gif_single"))))


def test_without_pillow_raises_unimplemented(monkeypatch):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pil)
    with tf.Graph().as_default():
        out = tf.image.decode_jpeg(tf.constant(file_bytes("jpeg_q75")))
        png = tf.image.decode_png(tf.image.encode_png(tf.constant(tf_input("rgb16"))),
                                  dtype=tf.uint16)
        with tf.Session() as sess:
            with pytest.raises(errors.UnimplementedError,
                               match=r"pip install 'flowexec\[image\]'"):
                sess.run(out)
            # PNG encode and 16-bit colour PNG decode need no Pillow; BMP neither.
            np.testing.assert_array_equal(sess.run(png), tf_input("rgb16"))
            assert sess.run(tf.image.decode_bmp(file_bytes("bmp24"))).shape == (29, 43, 3)
