"""tf.data.experimental.SqlDataset on SQLite. The expected rows and messages are TF 2.21's
(tf.compat.v1 graph mode), recorded by scripts/make_tf_sql_fixtures.py on the same tables."""

import sqlite3

import pytest

import flowexec as tf
from tests.data.helpers import values


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "a.db")
    c = sqlite3.connect(path)
    c.execute("create table t (name text, age int, score real, flag int)")
    c.executemany("insert into t values (?,?,?,?)",
                  [("a", 30, 1.5, 1), ("b", None, 2.5, 0), ("c", 40, None, 1)])
    c.execute("create table u (s text, i int, r real)")
    c.executemany("insert into u values (?,?,?)",
                  [("12abc", 7, 2.0), ("3.5e1x", -3, 1e20), (" 42", 5, 0.1)])
    c.commit()
    c.close()
    return path


def _rows(db, query, types):
    with tf.Graph().as_default():
        return values(tf.data.experimental.SqlDataset("sqlite", db, query, types))


def test_columns_convert_as_sqlite_reads_them(db):
    assert _rows(db, "select name, age, score from t order by name",
                 (tf.string, tf.int32, tf.float64)) == [
        (b"a", 30, 1.5), (b"b", 0, 2.5), (b"c", 40, 0.0)]
    assert _rows(db, "select s, s, i, r from u", (tf.int64, tf.float64, tf.string, tf.string)) \
        == [(12, 12.0, b"7", b"2.0"), (3, 35.0, b"-3", b"1.0e+20"), (42, 42.0, b"5", b"0.1")]
    assert _rows(db, "select name, flag from t", (tf.string, tf.bool)) == [
        (b"a", True), (b"b", False), (b"c", True)]
    assert _rows(db, "select name from t", tf.int32) == [0, 0, 0]
    assert _rows(db, "select age from t", (tf.uint16,)) == [(30,), (0,), (40,)]


def test_element_structure():
    with tf.Graph().as_default():
        ds = tf.data.experimental.SqlDataset("sqlite", "x.db", "select 1, 'a'",
                                             (tf.int64, tf.string))
        assert ds.output_types == (tf.int64, tf.string)
        assert ds.output_shapes[0].as_list() == []


@pytest.mark.parametrize("query, types, error, message", [
    ("select name from t", (tf.string, tf.int32), tf.errors.InvalidArgumentError,
     r"^The number of columns in query \(1\) must match the number of elements in "
     r"output_types \(2\)\."),
    ("select nope from t", (tf.string,), tf.errors.UnknownError,
     r"^Prepare\(\) failed: \[1\] no such column: nope: select nope from t"),
    ("select age, score from t", (tf.int8, tf.float32), tf.errors.InvalidArgumentError,
     r"^Each element of `output_types_` must be one of: DT_STRING, DT_INT8, DT_INT16, "
     r"DT_INT32, DT_INT64, DT_UINT8, DT_UINT16, DT_BOOL, DT_DOUBLE"),
])
def test_errors_are_tfs(db, query, types, error, message):
    with tf.Graph().as_default():
        it = tf.data.experimental.SqlDataset("sqlite", db, query, types) \
            .make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            with pytest.raises(error, match=message):
                sess.run(it.initializer)
                sess.run(nxt)
            # the session stays usable
            assert sess.run(tf.constant(3)) == 3


def test_another_driver_is_refused(db):
    with tf.Graph().as_default():
        it = tf.data.experimental.SqlDataset("mysql", db, "select 1", tf.int64) \
            .make_initializable_iterator()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"The database type, mysql, is not supported by "
                                     r"SqlDataset\. The set of supported databases is: "
                                     r"\{'sqlite'\}\."):
                sess.run(it.initializer)
