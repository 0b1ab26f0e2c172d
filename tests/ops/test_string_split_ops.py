"""string_split_ops: tf.string_split (StringSplit) and tf.strings.split (StringSplitV2) against
TF's recorded tokens, index order and shapes, and Python's str.split."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.sparse_fixtures import cases, check_case


@pytest.mark.parametrize("case", cases(["string_split", "strings_split"]))
def test_against_tf(case):
    check_case(case)


@pytest.mark.parametrize("text, sep", [
    (["a,b,,c", ",", "", "abc"], ","), (["a<>b<>", "<><>"], "<>"),
    ([" a b  ", "\tx\ny z", ""], None)])
def test_strings_split_is_python_split(text, sep):
    st = tf.strings.split(text, sep=sep)
    assert st.shape.as_list() == [None, None] or st.shape.ndims == 2
    with tf.Session() as sess:
        v = sess.run(st)
    want = [s.encode().split(None if sep is None else sep.encode()) for s in text]
    got = [[] for _ in text]
    for (i, _), tok in zip(v.indices, v.values):
        got[i].append(tok)
    assert got == want
    np.testing.assert_array_equal(v.dense_shape, [len(text), max(map(len, want))])


def test_result_type_and_arguments():
    with pytest.raises(ValueError, match="result_type must be 'RaggedTensor' or"):
        tf.string_split(["a"], result_type="dense")
    with pytest.raises(ValueError, match="Cannot specify both"):
        tf.string_split(["a"], sep=",", delimiter=",")
    st = tf.string_split(["a,b"], sep=",")
    with tf.Session() as sess:
        assert sess.run(st).values.tolist() == [b"a", b"b"]
        assert sess.run(tf.strings.split(source=["x y"])).values.tolist() == [b"x", b"y"]


def test_fed_strings_and_bytes():
    x = tf.placeholder(tf.string, [None])
    st = tf.string_split(x, delimiter="\x00")
    with tf.Session() as sess:
        v = sess.run(st, {x: [b"a\x00b", "é"]})
    assert v.values.tolist() == [b"a", b"b", "é".encode()]
    np.testing.assert_array_equal(v.indices, [[0, 0], [0, 1], [1, 0]])
