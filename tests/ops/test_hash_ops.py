"""hash_ops against TF's recorded outputs, bit for bit (scripts/make_tf_parsing_fixtures.py):
FarmHash Fingerprint64 buckets, TF's legacy Hash64 buckets, keyed SipHash buckets and
tf.fingerprint, over empty, short, long (> 64 bytes), unicode and NUL-holding strings."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import hash_ops
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.parsing_fixtures import Fixture, assert_same

FIX = Fixture("hash")
STRINGS = FIX.get("strings")
BIG = 2 ** 63 - 1


def _ref(fn, num):
    return lambda s: np.array([fn(v) % num for v in s.reshape(-1)], np.int64).reshape(s.shape)


CASES = [
    OpCase("fast", lambda s: tf.string_to_hash_bucket_fast(s, BIG),
           _ref(hash_ops.fingerprint64, BIG), [STRINGS], grad=False),
    OpCase("legacy", lambda s: tf.string_to_hash_bucket(s, 7), _ref(hash_ops.hash64, 7),
           [STRINGS], grad=False),
    OpCase("strong", lambda s: tf.string_to_hash_bucket_strong(s, 3, [1, 2]),
           _ref(lambda v: hash_ops.siphash24(1, 2, v), 3), [STRINGS], grad=False),
    OpCase("fingerprint", lambda s: tf.fingerprint(s),
           lambda s: np.array([list(hash_ops.fingerprint64(v).to_bytes(8, "little"))
                               for v in s], np.uint8), [STRINGS], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_matches_the_python_hash(case):
    check_forward(case)


@pytest.mark.parametrize("name, build", [
    ("fast", lambda s: tf.string_to_hash_bucket_fast(s, BIG)),
    ("fast_10", lambda s: tf.strings.to_hash_bucket_fast(s, 10)),
    ("legacy", lambda s: tf.string_to_hash_bucket(s, BIG)),
    ("legacy_7", lambda s: tf.strings.to_hash_bucket(s, 7)),
    ("strong", lambda s: tf.string_to_hash_bucket_strong(s, BIG, [123456789, -5])),
    ("strong_3", lambda s: tf.strings.to_hash_bucket_strong(s, 3, [1, 2])),
    ("fingerprint", lambda s: tf.fingerprint(s)),
])
def test_buckets_and_fingerprints_equal_tfs(name, build):
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(build(tf.constant(STRINGS)))
    assert_same(got, FIX.get(name), name)


@pytest.mark.parametrize("name, data", [
    ("fingerprint_str2d", [[b"a", b"b"], [b"", b"c\x00"]]),
    ("fingerprint_str3d", [[[b"a"]], [[b"xyz"]]]),
    ("fingerprint_int32", np.arange(6, dtype=np.int32).reshape(2, 3)),
    ("fingerprint_float64", np.linspace(-1, 1, 8).reshape(4, 2)),
    ("fingerprint_uint8", np.arange(5, dtype=np.uint8)),
    ("fingerprint_bool", np.array([[True, False], [False, False]])),
    ("fingerprint_empty_rows", np.zeros((3, 0), np.float32)),
])
def test_fingerprint_of_rows_equals_tfs(name, data):
    with tf.Graph().as_default(), tf.Session() as sess:
        out = tf.fingerprint(data)
        assert out.dtype == tf.uint8 and out.shape.as_list() == [np.shape(data)[0], 8]
        assert_same(sess.run(out), FIX.get(name), name)


def test_the_python_hashes_are_the_published_functions():
    # Reference values independent of TF: SipHash-2-4's test vector (key 00..0f, message
    # 00..0e) and FarmHash's Fingerprint64 of "" (its k2 constant).
    key = bytes(range(16))
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    assert hash_ops.siphash24(k0, k1, bytes(range(15))) == 0xA129CA6149BE45E5
    assert hash_ops.fingerprint64(b"") == 0x9AE16A3B2F90404F


def test_errors_are_tfs():
    with pytest.raises(TypeError, match="parameter 'input' has DataType int32"):
        tf.string_to_hash_bucket_fast([1, 2], 3)
    with pytest.raises(ValueError, match="num_buckets"):
        tf.string_to_hash_bucket_fast(["a"], 0)
    with pytest.raises(ValueError, match="Key must have 2 elements"):
        tf.string_to_hash_bucket_strong(["a"], 3, [1])
    with pytest.raises(ValueError, match="at least rank 1"):
        tf.fingerprint(tf.constant(3))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Unsupported fingerprint method: md5"):
            sess.run(tf.fingerprint(["a"], method="md5"))


def test_namespaces():
    assert tf.strings.to_hash_bucket_fast is tf.string_to_hash_bucket_fast
    assert tf.strings.to_hash_bucket_strong is tf.string_to_hash_bucket_strong
    assert tf.strings.to_hash_bucket is tf.string_to_hash_bucket
