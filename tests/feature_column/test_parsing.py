"""make_parse_example_spec + tf.parse_example feed the columns; the spec equals TF's."""

import numpy as np
import pytest

import flowexec as tf
import flowexec.feature_column as fc
from flowexec.ops.example_parsing_ops import parse_example
from flowexec.ops.parsing_config import FixedLenFeature, VarLenFeature
from tests.feature_column import fixtures


def _spec_columns():
    return [
        fc.numeric_column("a", shape=(2,), default_value=1.5),
        fc.embedding_column(fc.weighted_categorical_column(
            fc.categorical_column_with_identity("b", 5), "bw"), 2),
        fc.crossed_column(["c", fc.bucketized_column(fc.numeric_column("d"), [0.0])], 10),
        fc.indicator_column(fc.categorical_column_with_vocabulary_list("e", [1, 2])),
    ]


def test_parse_spec_matches_tf():
    spec = fc.make_parse_example_spec(_spec_columns())
    _, meta = fixtures.recorded()
    got = {k: [type(v).__name__, v.dtype.name,
               list(v.shape) if isinstance(v, FixedLenFeature) else None,
               np.asarray(getattr(v, "default_value", None)).tolist()]
           for k, v in sorted(spec.items())}
    assert got == meta["parse_spec"]
    assert spec["a"] == FixedLenFeature((2,), tf.float32, (1.5, 1.5))
    assert spec["c"] == VarLenFeature(tf.string)


def test_parse_example_feeds_input_layer_and_linear_model():
    train = tf.train
    examples = []
    for price, words in ((3.0, [b"the", b"cat"]), (7.0, [b"dog"]), (-1.0, [])):
        ex = train.Example(features=train.Features(feature={
            "price": train.Feature(float_list=train.FloatList(value=[price])),
            "words": train.Feature(bytes_list=train.BytesList(value=words))}))
        examples.append(ex.SerializeToString())
    price = fc.numeric_column("price")
    words = fc.categorical_column_with_hash_bucket("words", 4)
    columns = [price, fc.indicator_column(words)]
    spec = fc.make_parse_example_spec(columns)
    assert spec == {"price": FixedLenFeature((1,), tf.float32, None),
                    "words": VarLenFeature(tf.string)}
    features = parse_example(tf.constant(examples), spec)
    dense = fc.input_layer(features, columns)
    logits = fc.linear_model(features, [price, words])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, lm = sess.run([dense, logits])
        ids = sess.run(tf.strings.to_hash_bucket_fast(["the", "cat", "dog"], 4))
    assert got.shape == (3, 5)
    np.testing.assert_allclose(got[:, 0], [3.0, 7.0, -1.0])
    counts = np.zeros((3, 4))
    for row, i in ((0, ids[0]), (0, ids[1]), (1, ids[2])):
        counts[row, i] += 1
    np.testing.assert_allclose(got[:, 1:], counts)
    np.testing.assert_allclose(lm, np.zeros((3, 1)))


def test_conflicting_specs_raise():
    with pytest.raises(ValueError, match="feature_columns contain different parse_spec for "
                                         "key aaa"):
        fc.make_parse_example_spec([fc.numeric_column("aaa"),
                                    fc.categorical_column_with_hash_bucket("aaa", 3)])
    with pytest.raises(ValueError, match="All feature_columns must be _FeatureColumn"):
        fc.make_parse_example_spec(["aaa"])
