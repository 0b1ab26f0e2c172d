"""Prints TF's SqlDataset rows and errors for the tables of tests/data/test_sql.py (the
expected values there were copied from this output). TensorFlow is never a dependency:

    /work/tfvenv/bin/python scripts/make_tf_sql_fixtures.py

(A database file that does not exist crashes TF 2.21's kernel, so that case is left out.)
"""
import sqlite3, os, tempfile
import tensorflow.compat.v1 as tf; tf.disable_eager_execution()
d = tempfile.mkdtemp(); db = os.path.join(d, "a.db")
c = sqlite3.connect(db); c.execute("create table t (name text, age int, score real, flag int)")
c.executemany("insert into t values (?,?,?,?)", [("a", 30, 1.5, 1), ("b", None, 2.5, 0), ("c", 40, None, 1)]); c.commit(); c.close()
def run(q, types, src=db, drv="sqlite"):
    with tf.Graph().as_default():
        try:
            ds = tf.data.experimental.SqlDataset(drv, src, q, types)
            nx = tf.data.make_one_shot_iterator(ds).get_next()
            out = []
            with tf.Session() as s:
                while True:
                    try: out.append(s.run(nx))
                    except tf.errors.OutOfRangeError: break
                    except tf.errors.OpError as e: out.append((type(e).__name__, e.message)); break
            print(q, out)
        except Exception as e:
            print(q, "build", type(e).__name__, e)
c = sqlite3.connect(db); c.execute("create table u (s text, i int, r real)"); c.executemany("insert into u values (?,?,?)", [("12abc", 7, 2.0), ("3.5e1x", -3, 1e20), (" 42", 5, 0.1)]); c.commit(); c.close()
run("select s, s, i, r from u", (tf.int64, tf.float64, tf.string, tf.string))
run("select name, flag from t", (tf.string, tf.bool))
run("select name from t", (tf.string, tf.int32))
run("select age from t", (tf.int64,))
run("select name from t", (tf.int32,))
run("select nope from t", (tf.string,))
run("select name from t", (tf.string,), drv="mysql")
run("select age, score from t", (tf.int8, tf.float32))
run("select age from t", (tf.uint16,))
