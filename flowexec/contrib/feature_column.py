"""`tf.contrib.feature_column`: TF 1.15's sequence feature columns and
`sequence_input_layer` (flowexec/feature_column/sequence.py), where TF 1.x kept them.

Example:
    >>> ids = tf.contrib.feature_column.sequence_categorical_column_with_identity("w", 10)
    >>> emb = tf.feature_column.embedding_column(ids, 4)
    >>> seq, length = tf.contrib.feature_column.sequence_input_layer(features, [emb])
"""

from flowexec.feature_column import (  # noqa: F401
    sequence_categorical_column_with_hash_bucket,
    sequence_categorical_column_with_identity,
    sequence_categorical_column_with_vocabulary_file,
    sequence_categorical_column_with_vocabulary_list,
    sequence_input_layer,
    sequence_numeric_column,
)

__all__ = ["sequence_categorical_column_with_hash_bucket",
           "sequence_categorical_column_with_identity",
           "sequence_categorical_column_with_vocabulary_file",
           "sequence_categorical_column_with_vocabulary_list", "sequence_input_layer",
           "sequence_numeric_column"]
