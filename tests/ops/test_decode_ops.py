"""decode_raw and decode_csv against TF's recorded outputs and error messages
(scripts/make_tf_parsing_fixtures.py), bit for bit; plus numpy oracle rows."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.parsing_fixtures import Fixture, assert_same

CSV = Fixture("csv")
RAW = Fixture("raw")

_RNG_BYTES = [np.random.default_rng(1).integers(0, 256, 12, dtype=np.uint8).tobytes()
              for _ in range(4)]

CASES = [
    OpCase("decode_raw_float32_be", lambda s: tf.decode_raw(s, tf.float32, little_endian=False),
           lambda s: np.stack([np.frombuffer(v, ">f4").astype(np.float32) for v in s]),
           [np.array(_RNG_BYTES, dtype=object)], grad=False),
    OpCase("decode_padded_raw", lambda s: tf.io.decode_raw(s, tf.uint16, fixed_length=6),
           lambda s: np.stack([np.frombuffer((v + b"\0" * 6)[:6], "<u2") for v in s]),
           [np.array([b"ab", b"abcdefgh", b""], dtype=object)], grad=False),
    OpCase("decode_csv", lambda s: tf.decode_csv(s, [[0], [0.0], [""]]),
           lambda s: [np.array([int(r.split(b",")[0]) for r in s], np.int32),
                      np.array([float(r.split(b",")[1]) for r in s], np.float32),
                      np.array([r.split(b",")[2] for r in s], dtype=object)],
           [np.array([b"1,2.5,a", b"-3,1e3,bc"], dtype=object)], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


def _run(build):
    with tf.Graph().as_default():
        outs = build()
        with tf.Session() as sess:
            return sess.run(outs)


def _defaults(spec):
    return [tf.constant(v, dtype=getattr(tf, dt), shape=None if v else [0])
            if dt != "string" else tf.constant([x.encode("utf-8") for x in v]
                                               if v else np.zeros(0, object), dtype=tf.string)
            for dt, v in spec]


@pytest.mark.parametrize("case", CSV.meta["cases"], ids=[c["name"] for c in CSV.meta["cases"]])
def test_decode_csv_equals_tf(case):
    records = CSV.get(case["name"] + "__records")
    attrs = case["attrs"]

    def build():
        return tf.decode_csv(tf.constant(records, dtype=tf.string),
                             _defaults(case["defaults"]), **attrs)
    if case["error"] is not None:
        kind, message = case["error"]
        with pytest.raises(getattr(tf.errors, kind)) as info:
            _run(build)
        assert info.value.message.split("\n")[0] == message
        return
    got = _run(build)
    assert len(got) == case["n_out"]
    for k, g in enumerate(got):
        assert_same(g, CSV.get(f"{case['name']}__{k}"), f"{case['name']} output {k}")


@pytest.mark.parametrize("case", RAW.meta["cases"], ids=[c["name"] for c in RAW.meta["cases"]])
def test_decode_raw_equals_tf(case):
    data = RAW.get(case["name"] + "__input")

    def build():
        return tf.io.decode_raw(tf.constant(data, dtype=tf.string),
                                getattr(tf, case["out_type"]), **case["attrs"])
    if case["error"] is not None:
        kind, message = case["error"]
        if kind in ("ValueError", "TypeError"):
            with pytest.raises(getattr(__builtins__, kind, None) or ValueError,
                               match=message.split(" for ")[0]):
                _run(build)
            return
        with pytest.raises(getattr(tf.errors, kind)) as info:
            _run(build)
        assert info.value.message.split("\n")[0] == message
        return
    assert_same(_run(build), RAW.get(case["name"] + "__0"), case["name"])


def test_decode_csv_python_checks():
    with pytest.raises(ValueError, match="select_cols is not strictly increasing."):
        tf.decode_csv(["1,2"], [[0], [0]], select_cols=[1, 0])
    with pytest.raises(ValueError, match="select_cols contains negative values."):
        tf.decode_csv(["1,2"], [[0], [0]], select_cols=[-1, 0])
    with pytest.raises(ValueError, match="Length of select_cols and record_defaults"):
        tf.decode_csv(["1,2"], [[0]], select_cols=[0, 1])
    with pytest.raises(ValueError, match="at most rank 1"):
        tf.decode_csv(["1"], [[[0]]])
    with pytest.raises(ValueError, match="length-0 or length-1 vector"):
        tf.decode_csv(["1"], [[0, 1]])
    with pytest.raises(TypeError, match="record_defaults"):
        tf.decode_csv(["1"], [[True]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="field_delim should be only 1"):
        _run(lambda: tf.decode_csv(["1"], [[0]], field_delim="ab"))


def test_decode_raw_static_shapes_and_errors():
    x = tf.placeholder(tf.string, [2, 3])
    assert tf.decode_raw(x, tf.int32).shape.as_list() == [2, 3, None]
    assert tf.io.decode_raw(x, tf.int32, fixed_length=8).shape.as_list() == [2, 3, 2]
    assert tf.decode_raw(bytes=x, out_type=tf.uint8).dtype == tf.uint8
    with pytest.raises(TypeError, match="out_type"):
        tf.decode_raw(x, tf.string)
    with pytest.raises(ValueError, match="evenly divisible by 4 but is 6"):
        tf.io.decode_raw(x, tf.int32, fixed_length=6)
