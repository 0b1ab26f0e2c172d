"""TensorFlow's results for the lookup-table programs below, recorded for
tests/ops/test_lookup_ops.py, which runs the same programs on flowexec.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_lookup_fixtures.py
    # -> tests/data/tf1/lookup/lookup.json

Each case is a function `case(tf, files)` building a graph with `tf` (TensorFlow's
compat.v1 or flowexec) that returns a list of steps; a step is a fetch (run in one session,
in order, after `tf.tables_initializer()`), and its result or error type and message is
recorded. `files` maps the names of VOCAB_FILES to paths of files holding their text; in
recorded messages their directory reads "{dir}".
"""

import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "lookup", "lookup.json")

VOCAB_FILES = {
    "vocab": "emerson\nlake\npalmer\n",
    "kv": "a\t10\nb\t20\nc\n",
    "columns": "brain 1 x\nsalad 2 y\nsurgery 3 z\n",
    "numbers": "7\n11\n13\n",
    "unicode": "caf\u00e9\n\u65e5\u672c\nplain\n",
}

WORDS = ["lake", "xyz", "abc", "palmer", "emerson", "q", "", "hello", "world", "caf\u00e9",
         "The quick brown fox", "0", "-1", "a" * 40]


def static_string_to_int(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], tf.constant([1, 2, 3], tf.int64)),
        -1)
    return [t.lookup(tf.constant([["a", "z"], ["c", "b"]])), t.size(),
            t.lookup(tf.constant("b"))]


def static_int_to_float(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant([1, 2, -5], tf.int64),
                                            tf.constant([1.5, 2.5, -0.25])), -1.0)
    return [t.lookup(tf.constant([[1], [3], [-5]], tf.int64)), t.size()]


def static_int32(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant([1, 2], tf.int32),
                                            tf.constant([10, 20], tf.int32)), -1)
    return [t.lookup(tf.constant([1, 5, 2]))]


def static_int_to_string(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant([0, 1], tf.int64), ["zero", "one"]),
        "UNK")
    return [t.lookup(tf.constant([1, 0, 9], tf.int64))]


def vocab_strings(tf, files):
    t = tf.lookup.StaticVocabularyTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string,
                                      tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
                                      tf.lookup.TextFileIndex.LINE_NUMBER, delimiter=" "), 3)
    return [t.lookup(tf.constant(WORDS)), t.size()]


def vocab_one_bucket(tf, files):
    t = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([0, 1], tf.int64)), 1)
    return [t.lookup(tf.constant(WORDS)), t.size()]


def vocab_many_buckets(tf, files):
    t = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([0, 1], tf.int64)), 1000)
    return [t.lookup(tf.constant(WORDS))]


def vocab_int64(tf, files):
    t = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant([10, 20], tf.int64),
                                            tf.constant([0, 1], tf.int64)), 5)
    return [t.lookup(tf.constant([10, 7, 20, 99, -3, 0, 123456789012], tf.int64)), t.size()]


def vocab_int32_lookup(tf, files):
    t = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant([10, 20], tf.int64),
                                            tf.constant([0, 1], tf.int64)), 4,
        lookup_key_dtype=tf.int32)
    return [t.lookup(tf.constant([10, 7, 20, 99], tf.int32))]


def text_whole_line(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string, -2, tf.int64, -1), -1)
    return [t.lookup(tf.constant(["palmer", "lake", "emerson", "elp"])), t.size()]


def text_columns(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["columns"], tf.string, 0, tf.int64, 1,
                                      delimiter=" "), -1)
    u = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["columns"], tf.int64, 1, tf.string, 2,
                                      delimiter=" "), "?")
    return [t.lookup(tf.constant(["salad", "brain", "x"])), u.lookup(
        tf.constant([3, 1, 4], tf.int64))]


def text_line_number_key(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.int64, -1, tf.string, -2), "UNK")
    return [t.lookup(tf.constant([0, 2, 7], tf.int64))]


def text_offset(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string, -2, tf.int64, -1,
                                      value_index_offset=10), -1)
    return [t.lookup(tf.constant(["lake", "emerson", "no"]))]


def text_vocab_size(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string, -2, tf.int64, -1,
                                      vocab_size=2), -1)
    return [t.lookup(tf.constant(["emerson", "lake", "palmer"])), t.size()]


def text_numbers(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["numbers"], tf.int64, -2, tf.int64, -1), -1)
    return [t.lookup(tf.constant([11, 7, 8, 13], tf.int64))]


def text_unicode(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["unicode"], tf.string, -2, tf.int64, -1), -1)
    return [t.lookup(tf.constant(["\u65e5\u672c", "plain", "caf\u00e9", "cafe"]))]


def err_vocab_size_too_big(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string, -2, tf.int64, -1,
                                      vocab_size=5), -1)
    return [t.lookup(tf.constant(["lake"]))]


def err_missing_column(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["kv"], tf.string, 0, tf.int64, 1,
                                      delimiter="\t"), -1)
    return [t.lookup(tf.constant(["a"]))]


def err_not_an_int(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.int64, 0, tf.string, -2), "UNK")
    return [t.lookup(tf.constant([1], tf.int64))]


def err_no_file(tf, files):
    t = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer("no_such_vocab.txt", tf.string, -2, tf.int64, -1), -1)
    return [t.lookup(tf.constant(["lake"]))]


def err_default_shape(tf, files):
    from_keys = tf.constant(["a", "b"])
    h = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(from_keys, tf.constant([1, 2], tf.int64)),
        tf.placeholder_with_default(tf.constant([-1, 2], tf.int64), [None]))
    return [h.lookup(tf.constant(["a"]))]


def err_value_dtype(tf, files):
    return [tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        ["a"], tf.constant([0], tf.int32)), 2).size()]


def err_key_dtype(tf, files):
    return [tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant([1], tf.int32), tf.constant([0], tf.int64)), 2).size()]


def err_no_buckets(tf, files):
    return [tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        ["a"], tf.constant([0], tf.int64)), 0).size()]


def err_lookup_dtype(tf, files):
    t = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a"], [7]), -1)
    return [t.lookup(tf.constant([1.0]))]


def err_default_dtype(tf, files):
    return [tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a"], [1]), "x")
            .size()]


def err_initializer_sizes(tf, files):
    return [tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        ["a", "b"], tf.constant([1], tf.int64)), -1).size()]


def mutable(tf, files):
    m = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1)
    keys = tf.constant(["x", "q", "y"])
    return [m.size(), m.lookup(keys),
            m.insert(tf.constant(["x", "y"]), tf.constant([5, 6], tf.int64)),
            m.lookup(keys), m.size(),
            m.insert(tf.constant(["x", "x"]), tf.constant([7, 8], tf.int64)),
            m.lookup(keys),
            m.remove(tf.constant(["y", "zz"])), m.lookup(keys), m.size(),
            m.insert(tf.constant(["a", "b"]), tf.constant([1], tf.int64))]


def mutable_of_tensors(tf, files):
    m = tf.lookup.experimental.MutableHashTable(tf.int64, tf.float32, [0.0, -1.0])
    return [m.insert(tf.constant([1, 2], tf.int64), tf.constant([[1., 2.], [3., 4.]])),
            m.lookup(tf.constant([[1, 3], [2, 2]], tf.int64)), m.size(),
            m.insert(tf.constant([1, 2], tf.int64), tf.constant([1., 2.]))]


def mutable_export_import(tf, files):
    m = tf.lookup.experimental.MutableHashTable(tf.int64, tf.int64, -1)
    keys, values = m.export()
    order = tf.argsort(keys)
    return [m.insert(tf.constant([3, 1, 2], tf.int64), tf.constant([30, 10, 20], tf.int64)),
            [tf.gather(keys, order), tf.gather(values, order)]]


def dense(tf, files):
    d = tf.lookup.experimental.DenseHashTable(tf.int64, tf.int64, default_value=-1,
                                              empty_key=0, deleted_key=-1,
                                              initial_num_buckets=4)
    k, v = d.export()
    return [d.insert(tf.constant([1, 2, 3, 4, 5, 6, 7], tf.int64),
                     tf.constant([10, 20, 30, 40, 50, 60, 70], tf.int64)),
            [d.size(), d.lookup(tf.constant([7, 8, 3], tf.int64))],
            d.lookup(tf.constant([-1], tf.int64)),
            d.insert(tf.constant([-1], tf.int64), tf.constant([1], tf.int64)),
            d.lookup(tf.constant([0], tf.int64)),
            d.remove(tf.constant([3, 99], tf.int64)), d.size(),
            d.lookup(tf.constant([3, 4], tf.int64)), tf.shape(k)]


def _contrib(tf):
    """TF 1.x's contrib.lookup functions: flowexec's tf.contrib.lookup, or where TF 2 keeps
    them (tensorflow.python.ops.lookup_ops)."""
    if hasattr(tf, "contrib"):
        return tf.contrib.lookup
    from tensorflow.python.ops import lookup_ops

    return lookup_ops


def contrib_index_from_file(tf, files):
    lk = _contrib(tf)
    plain = lk.index_table_from_file(files["vocab"])
    oov = lk.index_table_from_file(files["vocab"], num_oov_buckets=2)
    short = lk.index_table_from_file(files["vocab"], vocab_size=2, default_value=-5)
    numbers = lk.index_table_from_file(files["numbers"], key_dtype=tf.int64,
                                       num_oov_buckets=3)
    strong = lk.index_table_from_file(files["vocab"], num_oov_buckets=4,
                                      hasher_spec=lk.StrongHashSpec([1, 2]))
    columns = lk.index_table_from_file(files["columns"], key_column_index=0,
                                       value_column_index=1, delimiter=" ")
    words = tf.constant(WORDS)
    return [plain.lookup(words), oov.lookup(words), short.lookup(words),
            numbers.lookup(tf.constant([13, 7, 8, 11, -1], tf.int64)), strong.lookup(words),
            columns.lookup(tf.constant(["salad", "brain", "x"])), oov.size()]


def contrib_index_from_tensor(tf, files):
    lk = _contrib(tf)
    strings = lk.index_table_from_tensor(["emerson", "lake", "palmer"], num_oov_buckets=3)
    ints = lk.index_table_from_tensor(tf.constant([10, 20, 30], tf.int64), dtype=tf.int64,
                                      default_value=-7)
    int32 = lk.index_table_from_tensor(tf.constant([10, 20], tf.int32), dtype=tf.int32,
                                       num_oov_buckets=2)
    legacy = lk.index_table_from_tensor(["a"], num_oov_buckets=5,
                                        hasher_spec=lk.HasherSpec("legacy", None))
    return [strings.lookup(tf.constant(WORDS)), ints.lookup(tf.constant([20, 5], tf.int64)),
            int32.lookup(tf.constant([20, 5, 10], tf.int32)),
            legacy.lookup(tf.constant(WORDS)), strings.size()]


def contrib_index_to_string(tf, files):
    lk = _contrib(tf)
    from_file = lk.index_to_string_table_from_file(files["vocab"])
    from_list = lk.index_to_string_table_from_tensor(["a", "b"], default_value="?")
    ids = tf.constant([2, 0, 5, -1], tf.int64)
    return [from_file.lookup(ids), from_list.lookup(ids)]


def contrib_buckets_only(tf, files):
    lk = _contrib(tf)
    table = lk.IdTableWithHashBuckets(None, 6)
    return [table.lookup(tf.constant(WORDS)), table.size()]


def err_contrib_empty_file(tf, files):
    return [_contrib(tf).index_table_from_file("").size()]


def err_contrib_negative_buckets(tf, files):
    return [_contrib(tf).index_table_from_tensor(["a"], num_oov_buckets=-1).size()]


def err_contrib_dtype(tf, files):
    return [_contrib(tf).index_table_from_tensor(["a"], dtype=tf.int64).size()]


def err_contrib_vocab_size(tf, files):
    return [_contrib(tf).index_table_from_file("v.txt", vocab_size=0).size()]


CASES = [static_string_to_int, static_int_to_float, static_int32, static_int_to_string,
         vocab_strings, vocab_one_bucket, vocab_many_buckets, vocab_int64, vocab_int32_lookup,
         text_whole_line, text_columns, text_line_number_key, text_offset, text_vocab_size,
         text_numbers, text_unicode, err_vocab_size_too_big, err_missing_column,
         err_not_an_int, err_no_file, err_default_shape, err_value_dtype, err_key_dtype,
         err_no_buckets, err_lookup_dtype, err_default_dtype, err_initializer_sizes, mutable, mutable_of_tensors,
         mutable_export_import, dense, contrib_index_from_file, contrib_index_from_tensor,
         contrib_index_to_string, contrib_buckets_only, err_contrib_empty_file,
         err_contrib_negative_buckets, err_contrib_dtype, err_contrib_vocab_size]


def write_files(directory):
    files = {}
    for name, text in VOCAB_FILES.items():
        path = os.path.join(directory, name + ".txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        files[name] = path
    return files


def message(e):
    """An error's message after TF's "Node: '...'" line (flowexec's message as is)."""
    lines = getattr(e, "message", str(e)).split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Node: "):
            return lines[i + 1].strip()
    return lines[0].strip()


def plain(value):
    """A fetched value as JSON data (bytes as text)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def run_case(tf, case, files, directory):
    """[{"value": ...} or {"error": type name, "message": ...}]: the initializer's result,
    then each step's; [{"build_error": type name, "message": ...}] when building fails."""
    results = []
    with tf.Graph().as_default():
        try:
            steps = case(tf, files)
        except (TypeError, ValueError) as e:
            return [{"build_error": type(e).__name__, "message": str(e)}]
        with tf.Session() as sess:
            init = tf.tables_initializer()
            try:
                sess.run(init)
                results.append({"value": None})
            except Exception as e:  # noqa: BLE001 -- recorded
                results.append({"error": type(e).__name__,
                                "message": message(e).replace(directory, "{dir}")})
            for step in steps:
                try:
                    results.append({"value": plain(sess.run(step))})
                except Exception as e:  # noqa: BLE001 -- recorded
                    results.append({"error": type(e).__name__,
                                    "message": message(e).replace(directory, "{dir}")})
    return results


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(tmp)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            out = {case.__name__: run_case(tf, case, files, tmp) for case in CASES}
        finally:
            os.chdir(cwd)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"tensorflow_version": tf.__version__, "cases": out}, f, indent=1,
                  ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(out)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
