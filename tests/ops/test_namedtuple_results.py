"""Multi-output ops return TF's namedtuples (the fields of TF's generated wrappers), and a
run fetches them as such."""

import numpy as np
import pytest

import flowexec as tf


def _cases():
    x = tf.constant([[1.0, 5.0], [4.0, 2.0]])
    labels = tf.constant([[1]], tf.int64)
    return [
        (lambda: tf.unique([3, 3, 1]), "Unique", ("y", "idx")),
        (lambda: tf.unique_with_counts([3, 3, 1]), "UniqueWithCounts", ("y", "idx", "count")),
        (lambda: tf.setdiff1d([1, 2, 3], [2]), "ListDiff", ("out", "idx")),
        (lambda: tf.qr(x), "Qr", ("q", "r")),
        (lambda: tf.linalg.lu(x), "Lu", ("lu", "p")),
        (lambda: tf.nn.max_pool_with_argmax(tf.ones([1, 2, 2, 1]), [1, 2, 2, 1], [1, 2, 2, 1],
                                            "VALID"), "MaxPoolWithArgmax", ("output", "argmax")),
        (lambda: tf.nn.fractional_max_pool(tf.ones([1, 4, 4, 1]), [1.0, 1.5, 1.5, 1.0]),
         "FractionalMaxPool", ("output", "row_pooling_sequence", "col_pooling_sequence")),
        (lambda: tf.nn.fractional_avg_pool(tf.ones([1, 4, 4, 1]), [1.0, 1.5, 1.5, 1.0]),
         "FractionalAvgPool", ("output", "row_pooling_sequence", "col_pooling_sequence")),
        (lambda: tf.nn.uniform_candidate_sampler(labels, 1, 2, True, 5),
         "UniformCandidateSampler",
         ("sampled_candidates", "true_expected_count", "sampled_expected_count")),
        (lambda: tf.nn.log_uniform_candidate_sampler(labels, 1, 2, True, 5),
         "LogUniformCandidateSampler",
         ("sampled_candidates", "true_expected_count", "sampled_expected_count")),
        (lambda: tf.nn.all_candidate_sampler(labels, 1, 2, True), "AllCandidateSampler",
         ("sampled_candidates", "true_expected_count", "sampled_expected_count")),
        (lambda: tf.nn.compute_accidental_hits(labels, tf.constant([1, 3], tf.int64), 1),
         "ComputeAccidentalHits", ("indices", "ids", "weights")),
    ]


@pytest.mark.parametrize("index", range(12))
def test_multi_output_ops_return_tfs_namedtuples(index):
    make, type_name, fields = _cases()[index]
    result = make()
    assert type(result).__name__ == type_name
    assert result._fields == fields
    with tf.Session() as sess:
        fetched = sess.run(result)
    assert type(fetched).__name__ == type_name and fetched._fields == fields
    for name in fields:
        assert isinstance(getattr(fetched, name), (np.ndarray, np.generic))


def test_unique_fields_hold_the_values():
    with tf.Session() as sess:
        got = sess.run(tf.unique([3, 3, 1, 7]))
    np.testing.assert_array_equal(got.y, [3, 1, 7])
    np.testing.assert_array_equal(got.idx, [0, 0, 1, 2])
