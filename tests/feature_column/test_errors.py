"""Wrong arguments raise TF 1.15's errors, with its messages."""

import pytest

import flowexec as tf
import flowexec.feature_column as fc


def _ident(key="aaa", n=3):
    return fc.categorical_column_with_identity(key, n)


@pytest.mark.parametrize("build, error, message", [
    (lambda: fc.numeric_column("aaa", shape=(0,)), ValueError,
     r"shape dimensions must be greater than 0. shape: \(0,\), key: aaa"),
    (lambda: fc.numeric_column("aaa", shape=(1.5,)), TypeError,
     "shape dimensions must be integer"),
    (lambda: fc.numeric_column("aaa", dtype=tf.string), ValueError,
     "dtype must be convertible to float. dtype: <dtype: 'string'>, key: aaa"),
    (lambda: fc.numeric_column("aaa", shape=(2,), default_value=[1.0]), ValueError,
     "The shape of default_value must be equal to given shape"),
    (lambda: fc.numeric_column("aaa", dtype=tf.int32, default_value=0.5), TypeError,
     "default_value must be compatible with dtype"),
    (lambda: fc.numeric_column("aaa", normalizer_fn="x"), TypeError,
     "normalizer_fn must be a callable"),
    (lambda: fc.numeric_column(("aaa",)), ValueError, "key must be a string"),
    (lambda: fc.bucketized_column(_ident(), [0.0]), ValueError,
     "source_column must be a column generated with numeric_column"),
    (lambda: fc.bucketized_column(fc.numeric_column("a", shape=(2, 2)), [0.0]), ValueError,
     "source_column must be one-dimensional column"),
    (lambda: fc.bucketized_column(fc.numeric_column("a"), []), ValueError,
     "boundaries must not be empty."),
    (lambda: fc.bucketized_column(fc.numeric_column("a"), [1.0, 1.0]), ValueError,
     "boundaries must be a sorted list."),
    (lambda: fc.categorical_column_with_hash_bucket("aaa", 0), ValueError,
     "hash_bucket_size must be at least 1. hash_bucket_size: 0, key: aaa"),
    (lambda: fc.categorical_column_with_hash_bucket("aaa", 10, dtype=tf.float32), ValueError,
     "column_name: aaa dtype must be string or integer"),
    (lambda: fc.categorical_column_with_identity("aaa", 0), ValueError,
     "num_buckets 0 < 1, column_name aaa"),
    (lambda: fc.categorical_column_with_identity("aaa", 3, default_value=3), ValueError,
     r"default_value 3 not in range \[0, 3\), column_name aaa"),
    (lambda: fc.categorical_column_with_vocabulary_list("aaa", []), ValueError,
     r"vocabulary_list \[\] must be non-empty, column_name: aaa"),
    (lambda: fc.categorical_column_with_vocabulary_list("aaa", ["a", "a"]), ValueError,
     "Duplicate keys in vocabulary_list"),
    (lambda: fc.categorical_column_with_vocabulary_list(
        "aaa", ["a"], default_value=2, num_oov_buckets=1), ValueError,
     "Can't specify both num_oov_buckets and default_value in aaa."),
    (lambda: fc.categorical_column_with_vocabulary_list("aaa", ["a"], num_oov_buckets=-1),
     ValueError, "Invalid num_oov_buckets -1 in aaa."),
    (lambda: fc.categorical_column_with_vocabulary_list("aaa", [1, 2], dtype=tf.string),
     ValueError, "dtype <dtype: 'string'> and vocabulary dtype <dtype: 'int64'> do not match"),
    (lambda: fc.categorical_column_with_vocabulary_file("aaa", ""), ValueError,
     "Missing vocabulary_file in aaa."),
    (lambda: fc.categorical_column_with_vocabulary_file("aaa", "/no/such/file"), ValueError,
     "vocabulary_file in aaa does not exist."),
    (lambda: fc.categorical_column_with_vocabulary_file("aaa", "f", vocabulary_size=0),
     ValueError, "Invalid vocabulary_size in aaa."),
    (lambda: fc.weighted_categorical_column(_ident(), "w", dtype=tf.string), ValueError,
     "dtype <dtype: 'string'> is not convertible to float."),
    (lambda: fc.crossed_column(["a"], 10), ValueError, "keys must be a list with length > 1"),
    (lambda: fc.crossed_column(["a", "b"], 0), ValueError, "hash_bucket_size must be > 1"),
    (lambda: fc.crossed_column(["a", fc.categorical_column_with_hash_bucket("b", 3)], 10),
     ValueError, "categorical_column_with_hash_bucket is not supported for crossing"),
    (lambda: fc.crossed_column(["a", fc.numeric_column("b")], 10), ValueError,
     "Unsupported key type. All keys must be either string, or categorical column"),
    (lambda: fc.indicator_column(fc.numeric_column("a")), ValueError,
     "Unsupported input type. Input must be a CategoricalColumn."),
    (lambda: fc.embedding_column(_ident(), 0), ValueError, "Invalid dimension 0."),
    (lambda: fc.embedding_column(_ident(), 2, ckpt_to_load_from="x"), ValueError,
     "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."),
    (lambda: fc.embedding_column(_ident(), 2, initializer=1.0), ValueError,
     "initializer must be callable if specified. Embedding of column_name: aaa"),
    (lambda: fc.shared_embedding_columns([_ident("a"), _ident("b", 4)], 2), ValueError,
     "all categorical_columns must have the same number of buckets"),
    (lambda: fc.shared_embedding_columns(
        [_ident("a"), fc.categorical_column_with_hash_bucket("b", 3)], 2), ValueError,
     "all categorical_columns must have the same type"),
])
def test_constructor_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_input_layer_rejects_categorical_and_bad_lists():
    with pytest.raises(ValueError, match="Items of feature_columns must be a _DenseColumn. "
                                         "You can wrap a categorical column"):
        fc.input_layer({"aaa": [[1]]}, [_ident()])
    with pytest.raises(ValueError, match="feature_columns must not be empty."):
        fc.input_layer({}, [])
    with pytest.raises(ValueError, match="Expected feature_columns to be iterable, found "
                                         "dict."):
        fc.input_layer({}, {"a": fc.numeric_column("a")})
    with pytest.raises(ValueError, match="Duplicate feature column name found for columns"):
        fc.input_layer({"a": [[1.0]]}, [fc.numeric_column("a"), fc.numeric_column("a")])


def test_feature_errors():
    with pytest.raises(ValueError, match="Feature bbb is not in features dictionary."):
        fc.input_layer({"aaa": [[1.0]]}, [fc.numeric_column("bbb")])
    with pytest.raises(ValueError, match=r"Feature \(key: aaa\) cannot have rank 0"):
        fc.input_layer({"aaa": 1.0}, [fc.numeric_column("aaa")])
    with pytest.raises(ValueError, match="The corresponding Tensor of numerical column must "
                                         "be a Tensor. SparseTensor is not supported. key: a"):
        fc.input_layer({"a": tf.SparseTensor([[0, 0]], [1.0], [1, 1])},
                       [fc.numeric_column("a")])
    with pytest.raises(ValueError, match="Column dtype and SparseTensors dtype must be "
                                         "compatible. key: h"):
        fc.input_layer({"h": tf.constant([[1]], tf.int64)},
                       [fc.indicator_column(fc.categorical_column_with_hash_bucket("h", 3))])
    with pytest.raises(ValueError, match="Invalid input, not integer. key: i"):
        fc.input_layer({"i": tf.constant([["a"]])}, [fc.indicator_column(_ident("i"))])
    with pytest.raises(ValueError, match="Bad dtype, expected <dtype: 'float32'>"):
        fc.input_layer({"i": [[1]], "w": tf.constant([[1]], tf.int32)},
                       [fc.indicator_column(fc.weighted_categorical_column(_ident("i"), "w"))])
    with pytest.raises(ValueError, match="Batch size \\(first dimension\\) of each feature "
                                         "must be same."):
        fc.input_layer({"a": [[1.0], [2.0]], "b": [[1.0]]},
                       [fc.numeric_column("a"), fc.numeric_column("b")])


def test_linear_model_rejects_other_columns():
    class NotAColumn(fc.numeric_column("x").__class__.__mro__[2]):  # _FeatureColumn
        name = "odd"
        _parse_example_spec = {}

        def _transform_feature(self, inputs):
            return None

    with pytest.raises(ValueError, match="Items of feature_columns must be either a "
                                         "_DenseColumn or _CategoricalColumn"):
        fc.linear_model({"x": [[1.0]]}, [NotAColumn()])


def test_shared_embedding_collection_misuse():
    a, b = fc.shared_embedding_columns([_ident("a"), _ident("b")], 2,
                                       shared_embedding_collection_name="shared")
    tf.add_to_collection("shared", tf.Variable(tf.zeros([5, 2]), name="wrong"))
    with pytest.raises(ValueError, match="Shared embedding collection shared contains "
                                         "variable wrong:0 of unexpected shape"):
        fc.input_layer({"a": [[1]], "b": [[2]]}, [a, b])


def test_sequence_columns_outside_sequence_layers():
    seq = fc.embedding_column(fc.sequence_categorical_column_with_identity("s", 3), 2)
    with pytest.raises(ValueError, match="categorical_column must not be of type "
                                         "_SequenceCategoricalColumn"):
        fc.input_layer({"s": tf.SparseTensor([[0, 0]], [1], [1, 1])}, [seq])
    with pytest.raises(ValueError, match="All feature_columns must be of type "
                                         "_SequenceDenseColumn"):
        fc.sequence_input_layer({"a": [[1.0]]}, [fc.numeric_column("a")])
