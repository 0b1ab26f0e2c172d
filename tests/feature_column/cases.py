"""The feature-column cases shared by scripts/make_tf_feature_column_fixtures.py (run on
TensorFlow's tf.compat.v1) and the tests (run on flowexec): each builder gets the `tf`
module, the feature-column module `fc` and the data folder, and returns (features,
columns) built in the default graph, so both libraries build exactly the same thing.

`run_case` builds one case, sets every variable to a deterministic value where asked, and
returns what the fixtures record: the output, the variables (names, shapes, collections)
and cols_to_vars.
"""

import os

import numpy as np

DATA_DIR = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "feature_column")


def _table(rows, cols, scale=0.1):
    return (np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) * scale - 0.5)


def _sp(tf, indices, values, shape):
    return tf.SparseTensor(indices=indices, values=values, dense_shape=shape)


# ----- input_layer cases: (features, columns) -------------------------------------------
def il_numeric(tf, fc, d):
    return ({"price": [[1.0], [5.0], [-2.5]], "dims": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
             "count": tf.constant([[3], [4], [5]], tf.int64), "rank1": [7.0, 8.0, 9.0]},
            [fc.numeric_column("price", normalizer_fn=lambda x: (x - 3.0) / 4.0),
             fc.numeric_column("dims", shape=(2,)),
             fc.numeric_column("count", dtype=tf.int64, default_value=0),
             fc.numeric_column("rank1")])


def il_numeric_matrix(tf, fc, d):
    return ({"m": np.arange(12, dtype=np.float32).reshape(2, 2, 3)},
            [fc.numeric_column("m", shape=(2, 3))])


def il_bucketized(tf, fc, d):
    return ({"age": [[-1.0, 30.0], [2.0, 0.0], [3.5, 100.0], [10.0, 4.0]],
             "x": tf.constant([[0], [2], [3], [9]], tf.int32)},
            [fc.bucketized_column(fc.numeric_column("age", shape=(2,)), [0.0, 2.0, 4.0, 50.0]),
             fc.bucketized_column(fc.numeric_column("x", dtype=tf.int32), [1, 3])])


def il_indicators(tf, fc, d):
    return ({"ident": _sp(tf, [[0, 0], [1, 0], [1, 1], [2, 0]], [1, 2, 2, 4], [3, 2]),
             "hashed": tf.constant([["omar", ""], ["stringer", "marlo"], ["", ""]]),
             "vocab": tf.constant([["a", "zz"], ["c", ""], ["q", "b"]]),
             "ivocab": tf.constant([[10, -1], [30, 20], [99, -1]], tf.int64)},
            [fc.indicator_column(fc.categorical_column_with_identity("ident", 5)),
             fc.indicator_column(fc.categorical_column_with_hash_bucket("hashed", 7)),
             fc.indicator_column(fc.categorical_column_with_vocabulary_list(
                 "vocab", ["a", "b", "c"], num_oov_buckets=3)),
             fc.indicator_column(fc.categorical_column_with_vocabulary_list(
                 "ivocab", [10, 20, 30], dtype=tf.int64, default_value=1))])


def il_vocab_file(tf, fc, d):
    path = os.path.join(d, "vocab.txt")
    return ({"f1": tf.constant([["apple", "kiwi"], ["pear", ""], ["fig", "apple"]]),
             "f2": tf.constant([["banana"], ["durian"], ["lime"]])},
            [fc.indicator_column(fc.categorical_column_with_vocabulary_file(
                "f1", path, num_oov_buckets=4)),
             fc.indicator_column(fc.categorical_column_with_vocabulary_file(
                 "f2", path, vocabulary_size=3, default_value=0))])


def il_weighted_indicator(tf, fc, d):
    ids = _sp(tf, [[0, 0], [0, 1], [1, 0], [2, 0]], [0, 2, 2, 1], [3, 2])
    w = _sp(tf, [[0, 0], [0, 1], [1, 0], [2, 0]], [0.5, 2.0, 3.0, -1.0], [3, 2])
    return ({"ids": ids, "w": w},
            [fc.indicator_column(fc.weighted_categorical_column(
                fc.categorical_column_with_identity("ids", 3), "w"))])


def il_crossed_indicator(tf, fc, d):
    b = fc.bucketized_column(fc.numeric_column("n"), [0.0, 1.0])
    return ({"s": _sp(tf, [[0, 0], [0, 1], [1, 0]], ["x", "y", "z"], [3, 2]),
             "n": [[-1.0], [0.5], [3.0]],
             "t": tf.constant([["p"], ["q"], ["r"]])},
            [fc.indicator_column(fc.crossed_column(["s", b], 13)),
             fc.indicator_column(fc.crossed_column(["t", "s", b], 17, hash_key=12345))])


def _embedding_features(tf):
    return {"ids": _sp(tf, [[0, 0], [0, 1], [1, 0], [3, 0], [3, 1], [3, 2]],
                       [1, 4, 2, 0, 0, 3], [4, 3]),
            "w": _sp(tf, [[0, 0], [0, 1], [1, 0], [3, 0], [3, 1], [3, 2]],
                     [1.0, 3.0, 2.0, 0.5, 0.25, 2.0], [4, 3])}


def il_embedding_combiners(tf, fc, d):
    def ident(key):
        return fc.categorical_column_with_identity(key, 5)

    init = tf.constant_initializer(_table(5, 3))
    feats = _embedding_features(tf)
    feats["ids2"], feats["ids3"] = feats["ids"], feats["ids"]
    return (feats,
            [fc.embedding_column(ident("ids"), 3, combiner="mean", initializer=init),
             fc.embedding_column(ident("ids2"), 3, combiner="sqrtn", initializer=init),
             fc.embedding_column(ident("ids3"), 3, combiner="sum", initializer=init)])


def il_embedding_weighted(tf, fc, d):
    init = tf.constant_initializer(_table(5, 2, 0.3))
    feats = _embedding_features(tf)
    feats["wsum"] = feats["w"]
    col = fc.categorical_column_with_identity("ids", 5)
    return (feats,
            [fc.embedding_column(fc.weighted_categorical_column(col, "w"), 2,
                                 combiner="sqrtn", initializer=init),
             fc.embedding_column(fc.weighted_categorical_column(
                 fc.categorical_column_with_identity("ids", 5), "wsum"), 2, combiner="sum",
                 initializer=init)])


def il_embedding_max_norm_hash(tf, fc, d):
    return ({"ids": _sp(tf, [[0, 0], [1, 0], [1, 1]], [1, 4, 2], [3, 2]),
             "words": tf.constant([["the", "cat"], ["sat", ""], ["", ""]])},
            [fc.embedding_column(fc.categorical_column_with_identity("ids", 5), 3,
                                 max_norm=1.0, initializer=tf.constant_initializer(
                                     _table(5, 3, 0.7))),
             fc.embedding_column(fc.categorical_column_with_hash_bucket("words", 6), 2,
                                 initializer=tf.constant_initializer(_table(6, 2)),
                                 trainable=False)])


def il_embedding_crossed_bucketized(tf, fc, d):
    b = fc.bucketized_column(fc.numeric_column("n"), [0.0, 1.0])
    return ({"s": tf.constant([["x"], ["y"], ["z"]]), "n": [[-1.0], [0.5], [3.0]]},
            [fc.embedding_column(fc.crossed_column(["s", b], 11), 2,
                                 initializer=tf.constant_initializer(_table(11, 2))),
             fc.embedding_column(b, 2, initializer=tf.constant_initializer(_table(3, 2)))])


def il_shared_embedding(tf, fc, d):
    a = fc.categorical_column_with_identity("aaa", 4)
    b = fc.categorical_column_with_identity("bbb", 4)
    shared = fc.shared_embedding_columns(
        [b, a], 2, initializer=tf.constant_initializer(_table(4, 2)), combiner="sum")
    return ({"aaa": _sp(tf, [[0, 0], [1, 0], [1, 1]], [0, 3, 1], [2, 2]),
             "bbb": _sp(tf, [[0, 0], [0, 1]], [2, 2], [2, 2])}, shared)


def il_mixed_sorted(tf, fc, d):
    z = fc.numeric_column("zeta")
    a = fc.embedding_column(fc.categorical_column_with_vocabulary_list(
        "alpha", ["u", "v"]), 2, initializer=tf.constant_initializer(_table(2, 2)))
    m = fc.indicator_column(fc.categorical_column_with_identity("mu", 3))
    return ({"zeta": [[1.0], [2.0]], "alpha": tf.constant([["v"], ["w"]]),
             "mu": tf.constant([[2], [-1]], tf.int64)}, [z, m, a])


def il_partitioned(tf, fc, d):
    return ({"ids": _sp(tf, [[0, 0], [1, 0], [1, 1], [2, 0]], [0, 6, 3, 5], [3, 2])},
            [fc.embedding_column(fc.categorical_column_with_identity("ids", 7), 2,
                                 initializer=tf.zeros_initializer())])


INPUT_LAYER = {
    "numeric": (il_numeric, {}),
    "numeric_matrix": (il_numeric_matrix, {}),
    "bucketized": (il_bucketized, {}),
    "indicators": (il_indicators, {}),
    "vocab_file": (il_vocab_file, {}),
    "weighted_indicator": (il_weighted_indicator, {}),
    "crossed_indicator": (il_crossed_indicator, {}),
    "embedding_combiners": (il_embedding_combiners, {}),
    "embedding_weighted": (il_embedding_weighted, {}),
    "embedding_max_norm_hash": (il_embedding_max_norm_hash, {}),
    "embedding_crossed_bucketized": (il_embedding_crossed_bucketized, {}),
    "shared_embedding": (il_shared_embedding, {}),
    "mixed_sorted": (il_mixed_sorted, {"weight_collections": ["my_weights"]}),
    "partitioned": (il_partitioned, {"partitioned": 2, "reassign": True}),
    "not_trainable": (il_embedding_max_norm_hash, {"trainable": False}),
}


# ----- linear_model cases ---------------------------------------------------------------
def lm_features(tf):
    return {"price": [[1.0], [5.0], [-2.0]],
            "ids": _sp(tf, [[0, 0], [0, 1], [2, 0]], [1, 2, 0], [3, 2]),
            "w": _sp(tf, [[0, 0], [0, 1], [2, 0]], [2.0, 0.5, 4.0], [3, 2]),
            "words": tf.constant([["the", "cat"], ["", ""], ["sat", "mat"]]),
            "color": tf.constant([["R"], ["G"], ["purple"]])}


def lm_all(tf, fc, d):
    price = fc.numeric_column("price")
    return (lm_features(tf),
            [fc.bucketized_column(price, [0.0, 2.0]), price,
             fc.categorical_column_with_identity("ids", 3),
             fc.categorical_column_with_hash_bucket("words", 5),
             fc.categorical_column_with_vocabulary_list("color", ["R", "G", "B"],
                                                        num_oov_buckets=2),
             fc.crossed_column(["color", "words"], 7)])


def lm_weighted(tf, fc, d):
    return (lm_features(tf),
            [fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 3), "w"),
             fc.embedding_column(fc.categorical_column_with_hash_bucket("words", 5), 2,
                                 initializer=tf.constant_initializer(_table(5, 2)))])


LINEAR_MODEL = {
    "all_sum_units1": (lm_all, {"units": 1}),
    "all_mean_units3": (lm_all, {"units": 3, "sparse_combiner": "mean"}),
    "all_sqrtn_units2": (lm_all, {"units": 2, "sparse_combiner": "sqrtn"}),
    "weighted_units2": (lm_weighted, {"units": 2, "weight_collections": ["my_weights"]}),
    "weighted_mean": (lm_weighted, {"units": 1, "sparse_combiner": "mean"}),
}


# ----- categorical id cases: (features, categorical column) ------------------------------
def ids_hash_strings(tf, fc, d):
    return ({"s": tf.constant([["hello", "world"], ["", "tensorflow"], ["flowexec", ""]])},
            fc.categorical_column_with_hash_bucket("s", 1000003))


def ids_hash_ints(tf, fc, d):
    return ({"i": tf.constant([[12, -1], [0, 987654321], [-5, 3]], tf.int64)},
            fc.categorical_column_with_hash_bucket("i", 97, dtype=tf.int64))


def ids_vocab_oov(tf, fc, d):
    return ({"v": _sp(tf, [[0, 0], [1, 0], [1, 1], [2, 3]], ["b", "nope", "a", "zzz"],
                      [3, 4])},
            fc.categorical_column_with_vocabulary_list("v", ["a", "b"], num_oov_buckets=50))


def ids_int_vocab_oov(tf, fc, d):
    return ({"v": tf.constant([[7, 8], [123, -1], [42, 7]], tf.int32)},
            fc.categorical_column_with_vocabulary_list("v", [7, 8], dtype=tf.int32,
                                                       num_oov_buckets=13))


def ids_vocab_file_oov(tf, fc, d):
    return ({"f": tf.constant([["apple", "mango"], ["lime", "kiwi"]])},
            fc.categorical_column_with_vocabulary_file("f", os.path.join(d, "vocab.txt"),
                                                       num_oov_buckets=100))


def ids_int_vocab_file(tf, fc, d):
    return ({"f": tf.constant([[30], [10], [77]], tf.int64)},
            fc.categorical_column_with_vocabulary_file("f", os.path.join(d, "ivocab.txt"),
                                                       dtype=tf.int64, num_oov_buckets=5))


def ids_identity_default(tf, fc, d):
    return ({"i": tf.constant([[0, 9], [-1, 3], [4, 2]], tf.int64)},
            fc.categorical_column_with_identity("i", 5, default_value=0))


def ids_crossed_default_key(tf, fc, d):
    return ({"a": _sp(tf, [[0, 0], [0, 1], [1, 0]], ["x", "y", "z"], [2, 2]),
             "b": _sp(tf, [[0, 0], [1, 0], [1, 1]], ["p", "q", "r"], [2, 2])},
            fc.crossed_column(["a", "b"], 1000))


def ids_crossed_nested(tf, fc, d):
    vocab = fc.categorical_column_with_vocabulary_list("c", ["u", "v", "w"])
    b = fc.bucketized_column(fc.numeric_column("n"), [0.0, 10.0])
    inner = fc.crossed_column(["a", vocab], 50)
    return ({"a": tf.constant([["x", "y"], ["z", "x"]]), "c": tf.constant([["v"], ["w"]]),
             "n": [[5.0], [20.0]]},
            fc.crossed_column([inner, b], 100000, hash_key=7))


def ids_crossed_ints(tf, fc, d):
    return ({"i": tf.constant([[3, 4], [5, 6]], tf.int64),
             "s": tf.constant([["k"], ["m"]])},
            fc.crossed_column(["i", "s"], 10 ** 9))


def ids_bucketized(tf, fc, d):
    return ({"n": [[-1.0, 0.0], [1.0, 8.0]]},
            fc.bucketized_column(fc.numeric_column("n", shape=(2,)), [0.0, 1.0, 5.0]))


IDS = {
    "hash_strings": ids_hash_strings,
    "hash_ints": ids_hash_ints,
    "vocab_oov": ids_vocab_oov,
    "int_vocab_oov": ids_int_vocab_oov,
    "vocab_file_oov": ids_vocab_file_oov,
    "int_vocab_file": ids_int_vocab_file,
    "identity_default": ids_identity_default,
    "crossed_default_key": ids_crossed_default_key,
    "crossed_nested": ids_crossed_nested,
    "crossed_ints": ids_crossed_ints,
    "bucketized": ids_bucketized,
}


# ----- sequence cases (sequence_input_layer) ----------------------------------------------
def seq_case(tf, fc, d):
    ids = _sp(tf, [[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 1]], [1, 2, 0, 3], [2, 2, 2])
    nums = _sp(tf, [[0, 0], [0, 1], [1, 0]], [1.5, 2.5, -1.0], [2, 2])
    return ({"ids": ids, "nums": nums},
            [fc.embedding_column(fc.sequence_categorical_column_with_identity("ids", 4), 2,
                                 initializer=tf.constant_initializer(_table(4, 2))),
             fc.indicator_column(fc.sequence_categorical_column_with_identity("ids", 4))])


def values_for(shape, index):
    """The deterministic value a case sets its index-th variable (by name) to."""
    n = int(np.prod(shape))
    return (((np.arange(n) * 7 + 3 * index) % 11 - 5) * 0.125).astype(np.float32).reshape(shape)


def _var_names(tf, key):
    return sorted(v.name for v in tf.get_collection(key))


def run_case(tf, fc, kind, name, builder_cls=None):
    """Builds and runs one case in a fresh graph; returns (arrays, metadata)."""
    graph = tf.Graph()
    with graph.as_default():
        if kind == "ids":
            features, column = IDS[name](tf, fc, DATA_DIR)
            ids = column._get_sparse_tensors(builder_cls(features)).id_tensor
            with tf.Session() as sess:
                sess.run(tf.tables_initializer())
                v = sess.run(ids)
            return ({"indices": np.asarray(v.indices), "values": np.asarray(v.values),
                     "dense_shape": np.asarray(v.dense_shape)}, {"name": column.name,
                                                                 "num_buckets":
                                                                     column._num_buckets})
        table = INPUT_LAYER if kind == "input_layer" else LINEAR_MODEL
        fn, kwargs = table[name]
        kwargs = dict(kwargs)
        partitioned = kwargs.pop("partitioned", None)
        reassign = kwargs.pop("reassign", kind == "linear_model")
        features, columns = fn(tf, fc, DATA_DIR)
        cols_to_vars = {}
        if kind == "input_layer":
            cols_to_out = {}
            if partitioned:
                with tf.variable_scope("part", partitioner=tf.fixed_size_partitioner(
                        partitioned)):
                    out = fc.input_layer(features, columns, cols_to_vars=cols_to_vars,
                                         cols_to_output_tensors=cols_to_out, **kwargs)
            else:
                out = fc.input_layer(features, columns, cols_to_vars=cols_to_vars,
                                     cols_to_output_tensors=cols_to_out, **kwargs)
        else:
            out = fc.linear_model(features, columns, cols_to_vars=cols_to_vars, **kwargs)
        variables = list(tf.global_variables())
        assigns = []
        if reassign:
            for i, v in enumerate(sorted(variables, key=lambda v: v.name)):
                assigns.append(tf.assign(v, values_for(v.get_shape().as_list(), i)))
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            if assigns:
                sess.run(assigns)
            value = sess.run(out)
            var_values = sess.run(variables)
        meta = {
            "variables": [[v.name, v.get_shape().as_list()] for v in variables],
            "trainable": _var_names(tf, tf.GraphKeys.TRAINABLE_VARIABLES),
            "model": _var_names(tf, tf.GraphKeys.MODEL_VARIABLES),
            "cols_to_vars": {(k if isinstance(k, str) else k.name): sorted(
                x.name for x in vs) for k, vs in cols_to_vars.items()},
            "out_shape": list(np.shape(value)),
            "column_names": sorted(c.name for c in columns),
        }
        for key in kwargs.get("weight_collections", []):
            meta["collection:" + key] = _var_names(tf, key)
        arrays = {"out": np.asarray(value)}
        for v, val in zip(variables, var_values):
            arrays["var:" + v.name] = np.asarray(val)
        return arrays, meta


def run_sequence_case(tf, fc, sequence_input_layer):
    graph = tf.Graph()
    with graph.as_default():
        features, columns = seq_case(tf, fc, DATA_DIR)
        out, length = sequence_input_layer(features, columns)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o, n = sess.run([out, length])
        return ({"out": np.asarray(o), "length": np.asarray(n)},
                {"variables": [[v.name, v.get_shape().as_list()]
                               for v in tf.global_variables()]})
