"""tf.feature_column: TF 1.15's feature columns (the v1 API for graph code, no estimators).

Columns describe how raw features (a dict of Tensors / SparseTensors, e.g. from
`tf.parse_example(serialized, make_parse_example_spec(columns))`) become model inputs:
`input_layer` concatenates dense columns, `linear_model` sums weighted columns. Variable
names, scopes, collections, hashes (FarmHash Fingerprint64, SparseCross's FingerprintCat64)
and error messages are TF 1.15's; tests/feature_column compares them with TF's recorded
outputs. Modules:

- `base`: the column interfaces, `_LazyBuilder`, dense-to-sparse conversion;
- `categorical`: identity, hash bucket, vocabulary list/file, weighted and crossed columns;
- `dense`: numeric, bucketized, indicator, embedding and shared embedding columns;
- `layers`: `input_layer`, `linear_model`, `make_parse_example_spec`;
- `sequence`: sequence columns and `sequence_input_layer` (TF's contrib sequence API).

Graph construction with columns is not thread-safe (it creates variables and tables in
the default graph).
"""

from flowexec.feature_column.base import _LazyBuilder as _LazyBuilder
from flowexec.feature_column.categorical import (
    categorical_column_with_hash_bucket,
    categorical_column_with_identity,
    categorical_column_with_vocabulary_file,
    categorical_column_with_vocabulary_list,
    crossed_column,
    weighted_categorical_column,
)
from flowexec.feature_column.dense import (
    bucketized_column,
    embedding_column,
    indicator_column,
    numeric_column,
    shared_embedding_columns,
)
from flowexec.feature_column.layers import (
    _transform_features as _transform_features,
)
from flowexec.feature_column.layers import (
    input_layer,
    linear_model,
    make_parse_example_spec,
)
from flowexec.feature_column.sequence import (
    sequence_categorical_column_with_hash_bucket,
    sequence_categorical_column_with_identity,
    sequence_categorical_column_with_vocabulary_file,
    sequence_categorical_column_with_vocabulary_list,
    sequence_input_layer,
    sequence_numeric_column,
)

__all__ = [
    "bucketized_column", "categorical_column_with_hash_bucket",
    "categorical_column_with_identity", "categorical_column_with_vocabulary_file",
    "categorical_column_with_vocabulary_list", "crossed_column", "embedding_column",
    "indicator_column", "input_layer", "linear_model", "make_parse_example_spec",
    "numeric_column", "sequence_categorical_column_with_hash_bucket",
    "sequence_categorical_column_with_identity",
    "sequence_categorical_column_with_vocabulary_file",
    "sequence_categorical_column_with_vocabulary_list", "sequence_input_layer",
    "sequence_numeric_column",
    "shared_embedding_columns", "weighted_categorical_column",
]
