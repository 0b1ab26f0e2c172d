"""CsvDataset and make_csv_dataset: TF 1.15's argument messages, placeholders,
re-initialization, shuffling, compression, agreement with tf.decode_csv (TensorFlow's own
results for the record rules are in test_tf_data_experimental_fixtures.py)."""

import collections
import gzip
import zlib

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import drain, values

E = tf.data.experimental

ROWS = "a,b,c,label\n1,2.5,x,0\n2,,y,1\n3,3.5,,0\n4,4.5,z,1\n5,1e300,w,0\n"


@pytest.fixture
def train(tmp_path):
    p = tmp_path / "train.csv"
    p.write_text(ROWS)
    return str(p)


def test_csv_dataset_filenames_from_a_placeholder_and_reinitialization(tmp_path):
    (tmp_path / "a.csv").write_text("1,x\n2,y\n")
    (tmp_path / "b.csv").write_text("3,z\n")
    names = tf.placeholder(tf.string, [None])
    it = E.CsvDataset(names, [[0], [""]]).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {names: [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]})
        assert drain(sess, nxt) == [(1, b"x"), (2, b"y"), (3, b"z")]
        sess.run(it.initializer, {names: [str(tmp_path / "b.csv")]})
        assert drain(sess, nxt) == [(3, b"z")]
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            sess.run(nxt)


def test_csv_dataset_element_spec_is_a_tuple_of_scalars(train):
    ds = E.CsvDataset(train, [tf.int64], select_cols=[0], header=True)
    assert ds.output_types == (tf.int64,) and ds.output_shapes == (tf.TensorShape([]),)
    assert values(ds) == [(1,), (2,), (3,), (4,), (5,)]


def test_csv_dataset_a_record_error_does_not_end_the_pass(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("1,2\nx,3\n4,5\n")
    it = E.CsvDataset(str(p), [[0], [0]]).make_one_shot_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == (1, 2)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Field 0 in record is not a valid int32: x"):
            sess.run(nxt)
        assert sess.run(nxt) == (4, 5)


@pytest.mark.parametrize("kind", ["GZIP", "ZLIB"])
def test_csv_dataset_reads_compressed_files(tmp_path, kind):
    data = b"h\n1\n2\n"
    p = tmp_path / "z.csv"
    p.write_bytes(gzip.compress(data) if kind == "GZIP" else zlib.compress(data))
    assert values(E.CsvDataset(str(p), [[0]], header=True, compression_type=kind)) == [
        (1,), (2,)]


def test_csv_dataset_rejects_bad_defaults(train):
    with pytest.raises(ValueError, match="Shape of a default must be a length-0 or length-1 "
                                         "vector, or a scalar."):
        E.CsvDataset(train, [[0, 1]])
    with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
        E.CsvDataset(train, [[True]])


def test_csv_dataset_parses_numbers_as_decode_csv(tmp_path):
    rows = [("1", "1.5"), (" 2 ", "0x1p3"), ("-3", "inf"), ("+4", "-nan"), ("5", "1e40"),
            ("6", " 2.5 ")]
    p = tmp_path / "n.csv"
    p.write_text("".join(f"{i},{f}\n" for i, f in rows))
    records = tf.constant([f"{i},{f}" for i, f in rows])
    with tf.Session() as sess:
        ints, floats = sess.run(tf.decode_csv(records, [[0], [0.0]]))
    got = values(E.CsvDataset(str(p), [[0], [0.0]]))
    np.testing.assert_equal([g[0] for g in got], ints.tolist())
    np.testing.assert_equal([g[1] for g in got], floats.tolist())
    assert ints.tolist() == [1, 2, -3, 4, 5, 6] and floats[1] == 8.0 and np.isinf(floats[4])


# ----- make_csv_dataset ----------------------------------------------------------------------
def test_make_csv_dataset_features_are_an_ordered_dict_by_header_order(train):
    ds = E.make_csv_dataset(train, 2, label_name="label", num_epochs=1, shuffle=False)
    features, label = ds.output_types
    assert isinstance(features, collections.OrderedDict)
    assert list(features) == ["a", "b", "c"]
    assert (features["a"], features["b"], features["c"], label) == (
        tf.int32, tf.float64, tf.string, tf.int32)
    assert ds.output_shapes[1] == tf.TensorShape([None])


def test_make_csv_dataset_forever_has_a_static_batch(train):
    ds = E.make_csv_dataset(train, 3, shuffle=False)
    assert ds.output_shapes["a"] == tf.TensorShape([3])


def test_make_csv_dataset_shuffle_is_a_seeded_permutation(train):
    def read(seed):
        ds = E.make_csv_dataset(train, 1, num_epochs=1, shuffle=True, shuffle_seed=seed)
        return [v["a"][0] for v in values(ds)]
    first = read(7)
    assert sorted(first) == [1, 2, 3, 4, 5]
    assert read(7) == first


@pytest.mark.parametrize("kwargs,message", [
    ({"label_name": "nope"}, "`label_name` provided must be one of the columns."),
    ({"header": False}, "Cannot infer column names without a header line."),
    ({"column_names": ["p", "p", "q", "r"]}, "Cannot have duplicate column names."),
    ({"select_columns": ["zz"]}, "Column name zz specified in select_columns not found in "
                                 "column_names."),
    ({"select_columns": [9]}, "Column index 9 specified in select_columns out of valid "
                              "range."),
    ({"select_columns": [1, "b"]}, "select_columns contains duplicate columns"),
    ({"select_columns": [0, 1], "column_defaults": [[0]]},
     "If specified, column_defaults and select_columns must have same length."),
    ({"compression_type": "LZ4"}, r"compression_type \(LZ4\) is not supported."),
])
def test_make_csv_dataset_argument_errors(train, kwargs, message):
    with pytest.raises(ValueError, match=message):
        E.make_csv_dataset(train, 2, **kwargs)


def test_make_csv_dataset_file_pattern_errors(tmp_path):
    with pytest.raises(ValueError, match="File pattern is empty."):
        E.make_csv_dataset([], 2)
    with pytest.raises(ValueError, match="No files match"):
        E.make_csv_dataset(str(tmp_path / "none-*.csv"), 2)


def test_make_csv_dataset_headers_must_agree(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    with pytest.raises(ValueError, match="Files have different column names in the header "
                                         "row."):
        E.make_csv_dataset(str(tmp_path / "*.csv"), 2)


def test_make_csv_dataset_inference_needs_rows_of_one_length(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n3\n")
    with pytest.raises(ValueError, match="Problem inferring types: CSV row has different "
                                         "number of fields than expected."):
        E.make_csv_dataset(str(tmp_path / "a.csv"), 2)


def test_make_csv_dataset_infers_from_the_first_rows_only(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n2\n2.5\n")
    ds = E.make_csv_dataset(str(tmp_path / "a.csv"), 3, num_rows_for_inference=2,
                            num_epochs=1, shuffle=False)
    assert ds.output_types["x"] is tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a valid int32: 2.5"):
        values(ds)
    ds = E.make_csv_dataset(str(tmp_path / "a.csv"), 3, num_rows_for_inference=2,
                            num_epochs=1, shuffle=False, ignore_errors=True)
    assert values(ds) == [{"x": [1, 2]}]
