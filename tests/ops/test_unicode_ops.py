"""tf.strings' Unicode ops and ngrams (flowexec/ops/unicode_ops.py) against TF's recorded
outputs (tests/data/tf1/misc_api, scripts/make_tf_misc_api_fixtures.py) and Python oracles."""

import json
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import unicode_ops
from tests.ops.harness import OpCase, check_forward, ids

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "data", "tf1", "misc_api", "strings.json")) as f:
    REC = json.load(f)
with open(os.path.join(HERE, "..", "data", "tf1", "misc_api", "unicode_script.json")) as f:
    SCRIPTS = json.load(f)


def _obj(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


CASES = [
    OpCase("unicode_transcode_utf8_to_utf16",
           lambda x: tf.strings.unicode_transcode(x, "UTF-8", "UTF-16-BE"),
           lambda x: _obj([v.decode("utf-8").encode("utf-16-be") for v in x]),
           [_obj([b"abc", "h\u00e9\u20ac".encode()])], grad=False),
    OpCase("unicode_script", tf.strings.unicode_script,
           lambda x: np.array([25, 8, 17, 14], np.int32),
           [np.array([65, 0x416, 0x4E00, 0x3B1], np.int32)], grad=False),
    OpCase("unicode_encode_rows", lambda x: tf.strings.unicode_encode(x, "UTF-8"),
           lambda x: _obj(["".join(map(chr, row)).encode() for row in x]),
           [np.array([[72, 105], [0xE9, 0x1F600]], np.int32)], grad=False),
    OpCase("ngrams_bigrams", lambda x: tf.strings.ngrams(x, 2),
           lambda x: _obj([a + b" " + b for a, b in zip(x[:-1], x[1:])]),
           [_obj([b"a", b"b", b"c", b"d"])], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("row", REC["transcode"], ids=lambda r: f"{r[1]}-{r[2]}-{r[3]}")
def test_transcode_matches_tf(row):
    data, ie, oe, errors, rep, ctl, want = row
    y = tf.strings.unicode_transcode(bytes.fromhex(data), ie, oe, errors=errors,
                                     replacement_char=rep, replace_control_characters=ctl)
    with tf.Session() as sess:
        assert sess.run(y).hex() == want


def test_transcode_strict_raises_tf_message():
    assert "Invalid formatting on input string" in REC["transcode_strict_error"]
    y = tf.strings.unicode_transcode(b"a\xff", "UTF-8", "UTF-8", errors="strict")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="Invalid formatting on input string"):
        sess.run(y)
    with pytest.raises(ValueError, match="output_encoding"):
        tf.strings.unicode_transcode(b"a", "UTF-8", "latin-1")


@pytest.mark.parametrize("row", REC["ngrams"], ids=lambda r: json.dumps(r[1]))
def test_ngrams_match_tf(row):
    data, kw, want, shape = row
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
    y = tf.strings.ngrams(data, **kw)
    with tf.Session() as sess:
        got = sess.run(y)
    assert list(got.shape) == shape
    assert [b.decode() for b in got.reshape(-1)] == list(np.array(want, dtype=object).reshape(-1))


@pytest.mark.parametrize("row", REC["encode"], ids=lambda r: f"{r[1]}-{r[2]}-{r[3]}")
def test_encode_matches_tf(row):
    cps, enc, errors, rep, want = row
    y = tf.strings.unicode_encode(cps, enc, errors=errors, replacement_char=rep)
    with tf.Session() as sess:
        got = sess.run(y)
    assert y.shape.as_list() == list(np.shape(cps))[:-1]
    hexed = (np.vectorize(lambda b: b.hex(), otypes=[object])(got).tolist() if np.ndim(got)
             else got.hex())
    assert hexed == want


def test_encode_strict_and_scalar_input_errors():
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="out of range for Unicode"):
        sess.run(tf.strings.unicode_encode([72, 0xD800], "UTF-8", errors="strict"))
    with pytest.raises(ValueError, match="rank at least 1"):
        tf.strings.unicode_encode(72, "UTF-8")


def test_script_codes_match_tf_table_sample():
    y = tf.strings.unicode_script(SCRIPTS["codepoints"])
    with tf.Session() as sess:
        assert sess.run(y).tolist() == SCRIPTS["codes"]
    assert unicode_ops.script_codes([-1, 0x110000]) == [-1, -1]


def test_bytes_split_scalar_and_refuses_ragged_shapes():
    with tf.Session() as sess:
        assert sess.run(tf.strings.bytes_split("h\u00e9")).tolist() == [b"h", b"\xc3", b"\xa9"]
    with pytest.raises(ValueError, match="RaggedTensor"):
        tf.strings.bytes_split(["ab", "c"])


def test_ngrams_errors():
    with pytest.raises(ValueError, match="padding_width"):
        tf.strings.ngrams(["a"], 2, pad_values="x", padding_width=0)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="greater than 0"):
        sess.run(tf.strings.ngrams(["a", "b"], 0))
