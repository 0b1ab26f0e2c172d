"""Writes tests/data/tf1/data_experimental/cases.json: tf.data pipelines run by TensorFlow.

Each case is a Python expression building a dataset from `tf` (TensorFlow's
`tf.compat.v1` in graph mode here, `flowexec` in tests/data/test_grouping_fixtures.py);
the fixture records its elements (read to the end through a one-shot iterator), its
output types and shapes, or the error it raises (type and message) when built or read.
The CSV files the cases read are written to tests/data/tf1/data_experimental/csv/.

Run with a TensorFlow install (tf.data semantics of these transformations are TF 1.15's):
    /work/tfvenv/bin/python scripts/make_tf_data_experimental_fixtures.py
"""

import json
import os

import numpy as np
import tensorflow as tf_mod

tf = tf_mod.compat.v1
tf.disable_eager_execution()
tf.data.experimental = tf_mod.data.experimental  # TF 1.15's names, same module

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tf1", "data_experimental",
                   "cases.json")

DATA = os.path.normpath(os.path.join(os.path.dirname(OUT), "csv"))
CSV_FILES = {
    "ok.csv": b'a,b,c\n1,2.5,x\n3,,"y,z"\n',
    "few.csv": b"1,2\n3\n",
    "many.csv": b"1,2,3,4\n",
    "multiline.csv": b'1,"a\nb",3\n4,5,6\n',
    "unquoted_quote.csv": b'1,a"b,3\n',
    "unclosed.csv": b'1,"ab,3\n',
    "unescaped.csv": b'1,"a"b",3\n',
    "escaped.csv": b'1,"a""b",""\n',
    "crlf.csv": b"1,2,3\r\n4,5,6\r\n",
    "cr.csv": b"1,2,3\r4,5,6\r",
    "blank_line.csv": b"1,2,3\n\n4,5,6\n",
    "bad_int.csv": b"x,2,3\n",
    "big.csv": b"99999999999,2,3\n",
    "no_newline.csv": b"1,2,3",
    "trailing_delim.csv": b"1,2,\n",
    "na.csv": b"NA,2,3\n",
    "spaces.csv": b" 1 ,2 , 3.5\n",
    "pipes.csv": b"1|a,b|2.5\n",
    "train.csv": b"a,b,c,label\n1,2.5,x,0\n2,,y,1\n3,3.5,,0\n4,4.5,z,1\n5,1e300,w,0\n",
    "train2.csv": b"a,b,c,label\n6,7,v,1\n99999999999,8,u,0\n",
    "types.csv": b"i,l,f,d,s,e\n1,2,1.5,1e300,x,\n2,99999999999,2,3,4,\n",
}


def path(name):
    return os.path.join(DATA, name)


C = "tf.data.experimental.CsvDataset"
M = "tf.data.experimental.make_csv_dataset"
CSV_CASES = {
    "csv_defaults": f"{C}(path('ok.csv'), [[0], [0.0], ['d']], header=True)",
    "csv_required_missing": f"{C}(path('ok.csv'), [tf.int32, tf.float32, tf.string], "
                            "header=True)",
    "csv_select_cols": f"{C}(path('ok.csv'), [[0], ['q']], header=True, select_cols=[0, 2])",
    "csv_select_unsorted": f"{C}(path('ok.csv'), [['q'], [0]], header=True, "
                           "select_cols=[2, 0])",
    "csv_select_negative": f"{C}(path('ok.csv'), [[0], [0.], ['']], select_cols=[-1, 0, 1])",
    "csv_select_wrong_size": f"{C}(path('ok.csv'), [[0], [0.], ['']], select_cols=[0, 1])",
    "csv_few_fields": f"{C}(path('few.csv'), [[0]] * 3)",
    "csv_many_fields": f"{C}(path('many.csv'), [[0]] * 3)",
    "csv_multiline_quoted": f"{C}(path('multiline.csv'), [[0], [''], ['']])",
    "csv_multiline_no_quotes": f"{C}(path('multiline.csv'), [[0], [''], ['']], "
                               "use_quote_delim=False)",
    "csv_unquoted_quote": f"{C}(path('unquoted_quote.csv'), [[0], [''], [0]])",
    "csv_unclosed_quote": f"{C}(path('unclosed.csv'), [[0], [''], [0]])",
    "csv_unescaped_quote": f"{C}(path('unescaped.csv'), [[0], [''], [0]])",
    "csv_escaped_quote": f"{C}(path('escaped.csv'), [[0], [''], ['e']])",
    "csv_crlf": f"{C}(path('crlf.csv'), [[0]] * 3)",
    "csv_cr": f"{C}(path('cr.csv'), [[0]] * 3)",
    "csv_blank_line": f"{C}(path('blank_line.csv'), [[0]] * 3)",
    "csv_bad_int": f"{C}(path('bad_int.csv'), [[0]] * 3)",
    "csv_int32_overflow": f"{C}(path('big.csv'), [[0]] * 3)",
    "csv_int64": f"{C}(path('big.csv'), [tf.constant([0], tf.int64), [0], [0.]])",
    "csv_float64": f"{C}(path('train.csv'), [[0], tf.constant([0], tf.float64), [''], [0]], "
                   "header=True)",
    "csv_no_final_newline": f"{C}(path('no_newline.csv'), [[0]] * 3)",
    "csv_trailing_delim": f"{C}(path('trailing_delim.csv'), [[0], [0], [7]])",
    "csv_na_value": f"{C}(path('na.csv'), [[-1], [0], [0]], na_value='NA')",
    "csv_spaces": f"{C}(path('spaces.csv'), [[0], [0], [0.]])",
    "csv_field_delim": f"{C}(path('pipes.csv'), [[0], [''], [0.]], field_delim='|')",
    "csv_bad_delim": f"{C}(path('ok.csv'), [['']] * 3, field_delim='ab')",
    "csv_bad_buffer": f"{C}(path('ok.csv'), [['']] * 3, buffer_size=0)",
    "csv_two_files": f"{C}([path('ok.csv'), path('ok.csv')], [[0], [0.0], ['d']], "
                     "header=True)",
    "csv_missing_file": f"{C}(path('nothing_here.csv'), [[0]])",
    "csv_map_batch": f"{C}(path('train.csv'), [[0], [0.], [''], [0]], header=True)"
                     ".map(lambda a, b, c, l: (a + l, c)).batch(2)",
    "make_csv_label": f"{M}(path('train.csv'), 2, label_name='label', num_epochs=1, "
                      "shuffle=False)",
    "make_csv_no_label": f"{M}(path('train.csv'), 3, num_epochs=1, shuffle=False)",
    "make_csv_select_columns": f"{M}(path('train.csv'), 2, select_columns=['c', 'a'], "
                               "num_epochs=1, shuffle=False)",
    "make_csv_select_indices": f"{M}(path('train.csv'), 2, select_columns=[3, 1], "
                               "label_name='label', num_epochs=1, shuffle=False)",
    "make_csv_column_defaults": f"{M}(path('train.csv'), 2, column_defaults=[tf.int64, [-1.], "
                                "['?'], [0]], label_name='label', num_epochs=1, shuffle=False)",
    "make_csv_column_names": f"{M}(path('few.csv'), 1, column_names=['p', 'q'], header=False, "
                             "column_defaults=[[0], [-1]], num_epochs=1, shuffle=False)",
    "make_csv_repeat_static_batch": f"{M}(path('train.csv'), 2, label_name='label', "
                                    "shuffle=False).take(4)",
    "make_csv_epochs": f"{M}(path('train.csv'), 4, label_name='label', num_epochs=2, "
                       "shuffle=False)",
    "make_csv_two_files_inferred": f"{M}(path('train*.csv'), 3, label_name='label', "
                                   "num_epochs=1, shuffle=False)",
    "make_csv_type_inference": f"{M}(path('types.csv'), 2, num_epochs=1, shuffle=False)",
    "make_csv_na_value": f"{M}(path('train.csv'), 5, na_value='x', num_epochs=1, "
                         "shuffle=False)",
    "make_csv_parallel_reads": f"{M}(path('train*.csv'), 2, num_parallel_reads=2, "
                               "num_epochs=1, shuffle=False, label_name='label')",
    "make_csv_bad_label": f"{M}(path('train.csv'), 2, label_name='nope')",
    "make_csv_no_header_no_names": f"{M}(path('train.csv'), 2, header=False)",
    "make_csv_duplicate_names": f"{M}(path('few.csv'), 2, column_names=['p', 'p'], "
                                "header=False)",
    "make_csv_bad_select_name": f"{M}(path('train.csv'), 2, select_columns=['zz'])",
    "make_csv_bad_select_index": f"{M}(path('train.csv'), 2, select_columns=[9])",
    "make_csv_duplicate_select": f"{M}(path('train.csv'), 2, select_columns=[1, 'b'])",
    "make_csv_defaults_vs_select": f"{M}(path('train.csv'), 2, select_columns=[0, 1], "
                                   "column_defaults=[[0]])",
}

FEATURES = "{'x': tf.FixedLenFeature([2], tf.float32), 'y': tf.FixedLenFeature([], tf.int64)}"
SEQ = "{'s': tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True), " \
      "'y': tf.FixedLenFeature([], tf.int64, default_value=-1)}"
B = "tf.data.experimental.make_batched_features_dataset"
PARSE_CASES = {
    "batched_features_label": f"{B}(path('ex.tfrecord'), 2, {FEATURES}, label_key='y', "
                              "num_epochs=1, shuffle=False)",
    "batched_features_forever": f"{B}(path('ex.tfrecord'), 2, {FEATURES}, shuffle=False)"
                                ".take(4)",
    "batched_features_drop_final": f"{B}(path('ex.tfrecord'), 2, {FEATURES}, num_epochs=1, "
                                   "shuffle=False, drop_final_batch=True)",
    "batched_features_defaults": f"{B}(path('ex.tfrecord'), 2, {SEQ}, label_key='y', "
                                 "num_epochs=2, shuffle=False)",
    "parse_example_dataset_dense": "tf.data.TFRecordDataset(path('ex.tfrecord')).batch(3)"
                                   f".apply(tf.data.experimental.parse_example_dataset("
                                   f"{FEATURES}))",
    "parse_example_dataset_sequence": "tf.data.TFRecordDataset(path('ex.tfrecord')).batch(2)"
                                      f".apply(tf.data.experimental.parse_example_dataset("
                                      f"{SEQ}))",
}


def _write_examples():
    with tf_mod.io.TFRecordWriter(path("ex.tfrecord")) as w:
        for i in range(5):
            feature = {
                "x": tf_mod.train.Feature(float_list=tf_mod.train.FloatList(
                    value=[i, i + 0.5])),
                "s": tf_mod.train.Feature(int64_list=tf_mod.train.Int64List(
                    value=list(range(i % 3)))),
            }
            if i != 3:
                feature["y"] = tf_mod.train.Feature(
                    int64_list=tf_mod.train.Int64List(value=[10 * i]))
            w.write(tf_mod.train.Example(features=tf_mod.train.Features(
                feature=feature)).SerializeToString())


E = "tf.data.experimental"
LENGTHS = "tf.data.Dataset.from_tensor_slices([1, 3, 5, 2, 7, 4, 4, 1, 6, 2]).map(" \
          "lambda n: tf.fill([n], n))"
CASES = {
    # scan
    "scan_running_sum": f"tf.data.Dataset.range(7).apply({E}.scan(np.int64(0), "
                        "lambda s, x: (s + x, s)))",
    "scan_tuple_output": f"tf.data.Dataset.range(5).apply({E}.scan((np.int64(1), 0.5), "
                         "lambda s, x: ((s[0] * 2, s[1] + 1.0), {'a': s[0] + x, 'b': s[1]})))",
    "scan_relaxes_state_shape": f"tf.data.Dataset.range(4).apply({E}.scan(tf.constant([0], "
                                "tf.int64), lambda s, x: (tf.concat([s, [x]], 0), "
                                "tf.reduce_sum(s))))",
    "scan_tuple_elements": "tf.data.Dataset.from_tensor_slices(([1, 2, 3], [10, 20, 30]))"
                           f".apply({E}.scan(0, lambda s, ab: (s + ab[0] * ab[1], s)))",
    # take_while
    "take_while_stops_at_first_false": "tf.data.Dataset.from_tensor_slices([1, 2, 5, 1, 2])"
                                       f".apply({E}.take_while(lambda x: x < 4))",
    "take_while_all_true": f"tf.data.Dataset.range(4).apply({E}.take_while("
                           "lambda x: x < 100))",
    "take_while_tuple": "tf.data.Dataset.from_tensor_slices(([1, 2, 3], [b'a', b'b', b'c']))"
                        f".apply({E}.take_while(lambda x, s: tf.not_equal(s, b'c')))",
    # unique
    "unique_int32": f"tf.data.Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).apply({E}"
                    ".unique())",
    "unique_strings": "tf.data.Dataset.from_tensor_slices([b'foo', b'bar', b'foo', b'baz'])"
                      f".apply({E}.unique())",
    "unique_vectors": f"tf.data.Dataset.from_tensor_slices(np.array([[1, 2], [1, 2], [2, 1]], "
                      f"np.int64)).apply({E}.unique())",
    # group_by_window
    "group_by_window_parity": f"tf.data.Dataset.range(10).apply({E}.group_by_window("
                              "lambda x: x % 2, lambda k, w: w.batch(5), 5))",
    "group_by_window_flushes_in_key_order": "tf.data.Dataset.from_tensor_slices(np.array("
                                            "[3, 1, 2, 3, 1, 5, 0], np.int64)).apply("
                                            f"{E}.group_by_window(lambda x: x, "
                                            "lambda k, w: w.batch(5), 5))",
    "group_by_window_size_func": f"tf.data.Dataset.range(12).apply({E}.group_by_window("
                                 "lambda x: x % 3, lambda k, w: w.batch(10).map("
                                 "lambda b: (k, b)), window_size_func=lambda k: k + 1))",
    "group_by_window_tuple": "tf.data.Dataset.from_tensor_slices(([1, 2, 3, 4], [1., 2., 3., "
                             f"4.])).apply({E}.group_by_window(lambda a, b: tf.cast(a % 2, "
                             "tf.int64), lambda k, w: w.batch(2), 2))",
    "group_by_window_bad_size": f"tf.data.Dataset.range(4).apply({E}.group_by_window("
                                "lambda x: x % 2, lambda k, w: w.batch(2), "
                                "window_size_func=lambda k: k - 1))",
    # group_by_reducer
    "group_by_reducer_sum": "tf.data.Dataset.from_tensor_slices(np.array([3, 1, 2, 3, 1, 5, "
                            f"0], np.int64)).apply({E}.group_by_reducer(lambda x: x, "
                            f"{E}.Reducer(lambda k: np.int64(0), lambda s, x: s + x, "
                            "lambda s: s)))",
    "group_by_reducer_mean": f"tf.data.Dataset.range(10).apply({E}.group_by_reducer("
                             f"lambda x: x % 3, {E}.Reducer(lambda k: (0.0, 0.0), "
                             "lambda s, x: (s[0] + tf.cast(x, tf.float32), s[1] + 1.0), "
                             "lambda t, n: t / n)))",
    "group_by_reducer_concat": f"tf.data.Dataset.range(9).apply({E}.group_by_reducer("
                               f"lambda x: x % 2, {E}.Reducer(lambda k: tf.zeros([0], "
                               "tf.int64), lambda s, x: tf.concat([s, [x]], 0), "
                               "lambda s: s)))",
    # bucket_by_sequence_length
    "bucket_padded": f"{LENGTHS}.apply({E}.bucket_by_sequence_length(lambda x: tf.shape(x)[0],"
                     " [3, 5], [2, 2, 2]))",
    "bucket_pad_to_boundary": f"{LENGTHS}.filter(lambda x: tf.shape(x)[0] < 7).apply({E}"
                              ".bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 7], "
                              "[2, 3, 2], pad_to_bucket_boundary=True))",
    "bucket_pad_to_boundary_too_long": f"{LENGTHS}.apply({E}.bucket_by_sequence_length("
                                       "lambda x: tf.shape(x)[0], [3, 5], [2, 2, 2], "
                                       "pad_to_bucket_boundary=True))",
    "bucket_drop_remainder": f"{LENGTHS}.apply({E}.bucket_by_sequence_length("
                             "lambda x: tf.shape(x)[0], [3, 5], [2, 2, 3], "
                             "drop_remainder=True))",
    "bucket_no_padding": "tf.data.Dataset.range(10).apply("
                         f"{E}.bucket_by_sequence_length(lambda x: tf.cast(x, tf.int32), "
                         "[3, 6], [2, 3, 4], no_padding=True))",
    "bucket_padding_values": f"{LENGTHS}.map(lambda x: (x, tf.shape(x)[0])).apply({E}"
                             ".bucket_by_sequence_length(lambda x, n: n, [4], [3, 3], "
                             "padded_shapes=([None], []), padding_values=(-1, 0)))",
    # window
    "window_shift": "tf.data.Dataset.range(7).window(3, 2).flat_map(lambda w: w.batch(5))",
    "window_shift_1": "tf.data.Dataset.range(5).window(3, 1).flat_map(lambda w: w.batch(5))",
    "window_stride": "tf.data.Dataset.range(7).window(3, 1, 2).flat_map(lambda w: w.batch(5))",
    "window_big_shift": "tf.data.Dataset.range(7).window(2, 5).flat_map(lambda w: w.batch(5))",
    "window_drop_remainder": "tf.data.Dataset.range(8).window(3, 2, drop_remainder=True)"
                             ".flat_map(lambda w: w.batch(5))",
    "window_default_shift": "tf.data.Dataset.range(7).window(3).flat_map(lambda w: w.batch(5))",
    "window_zip": "tf.data.Dataset.from_tensor_slices(([1, 2, 3], [[1., 2.], [3., 4.], [5., "
                  "6.]])).window(2).flat_map(lambda a, b: tf.data.Dataset.zip((a, b))"
                  ".batch(2))",
    "window_dict": "tf.data.Dataset.from_tensor_slices({'x': [1, 2, 3, 4, 5]}).window(2, 2)"
                   ".flat_map(lambda d: d['x'].batch(2))",
    "window_interleave": "tf.data.Dataset.range(6).window(2).interleave("
                         "lambda w: w.map(lambda x: x * 10), cycle_length=2)",
    "window_zero_size": "tf.data.Dataset.range(7).window(0).flat_map(lambda w: w.batch(5))",
    "window_zero_shift": "tf.data.Dataset.range(7).window(2, 0).flat_map(lambda w: w.batch(5))",
    "window_zero_stride": "tf.data.Dataset.range(7).window(2, 1, 0).flat_map("
                          "lambda w: w.batch(5))",
    "window_cardinality": "tf.data.Dataset.from_tensors(tf.data.experimental.cardinality("
                          "tf.data.Dataset.range(7).window(3, 2, drop_remainder=True)))",
    "window_cardinality_keep": "tf.data.Dataset.from_tensors(tf.data.experimental.cardinality("
                               "tf.data.Dataset.range(7).window(3, 2)))",
}


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _message(text):
    """The kernel's own message: TF 2 wraps it in "Graph execution error" and node lines."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("\t [[") and i:
            return lines[i - 1].strip()
    return lines[0]


def record(src):
    with tf.Graph().as_default():
        try:
            ds = eval(src)  # noqa: S307 - the fixture's own case expressions
        except (TypeError, ValueError) as e:
            return {"build_error": [type(e).__name__, str(e)]}
        out = {"types": plain(tf_mod.nest.map_structure(
                   lambda t: t.name, tf.data.get_output_types(ds))),
               "shapes": plain(tf_mod.nest.map_structure(
                   lambda s: s.as_list() if s.ndims is not None else None,
                   tf.data.get_output_shapes(ds))), "values": []}
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            while True:
                try:
                    out["values"].append(plain(sess.run(nxt)))
                except tf_mod.errors.OutOfRangeError:
                    break
                except tf_mod.errors.OpError as e:
                    # file names in messages are written relative to the fixture's csv/
                    out["run_error"] = [type(e).__name__,
                                        _message(e.message).replace(DATA, "<DATA>")]
                    break
        return out


def main():
    os.makedirs(DATA, exist_ok=True)
    for name, data in CSV_FILES.items():
        with open(path(name), "wb") as f:
            f.write(data)
    _write_examples()
    every = {**CASES, **CSV_CASES, **PARSE_CASES}
    cases = {name: {"src": src, **record(src)} for name, src in every.items()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
