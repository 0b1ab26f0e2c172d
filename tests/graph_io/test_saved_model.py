"""tf.saved_model (TF 1.x): SavedModels written and loaded by flowexec, and moved to and from
TensorFlow.

Interop, both ways, through committed fixtures made by scripts/make_tf_saved_model_fixtures.py
(one program, `build_and_save`, run by TF and by flowexec):
- TF -> flowexec: tests/data/tf1/saved_model/tf_model is the SavedModel TF wrote (TF's sharded
  saver, a vocabulary asset whose original file is gone, two meta graphs); flowexec loads it
  and must give the outputs TF's own loader gave (expected.npz).
- flowexec -> TF: TensorFlow cannot run here, so the check ran once in TF
  (`make_tf_saved_model_fixtures.py check DIR --record` on the SavedModel flowexec wrote) and
  recorded what TF's `loader.load` found and computed (tf_loaded_flowexec.json). The test
  writes the same program's SavedModel with today's flowexec and asserts that it has what TF
  loaded then: the same op types per meta graph (no op TF did not run), the same signatures
  and tensor names, the same collections and variables, and the same outputs. A change that
  makes flowexec write something TF was not shown fails here; rerun the check in TF then.
"""

import json
import os
import shutil
import sys

import numpy as np
import pytest

import flowexec as tf
from tests.graph_io.helpers import DATA, mlp, numpy_mlp

pytest.importorskip("tensorboard")

FIXTURES = os.path.join(DATA, "saved_model")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import make_tf_saved_model_fixtures as program  # noqa: E402

sm = tf.saved_model


# ----- interop with TensorFlow ----------------------------------------------------------------
def test_tf_written_saved_model_runs_to_tfs_outputs(tmp_path):
    model = str(tmp_path / "tf_model")
    shutil.copytree(os.path.join(FIXTURES, "tf_model"), model)
    expected = np.load(os.path.join(FIXTURES, "expected.npz"))
    out, seen = program.load_and_run(tf, model)
    for name in ("scores", "ids", "loss"):
        np.testing.assert_allclose(out[name], expected["out_" + name], rtol=1e-5, atol=1e-6)
    assert out["ids"].tolist() == [1, 3, -1, 0, 2]
    # TF's sharded saver (StringJoin, ShardedFilename, ...) is replaced by a Saver
    assert seen["serve"]["variables"] == ["b", "w"]
    assert "ShardedFilename" in seen["serve"]["op_types"]  # in the MetaGraphDef, not the graph


def test_tf_saved_model_assets_are_fed_their_copies(tmp_path):
    """The vocabulary's original path (in TF's Const) is gone: the table is filled from
    assets/vocab.txt, wherever the SavedModel directory is."""
    model = str(tmp_path / "moved")
    shutil.copytree(os.path.join(FIXTURES, "tf_model"), model)
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = sm.loader.load(sess, [sm.SERVING], model)
        path_const = g.get_collection(tf.GraphKeys.ASSET_FILEPATHS)[0]
        assert not os.path.exists(sess.run(path_const).decode())
        ids = sm.utils.get_tensor_from_tensor_info(meta.signature_def["serving_default"]
                                                   .outputs["ids"])
        assert sess.run(ids, {"words:0": [b"palmer", b"zappa"]}).tolist() == [2, -1]
        assets = sm.loader.get_asset_tensors(model, meta)
        assert assets == {path_const.name: os.path.join(model, "assets", "vocab.txt")}


def test_tf_saved_model_under_an_import_scope(tmp_path):
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = sm.loader.load(sess, [sm.SERVING], os.path.join(FIXTURES, "tf_model"),
                              import_scope="m")
        sig = meta.signature_def["serving_default"]
        ids = sm.get_tensor_from_tensor_info(sig.outputs["ids"], import_scope="m")
        assert ids.name == "m/ids:0" and sig.outputs["ids"].name == "ids:0"
        assert sess.run(ids, {"m/words:0": [b"yes"]}).tolist() == [3]
        assert sorted(v.op.name for v in g.get_collection("variables")) == ["m/b", "m/w"]


def test_text_saved_model_with_expanded_any_loads(tmp_path):
    """A saved_model.pbtxt whose asset records are written out as messages
    (`[type.googleapis.com/tensorflow.AssetFileDef] { ... }`, as protobuf's text printers
    that know TF's types write them) reads as the binary one."""
    from google.protobuf import descriptor_pool, text_format

    model = tmp_path / "text"
    shutil.copytree(os.path.join(FIXTURES, "tf_model"), model)
    saved = sm.loader.SavedModelLoader(str(model)).saved_model
    for meta in saved.meta_graphs:
        for a in meta.collection_def[sm.ASSETS_KEY].any_list.value:
            a.type_url = a.type_url.replace("/tensorflow.", "/tensorboard.")
    text = text_format.MessageToString(saved, descriptor_pool=descriptor_pool.Default())
    assert "[type.googleapis.com/tensorboard.AssetFileDef] {" in text
    (model / "saved_model.pb").unlink()
    (model / "saved_model.pbtxt").write_text(text.replace("/tensorboard.", "/tensorflow."))
    with tf.Graph().as_default(), tf.Session() as sess:
        sm.loader.load(sess, [sm.SERVING], str(model))
        assert sess.run("ids:0", {"words:0": [b"lake", b"no"]}).tolist() == [1, -1]


def test_flowexec_saved_model_is_what_tf_loaded(tmp_path):
    with open(os.path.join(FIXTURES, "tf_loaded_flowexec.json")) as f:
        recorded = json.load(f)
    model = str(tmp_path / "model")
    trained = program.build_and_save(tf, model)
    saved = sm.loader.SavedModelLoader(model).saved_model
    metas = {m.meta_info_def.tags[0]: m for m in saved.meta_graphs}
    assert sorted(metas) == sorted(recorded["meta_graphs"])
    for tag, seen in recorded["meta_graphs"].items():
        meta = metas[tag]
        assert sorted({n.op for n in meta.graph_def.node}) == seen["op_types"]
        sigs = {k: {"method_name": s.method_name,
                    "inputs": {i: t.name for i, t in s.inputs.items()},
                    "outputs": {o: t.name for o, t in s.outputs.items()}}
                for k, s in meta.signature_def.items()}
        assert sigs == seen["signatures"]
        assert set(seen["collections"]) <= set(meta.collection_def)
    loaded, seen = program.load_and_run(tf, model)
    for name, value in recorded["outputs"].items():
        np.testing.assert_allclose(trained[name], value, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(loaded[name], value, rtol=1e-5, atol=1e-6)
    assert seen["serve"]["variables"] == recorded["meta_graphs"]["serve"]["variables"]


def test_files_are_tfs_layout(tmp_path):
    model = tmp_path / "m"
    program.build_and_save(tf, str(model))
    files = sorted(str(p.relative_to(model)) for p in model.rglob("*") if p.is_file())
    assert files == ["assets/vocab.txt", "saved_model.pb",
                     "variables/variables.data-00000-of-00001", "variables/variables.index"]
    reader = tf.train.load_checkpoint(str(model / "variables" / "variables"))
    assert sorted(reader.get_variable_to_shape_map()) == ["b", "w"]
    saved = sm.loader.SavedModelLoader(str(model)).saved_model
    assert saved.saved_model_schema_version == 1
    serve = saved.meta_graphs[0]
    assert serve.meta_info_def.stripped_default_attrs
    any_ = serve.collection_def[sm.ASSETS_KEY].any_list.value[0]
    assert any_.type_url == "type.googleapis.com/tensorflow.AssetFileDef"


# ----- round trip in flowexec -----------------------------------------------------------------
def _train_linear():
    rng = np.random.RandomState(0)
    xs = rng.randn(32, 3).astype(np.float32)
    ys = xs @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.25
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    t = tf.placeholder(tf.float32, [None, 1], name="t")
    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    y = tf.identity(tf.matmul(x, w) + b, name="y")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_mean(tf.square(y - t)))
    return xs, ys, x, t, y, train


def test_simple_save_round_trip_same_predictions(tmp_path):
    export_dir = str(tmp_path / "linear" / "1")
    with tf.Graph().as_default(), tf.Session() as sess:
        xs, ys, x, t, y, train = _train_linear()
        sess.run(tf.global_variables_initializer())
        for _ in range(50):
            sess.run(train, {x: xs, t: ys})
        before = sess.run(y, {x: xs})
        sm.simple_save(sess, export_dir, {"x": x}, {"y": y})
    assert sm.contains_saved_model(export_dir) and sm.maybe_saved_model_directory(export_dir)
    assert not sm.contains_saved_model(str(tmp_path))
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = sm.load(sess, [sm.SERVING], export_dir, import_scope="served")
        sig = meta.signature_def[sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
        assert sig.method_name == sm.PREDICT_METHOD_NAME and sm.is_valid_signature(sig)
        assert sig.inputs["x"].name == "x:0"  # the MetaGraphDef keeps the saved names
        x2 = sm.get_tensor_from_tensor_info(sig.inputs["x"], import_scope="served")
        y2 = sm.get_tensor_from_tensor_info(sig.outputs["y"], g, import_scope="served")
        assert (x2.name, y2.name) == ("served/x:0", "served/y:0")
        assert x2.op.type == "Placeholder"
        np.testing.assert_allclose(sess.run(y2, {x2: xs}), before, rtol=1e-6)
        np.testing.assert_allclose(before, ys, atol=0.05)  # it trained


def test_builder_two_meta_graphs_and_text_format(tmp_path):
    export_dir = str(tmp_path / "m")
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\nc\n")
    with tf.Graph().as_default(), tf.Session() as sess:
        x, y, init = mlp()
        words = tf.placeholder(tf.string, [None], name="words")
        table = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, -2, tf.int64, -1), -1)
        ids = table.lookup(words)
        sess.run(init)
        b = sm.builder.SavedModelBuilder(export_dir)
        b.add_meta_graph_and_variables(
            sess, ["serve", "gpu"],
            signature_def_map={"p": sm.predict_signature_def({"x": x, "w": words},
                                                             {"y": y, "ids": ids})},
            assets_collection=tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
            legacy_init_op=tf.tables_initializer())
        b.add_meta_graph(["eval"])
        path = b.save(as_text=True)
    assert path == os.fsencode(os.path.join(export_dir, "saved_model.pbtxt"))
    vocab.unlink()
    xs = np.random.RandomState(1).randn(2, 4).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = sm.loader.load(sess, {"gpu", "serve"}, export_dir)
        sig = meta.signature_def["p"]
        got_y, got_ids = sess.run([sig.outputs["y"].name, sig.outputs["ids"].name],
                                  {sig.inputs["x"].name: xs, sig.inputs["w"].name: [b"c", b"z"]})
        np.testing.assert_allclose(got_y, numpy_mlp(xs), rtol=1e-5)
        assert got_ids.tolist() == [2, -1]
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = sm.loader.load(sess, ["eval"], export_dir)
        assert list(meta.meta_info_def.tags) == ["eval"] and not meta.signature_def
        np.testing.assert_allclose(sess.run("y:0", {"x:0": xs}), numpy_mlp(xs), rtol=1e-5)


def test_main_op_reinitializes_and_main_op_with_restore(tmp_path):
    export_dir = str(tmp_path / "m")
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.Variable(1.0, name="v")
        sess.run(v.initializer)
        sess.run(v.assign(5.0))
        b = sm.Builder(export_dir)
        b.add_meta_graph_and_variables(sess, ["serve"], main_op=sm.main_op.main_op())
        b.save()
    with tf.Graph().as_default(), tf.Session() as sess:
        sm.loader.load(sess, ["serve"], export_dir)
        assert sess.run("v:0") == 1.0  # as in TF: the main op runs the initializers last
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        saver = tf.train.Saver()
        restore = tf.get_default_graph().get_operation_by_name(saver.saver_def.restore_op_name)
        op = sm.main_op_with_restore(restore)
        assert op.type == "NoOp" and restore in op.control_inputs
        with pytest.raises(TypeError, match="should be zero or more|Tensor arguments"):
            sm.main_op_with_restore(saver.saver_def.restore_op_name)


def test_strip_default_attrs_leaves_out_defaults_and_imports_back(tmp_path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        y = tf.matmul(x, tf.ones([2, 2]), name="y")
        full = tf.train.export_meta_graph()
        stripped = tf.train.export_meta_graph(strip_default_attrs=True)
    node = {n.name: n for n in full.graph_def.node}["y"]
    assert "transpose_a" in node.attr and not full.meta_info_def.stripped_default_attrs
    node = {n.name: n for n in stripped.graph_def.node}["y"]
    assert "transpose_a" not in node.attr and "T" in node.attr
    assert stripped.meta_info_def.stripped_default_attrs
    with tf.Graph().as_default() as g, tf.Session() as sess:
        tf.train.import_meta_graph(stripped)
        assert g.get_operation_by_name("y").get_attr("transpose_a") is False
        assert sess.run("y:0", {"x:0": [[1.0, 2.0]]}).tolist() == [[3.0, 3.0]]


# ----- TF's errors ----------------------------------------------------------------------------
def test_builder_errors_are_tfs(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("")
    with pytest.raises(AssertionError, match=r"Export directory .*full already exists, and "
                       r"isn't empty. Please choose a different export directory"):
        sm.Builder(str(tmp_path / "full"))
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, name="x")
        b = sm.Builder(str(tmp_path / "new"))
        assert os.path.isdir(tmp_path / "new")
        with pytest.raises(AssertionError, match=r"^Graph state including variables and "
                           r"assets has not been saved yet. Please invoke "
                           r"`add_meta_graph_and_variables\(\)` first.$"):
            b.add_meta_graph(["x"])
        with pytest.raises(TypeError, match="^Expected foo to be an Operation but got type "
                           "<class 'str'> instead.$"):
            b.add_meta_graph_and_variables(sess, ["x"], main_op="foo")
        bad = sm.build_signature_def({"a": tf.TensorInfo()})
        with pytest.raises(AssertionError, match="must have one of the 'encoding' fields"):
            b.add_meta_graph_and_variables(sess, ["x"], signature_def_map={"s": bad})
        no_dtype = sm.build_signature_def({"a": tf.TensorInfo(name="x:0")})
        with pytest.raises(AssertionError, match="must have the dtype field set"):
            b.add_meta_graph_and_variables(sess, ["x"], signature_def_map={"s": no_dtype})
        with pytest.raises(KeyError, match="is reserved for initialization"):
            b.add_meta_graph_and_variables(
                sess, ["x"], signature_def_map={"__saved_model_init_op":
                                                sm.predict_signature_def({"x": x}, {"x": x})})
        with pytest.raises(TypeError, match="must be of type constant"):
            b.add_meta_graph_and_variables(sess, ["x"], assets_collection=[x])
        b.add_meta_graph_and_variables(sess, ["x"], main_op=tf.no_op())
        with pytest.raises(AssertionError, match="has already been saved. Please invoke "
                           "`add_meta_graph\\(\\)` instead."):
            b.add_meta_graph_and_variables(sess, ["y"])
        with pytest.raises(ValueError, match="Graph already contains one or more main ops "
                           "under the collection saved_model_main_op."):
            b.add_meta_graph(["y"], main_op=tf.no_op())


def test_loader_errors_are_tfs(tmp_path):
    missing = str(tmp_path / "nothing")
    with tf.Session(graph=tf.Graph()) as sess:
        with pytest.raises(OSError, match=r"^SavedModel file does not exist at: .*nothing/"
                           r"\{saved_model.pbtxt\|saved_model.pb\}$"):
            sm.loader.load(sess, ["serve"], missing)
        with pytest.raises(RuntimeError, match=r"^MetaGraphDef associated with tags 'bogus' "
                           r"could not be found in SavedModel, with available tags "
                           r"'\[\{'serve'\}, \{'train'\}\]'. To inspect available tag-sets"):
            sm.loader.load(sess, ["bogus"], os.path.join(FIXTURES, "tf_model"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "saved_model.pb").write_bytes(b"\xff\xff\xff")
    with pytest.raises(OSError, match="^Cannot parse file .*saved_model.pb: "):
        sm.loader.SavedModelLoader(str(tmp_path / "bad"))


# ----- signatures and tensor infos ------------------------------------------------------------
def test_tensor_info_of_dense_and_sparse_tensors():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        sp = tf.sparse_placeholder(tf.float32, name="sp")
        info = sm.utils.build_tensor_info(x)
        assert (info.name, info.dtype) == ("x:0", 1)
        assert [d.size for d in info.tensor_shape.dim] == [-1, 2]
        sinfo = sm.build_tensor_info(sp)
        assert sinfo.WhichOneof("encoding") == "coo_sparse"
        assert sinfo.coo_sparse.values_tensor_name == sp.values.name
        back = sm.get_tensor_from_tensor_info(sinfo, g)
        assert isinstance(back, tf.SparseTensor) and back.indices is sp.indices
        assert sm.get_tensor_from_tensor_info(info) is x
        with pytest.raises(ValueError, match="^Invalid TensorInfo.encoding: None"):
            sm.get_tensor_from_tensor_info(tf.TensorInfo(dtype=1))
        with pytest.raises(KeyError):
            sm.get_tensor_from_tensor_info(tf.TensorInfo(name="nope:0"))


def test_signature_builders_and_validity():
    with tf.Graph().as_default():
        ex = tf.placeholder(tf.string, [None], name="ex")
        score = tf.placeholder(tf.float32, [None], name="score")
        label = tf.placeholder(tf.string, [None], name="label")
        ints = tf.placeholder(tf.int32, [None], name="ints")
        cls = sm.classification_signature_def(ex, label, score)
        assert cls.method_name == "tensorflow/serving/classify"
        assert set(cls.outputs) == {"classes", "scores"} and sm.is_valid_signature(cls)
        reg = sm.regression_signature_def(ex, score)
        assert (reg.inputs["inputs"].name, reg.outputs["outputs"].name) == ("ex:0", "score:0")
        assert sm.is_valid_signature(reg)
        assert not sm.is_valid_signature(None)
        assert not sm.is_valid_signature(sm.build_signature_def(
            {"inputs": sm.build_tensor_info(ints)}, {"outputs": sm.build_tensor_info(score)},
            sm.REGRESS_METHOD_NAME))
        assert not sm.is_valid_signature(sm.build_signature_def(
            {"x": sm.build_tensor_info(ints)}, {}, sm.PREDICT_METHOD_NAME))
        with pytest.raises(ValueError, match="^Regression `examples` cannot be None.$"):
            sm.regression_signature_def(None, score)
        with pytest.raises(ValueError, match="^Regression input tensors must be of type "
                           "string. Found tensors with type 3.$"):
            sm.regression_signature_def(ints, score)
        with pytest.raises(ValueError, match="^Regression output tensors must be of type "
                           "float."):
            sm.regression_signature_def(ex, ints)
        with pytest.raises(ValueError, match="`classes` and `scores` cannot both be None"):
            sm.classification_signature_def(ex, None, None)
        with pytest.raises(ValueError, match="^Classification scores must be a float Tensor.$"):
            sm.classification_signature_def(ex, None, ints)
        with pytest.raises(ValueError, match="^Prediction `inputs` cannot be None or empty.$"):
            sm.predict_signature_def({}, {"y": score})
        with pytest.raises(ValueError, match="^Prediction `outputs` cannot be None or empty.$"):
            sm.predict_signature_def({"x": ex}, None)
        default = tf.constant([1.5, 2.0])
        sig = sm.build_signature_def(defaults={"d": default})
        assert list(tf.make_ndarray(sig.defaults["d"])) == [1.5, 2.0]
        with pytest.raises(ValueError, match="Unable to convert object"):
            sm.build_signature_def(defaults={"d": score})


def test_method_name_updater(tmp_path):
    export_dir = str(tmp_path / "m")
    shutil.copytree(os.path.join(FIXTURES, "tf_model"), export_dir)
    updater = sm.signature_def_utils.MethodNameUpdater(export_dir)
    updater.replace_method_name("serving_default", sm.REGRESS_METHOD_NAME, tags="serve")
    with pytest.raises(ValueError, match="does not have a signature_def with key: 'nope'"):
        updater.replace_method_name("nope", "m")
    with pytest.raises(ValueError, match=r"MetaGraphDef associated with tags \['x'\] could "
                       "not be found in SavedModel."):
        updater.replace_method_name("serving_default", "m", tags=["x"])
    with pytest.raises(ValueError, match="^`method_name` must be defined.$"):
        updater.replace_method_name("serving_default", "")
    updater.save(export_dir)
    metas = sm.loader.SavedModelLoader(export_dir).saved_model.meta_graphs
    assert metas[0].signature_def["serving_default"].method_name == sm.REGRESS_METHOD_NAME
    assert metas[1].signature_def["train"].method_name == ""


def test_namespace_has_tf1_names():
    names = ["ASSETS_DIRECTORY", "ASSETS_KEY", "Builder", "CLASSIFY_INPUTS",
             "CLASSIFY_METHOD_NAME", "CLASSIFY_OUTPUT_CLASSES", "CLASSIFY_OUTPUT_SCORES",
             "DEBUG_DIRECTORY", "DEBUG_INFO_FILENAME_PB", "DEFAULT_SERVING_SIGNATURE_DEF_KEY",
             "GPU", "LEGACY_INIT_OP_KEY", "MAIN_OP_KEY", "PREDICT_INPUTS", "PREDICT_METHOD_NAME",
             "PREDICT_OUTPUTS", "REGRESS_INPUTS", "REGRESS_METHOD_NAME", "REGRESS_OUTPUTS",
             "SAVED_MODEL_FILENAME_PB", "SAVED_MODEL_FILENAME_PBTXT",
             "SAVED_MODEL_SCHEMA_VERSION", "SERVING", "TPU", "TRAINING", "VARIABLES_DIRECTORY",
             "VARIABLES_FILENAME", "build_signature_def", "build_tensor_info", "builder",
             "classification_signature_def", "constants", "contains_saved_model",
             "get_tensor_from_tensor_info", "is_valid_signature", "load", "loader", "main_op",
             "main_op_with_restore", "maybe_saved_model_directory", "predict_signature_def",
             "regression_signature_def", "signature_constants", "signature_def_utils",
             "simple_save", "tag_constants", "utils"]
    assert [n for n in names if not hasattr(sm, n)] == []
    assert sm.Builder is sm.builder.SavedModelBuilder
    assert sm.loader.load is sm.load and sm.main_op.main_op_with_restore is sm.main_op_with_restore
    assert (sm.SERVING, sm.TRAINING, sm.GPU, sm.TPU) == ("serve", "train", "gpu", "tpu")
    assert sm.tag_constants.SERVING == "serve"
    assert sm.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY == "serving_default"
    assert (sm.MAIN_OP_KEY, sm.ASSETS_KEY) == ("saved_model_main_op", "saved_model_assets")
    assert tf.compat.v1.saved_model.simple_save is sm.simple_save
