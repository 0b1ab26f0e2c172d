"""parse_example_dataset / make_batched_features_dataset: argument checks and the refusal of
sparse features (TensorFlow's results for dense ones are in
test_tf_data_experimental_fixtures.py)."""

import pytest

import flowexec as tf
from tests.data.helpers import values

E = tf.data.experimental
DENSE = {"x": tf.FixedLenFeature([], tf.int64)}


@pytest.fixture
def records(tmp_path):
    path = str(tmp_path / "ex.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        for i in range(3):
            w.write(tf.train.Example(features=tf.train.Features(feature={
                "x": tf.train.Feature(int64_list=tf.train.Int64List(value=[i]))}))
                .SerializeToString())
    return path


@pytest.mark.parametrize("feature", [tf.VarLenFeature(tf.int64),
                                     tf.SparseFeature("i", "v", tf.int64, 3)])
def test_sparse_features_are_refused(feature):
    with pytest.raises(TypeError, match="SparseTensors"):
        E.parse_example_dataset({"x": feature})


def test_parse_example_dataset_needs_strings():
    with pytest.raises(TypeError, match="Input dataset should be a dataset of vectors of "
                                        "strings"):
        tf.data.Dataset.range(3).batch(2).apply(E.parse_example_dataset(DENSE))


def test_make_batched_features_dataset_label_key_must_be_a_feature(records):
    with pytest.raises(ValueError, match=r"The `label_key` provided \('y'\) must be one of "
                                         r"the `features` keys."):
        E.make_batched_features_dataset(records, 2, DENSE, label_key="y")


def test_make_batched_features_dataset_file_names(records, tmp_path):
    with pytest.raises(ValueError, match="No files match"):
        E.make_batched_features_dataset(str(tmp_path / "none-*"), 2, DENSE)
    ds = E.make_batched_features_dataset([records, records], 2, DENSE, num_epochs=1,
                                         shuffle=True, shuffle_seed=3)
    assert sorted(x for batch in values(ds) for x in batch["x"]) == [0, 0, 1, 1, 2, 2]
