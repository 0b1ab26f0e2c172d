"""tf.lookup tables against TensorFlow: each program of scripts/make_tf_lookup_fixtures.py
runs on flowexec and must give TF's recorded values and errors (tests/data/tf1/lookup/);
then behaviours the fixtures do not cover (sessions, sharing, dtypes, shapes, export)."""

import importlib.util
import json
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec import errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "make_tf_lookup_fixtures", os.path.join(ROOT, "scripts", "make_tf_lookup_fixtures.py"))
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

with open(os.path.join(ROOT, "tests", "data", "tf1", "lookup", "lookup.json"),
          encoding="utf-8") as _f:
    RECORDED = json.load(_f)["cases"]

# Where TF 2's wording differs from TF 1.x's (which flowexec keeps).
TF1_WORDING = {"Expected int32, but got x of type 'str'.":
               "Expected int32, got 'x' of type 'str' instead."}


@pytest.fixture
def vocab_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return str(tmp_path), fixtures.write_files(str(tmp_path))


@pytest.mark.parametrize("case", fixtures.CASES, ids=lambda c: c.__name__)
def test_matches_tensorflow(case, vocab_dir):
    directory, files = vocab_dir
    got = fixtures.run_case(tf, case, files, directory)
    want = RECORDED[case.__name__]
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        if "value" in w:
            assert "value" in g, g
            np.testing.assert_equal(g["value"], w["value"])
        else:
            kind = "build_error" if "build_error" in w else "error"
            assert g.get(kind) == w[kind], g
            if w[kind] == "ValueError" and "Dimensions must be equal" in w["message"]:
                # TF's NodeDef text differs; the shapes and the op must be named
                assert g["message"].startswith("Dimensions must be equal, but are 2 and 1")
                assert "key_value_init/LookupTableImportV2" in g["message"]
            else:  # shapes print as TF 1.x printed them: (?,) where TF 2 says (None,)
                want_message = TF1_WORDING.get(w["message"], w["message"])
                assert g["message"] == want_message.replace("None", "?")


def _init_table(keys=("a", "b"), values=(1, 2)):
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(list(keys), tf.constant(values, tf.int64)), -1)


def test_each_session_has_its_own_table():
    table = _init_table()
    ids = table.lookup(tf.constant(["b"]))
    with tf.Session() as one, tf.Session() as two:
        one.run(table.initializer)
        assert one.run(ids).tolist() == [2]
        with pytest.raises(errors.FailedPreconditionError, match="Table not initialized"):
            two.run(ids)
        two.run(table.initializer)
        assert two.run(ids).tolist() == [2]


def test_failed_lookup_leaves_session_usable():
    table = _init_table()
    ids = table.lookup(tf.constant(["a", "q"]))
    with tf.Session() as sess:
        with pytest.raises(errors.FailedPreconditionError) as info:
            sess.run(ids)
        assert "LookupTableFindV2" in str(info.value)
        sess.run(tf.tables_initializer())
        assert sess.run(ids).tolist() == [1, -1]


def test_lookup_of_fed_keys_and_static_shapes():
    table = _init_table()
    keys = tf.placeholder(tf.string, [None, 3])
    ids = table.lookup(keys)
    assert ids.shape.as_list() == [None, 3] and ids.dtype == tf.int64
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        got = sess.run(ids, {keys: np.array([[b"a", b"x", b"b"]], object)})
    assert got.tolist() == [[1, -1, 2]]


def test_static_table_rejects_insert_and_names_its_ops():
    from flowexec.framework.registry import apply_op

    table = _init_table()
    insert = apply_op("LookupTableInsertV2", table.resource_handle, tf.constant(["z"]),
                      tf.constant([3], tf.int64), Tin=tf.string, Tout=tf.int64)
    with tf.Session() as sess:
        sess.run(table.initializer)
        with pytest.raises(errors.UnimplementedError,
                           match="Table does not support insertions"):
            sess.run(insert)
    assert table.initializer.name == "key_value_init/LookupTableImportV2"
    assert table.size().op.name == "hash_table_Size/LookupTableSizeV2"


def test_initializers_are_collected_and_checked():
    init = tf.lookup.KeyValueTensorInitializer(["a"], tf.constant([1], tf.int64))
    table = tf.lookup.StaticHashTable(init, -1)
    assert table.initializer in tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS)
    other = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a"], tf.constant([1.0])), -1.0)
    with pytest.raises(TypeError, match="Invalid value dtype for table, expected "
                                        "<dtype: 'float32'> but got <dtype: 'int64'>"):
        init.initialize(other)
    with pytest.raises(ValueError, match="`vocab_size` should be > 0, received: 0"):
        tf.lookup.TextFileInitializer("v.txt", tf.string, -2, tf.int64, -1, vocab_size=0)
    with pytest.raises(ValueError, match="`key_dtype` must be int64 if `key_index` is -1"):
        tf.lookup.TextFileInitializer("v.txt", tf.string, -1, tf.int64, -2)


def test_text_file_initializer_registers_its_asset(vocab_dir):
    _, files = vocab_dir
    tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string, -2, tf.int64, -1), -1)
    assets = tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)
    with tf.Session() as sess:
        assert [sess.run(a) for a in assets] == [files["vocab"].encode()]


def test_vocabulary_without_initializer_is_hash_buckets_only():
    table = tf.lookup.StaticVocabularyTable(None, num_oov_buckets=7)
    ids = table.lookup(tf.constant(["a", "hello"]))
    want = tf.strings.to_hash_bucket_fast(tf.constant(["a", "hello"]), 7)
    with tf.Session() as sess:
        sess.run(table.initializer)
        np.testing.assert_array_equal(sess.run(ids), sess.run(want))
        assert sess.run(table.size()) == 7
    assert table.name == "hash_bucket"


def test_mutable_table_of_tensors_dynamic_default_and_export_roundtrip():
    table = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32, [0.0, 0.0])
    insert = table.insert(tf.constant(["a", "b"]), tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    found = table.lookup(tf.constant(["b", "c"]),
                         dynamic_default_values=tf.constant([9.0, 9.0]))
    keys, values = table.export()
    copy = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32, [0.0, 0.0],
                                                   name="copy")
    from flowexec.framework.registry import apply_op

    restore = apply_op("LookupTableImportV2", copy.resource_handle, keys, values,
                       Tin=tf.string, Tout=tf.float32)
    with tf.Session() as sess:
        sess.run(insert)
        np.testing.assert_array_equal(sess.run(found), [[3.0, 4.0], [9.0, 9.0]])
        sess.run(restore)
        np.testing.assert_array_equal(sess.run(copy.lookup(tf.constant(["a"]))),
                                      [[1.0, 2.0]])
        assert sess.run(copy.size()) == 2
    assert found.shape.as_list() == [2, 2]


def test_dense_table_export_is_its_buckets_and_import_skips_free_ones():
    table = tf.lookup.experimental.DenseHashTable(
        tf.int64, tf.float32, default_value=-1.0, empty_key=0, deleted_key=-1,
        initial_num_buckets=8)
    insert = table.insert(tf.constant([5, 9, 11], tf.int64), tf.constant([0.5, 0.9, 1.1]))
    keys, values = table.export()
    copy = tf.lookup.experimental.DenseHashTable(
        tf.int64, tf.float32, default_value=-1.0, empty_key=0, deleted_key=-1,
        initial_num_buckets=8, name="copy")
    from flowexec.framework.registry import apply_op

    restore = apply_op("LookupTableImportV2", copy.resource_handle, keys, values,
                       Tin=tf.int64, Tout=tf.float32)
    with tf.Session() as sess:
        sess.run(insert)
        k, v = sess.run([keys, values])
        assert k.shape == (8, 1) and v.shape == (8, 1)
        assert sorted(k[k != 0].tolist()) == [5, 9, 11]
        sess.run(restore)
        np.testing.assert_allclose(sess.run(copy.lookup(tf.constant([9, 4], tf.int64))),
                                   [0.9, -1.0])
        assert sess.run(copy.size()) == 3


def test_dense_table_with_vector_keys():
    table = tf.lookup.experimental.DenseHashTable(
        tf.int64, tf.int64, default_value=-1, empty_key=[0, 0], deleted_key=[-1, -1],
        initial_num_buckets=4)
    insert = table.insert(tf.constant([[1, 2], [3, 4]], tf.int64), tf.constant([12, 34],
                                                                             tf.int64))
    found = table.lookup(tf.constant([[3, 4], [1, 2], [2, 1]], tf.int64))
    assert found.shape.as_list() == [3]
    with tf.Session() as sess:
        sess.run(insert)
        assert sess.run(found).tolist() == [34, 12, -1]


def test_queue_namespace_is_the_queue_classes():
    assert tf.queue.FIFOQueue is tf.FIFOQueue
    assert tf.queue.PriorityQueue is tf.PriorityQueue
    q = tf.queue.PaddingFIFOQueue(4, [tf.int32], shapes=[[None]])
    assert isinstance(q, tf.queue.QueueBase)


def test_tables_survive_graph_def_export_and_import(vocab_dir):
    _, files = vocab_dir
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.TextFileInitializer(files["vocab"], tf.string, -2, tf.int64, -1), 3)
    tf.identity(table.lookup(tf.constant(["lake", "zz"])), name="ids")
    mutable = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1)
    mutable.insert(tf.constant(["x"]), tf.constant([5], tf.int64), name="insert")
    tf.identity(mutable.lookup(tf.constant(["x", "y"])), name="found")
    graph_def = tf.get_default_graph().as_graph_def()
    types = {n.op for n in graph_def.node}
    assert {"HashTableV2", "InitializeTableFromTextFileV2", "MutableHashTableV2",
            "LookupTableFindV2", "LookupTableInsertV2", "StringToHashBucketFast"} <= types
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            sess.run("text_file_init/InitializeTableFromTextFileV2")
            direct = sess.run("ids:0")
            sess.run("insert/LookupTableInsertV2")
            assert sess.run("found:0").tolist() == [5, -1]
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        np.testing.assert_array_equal(sess.run("ids:0"), direct)


def test_sparse_keys_give_sparse_ids():
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([0, 1], tf.int64)), 2)
    keys = tf.SparseTensor([[0, 0], [1, 2]], tf.constant(["b", "a"]), [2, 3])
    ids = table.lookup(keys)
    static = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a"], tf.constant([7], tf.int64)), -1)
    found = static.lookup(keys)
    assert isinstance(ids, tf.SparseTensor) and isinstance(found, tf.SparseTensor)
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        got, hit = sess.run([ids, found])
    assert got.values.tolist() == [1, 0] and got.indices.tolist() == [[0, 0], [1, 2]]
    assert hit.values.tolist() == [-1, 7] and hit.dense_shape.tolist() == [2, 3]


def test_initialize_table_v2_as_tf_1x_graphs_use_it():
    """InitializeTableV2 (what TF 1.x's KeyValueTensorInitializer built), messages as TF's."""
    from flowexec.framework.registry import apply_op

    def table():
        return apply_op("HashTableV2", key_dtype=tf.string, value_dtype=tf.int64,
                        shared_name="", container="", use_node_name_sharing=False)

    def init(handle, keys, values):
        return apply_op("InitializeTableV2", handle, tf.constant(keys),
                        tf.placeholder_with_default(tf.constant(values, tf.int64), [None]),
                        Tkey=tf.string, Tval=tf.int64)

    h, dup, short = table(), table(), table()
    find = apply_op("LookupTableFindV2", h, tf.constant(["a", "b", "c"]),
                    tf.constant(-1, tf.int64), Tin=tf.string, Tout=tf.int64)
    with tf.Session() as sess:
        sess.run(init(h, ["a", "b"], [1, 2]))
        assert sess.run(find).tolist() == [1, 2, -1]
        sess.run(init(h, ["a", "c"], [1, 3]))  # as many entries: accepted, nothing changes
        assert sess.run(find).tolist() == [1, 2, -1]
        with pytest.raises(errors.FailedPreconditionError,
                           match="^Table was already initialized with different data."):
            sess.run(init(h, ["a", "b", "a"], [1, 2, 5]))
        with pytest.raises(errors.FailedPreconditionError,
                           match="HashTable has different value for same key. Key a has 1 "
                                 "and trying to add value 5"):
            sess.run(init(dup, ["a", "b", "a"], [1, 2, 5]))
        with pytest.raises(errors.InvalidArgumentError,
                           match="Keys and values must have the same size 2 vs 1"):
            sess.run(init(short, ["a", "b"], [1]))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        apply_op("InitializeTableV2", table(), tf.constant([["a"]]),
                 tf.constant([[1]], tf.int64), Tkey=tf.string, Tval=tf.int64)
