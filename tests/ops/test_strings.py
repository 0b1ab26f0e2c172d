"""string_ops against TF's own outputs (recorded from tensorflow 2.x compat.v1) and Python."""

import base64

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import string_ops as so


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _list(v):
    return np.asarray(v, dtype=object).tolist() if not isinstance(v, bytes) else v


# (build, TF's output) — values recorded from tensorflow's own kernels
TF_CASES = [
    (lambda: so.as_string([1.5, 2.0, -3.25], precision=2), [b"1.50", b"2.00", b"-3.25"]),
    (lambda: so.as_string([1.5, 2.0], shortest=True), [b"1.5", b"2"]),
    (lambda: so.as_string([1234.5], scientific=True), [b"1.234500e+03"]),
    (lambda: so.as_string([3, -12], width=5, fill="0"), [b"00003", b"-0012"]),
    (lambda: so.as_string([True, False]), [b"true", b"false"]),
    (lambda: so.as_string([1.5]), [b"1.500000"]),
    (lambda: so.as_string([1.0 / 3], precision=-1), [b"0.333333"]),
    (lambda: so.as_string(tf.constant([1 + 2j], tf.complex64)), [b"(1.000000,2.000000)"]),
    (lambda: so.as_string([1.5, -2.0], width=7), [b"1.500000", b"-2.000000"]),
    (lambda: so.as_string([7], width=4), [b"   7"]),
    (lambda: so.encode_base64(["hi?", "abcd"]), [b"aGk_", b"YWJjZA"]),
    (lambda: so.encode_base64(["hi?"], pad=True), [b"aGk_"]),
    (lambda: so.reduce_join([["a", "b"], ["c", "d"]], axis=0, separator="-"), [b"a-c", b"b-d"]),
    (lambda: so.reduce_join([["a", "b"], ["c", "d"]]), b"abcd"),
    (lambda: so.reduce_join([["a", "b"], ["c", "d"]], 1, keep_dims=True), [[b"ab"], [b"cd"]]),
    (lambda: so.substr(["Hello", "World"], [1, -3], [3, 3]), [b"ell", b"rld"]),
    (lambda: so.substr("Hello", 1, 10), b"ello"),
    (lambda: so.string_join([["a", "b"], "x"], separator="+"), [b"a+x", b"b+x"]),
    (lambda: so.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 3, ","), [b"b", b"a,c", b""]),
    (lambda: so.regex_replace(["a1b22"], r"(\d+)", r"<\1>"), [b"a<1>b<22>"]),
    (lambda: so.string_length(["h\u00e9llo"], unit="UTF8_CHAR"), [5]),
    (lambda: so.upper(["h\u00e9llo"]), [b"H\xc3\xa9LLO"]),
]


@pytest.mark.parametrize("i", range(len(TF_CASES)))
def test_matches_tensorflow(i):
    build, want = TF_CASES[i]
    with tf.Graph().as_default():
        t = build()
        got = _run(t)
    if isinstance(want, bytes):
        assert got == want
    else:
        assert _list(got) == want if t.dtype == tf.string else np.asarray(got).tolist() == want


def test_elementwise_ops_against_python():
    words = ["  Ab c\n", "x", "", "\tZz "]
    with tf.Graph().as_default():
        outs = [so.string_strip(words), so.lower(words), so.upper(words),
                so.string_length(words), tf.strings.regex_full_match(words, r"\s*\w+\s*"),
                so.regex_replace(words, r"\s", "_", replace_global=False),
                so.decode_base64(so.encode_base64(words)),
                so.string_to_number(["1.5", " -2", "1e3"]),
                so.string_to_number(["12", "-7"], out_type=tf.int64)]
        got = _run(outs)
    bw = [w.encode() for w in words]
    import re

    assert _list(got[0]) == [w.strip() for w in bw]
    assert _list(got[1]) == [w.lower() for w in bw] and _list(got[2]) == [w.upper() for w in bw]
    assert got[3].tolist() == [len(w) for w in bw] and got[3].dtype == np.int32
    assert got[4].tolist() == [re.fullmatch(rb"\s*\w+\s*", w) is not None for w in bw]
    assert _list(got[5]) == [re.sub(rb"\s", b"_", w, count=1) for w in bw]
    assert _list(got[6]) == bw
    np.testing.assert_allclose(got[7], [1.5, -2.0, 1000.0])
    assert got[7].dtype == np.float32 and got[8].tolist() == [12, -7]


def test_files_and_errors(tmp_path):
    path = str(tmp_path / "sub" / "f.bin")
    with tf.Graph().as_default():
        w = so.write_file(path, "pay\x00load")
        r = so.read_file(path)
        bad = so.string_to_number(["1.5x"])
        missing = so.read_file(str(tmp_path / "nope"))
        oob = so.substr(["abc"], [5], [1])
        with tf.Session() as sess:
            sess.run(w)
            assert sess.run(r) == b"pay\x00load"
            with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly"):
                sess.run(bad)
            with pytest.raises(tf.errors.NotFoundError):
                sess.run(missing)
            with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
                sess.run(oob)
    with pytest.raises(TypeError):
        so.string_strip(tf.constant([1]))
    with pytest.raises(ValueError, match="Fill string"):
        so.as_string([1], fill="ab")
    assert base64.urlsafe_b64decode(b"aGk_") == b"hi?"
