"""`tf.saved_model.loader`: loads a TF 1.x SavedModel (TF's or flowexec's) into a Session.

`load(sess, tags, export_dir)` picks the meta graph whose tag set equals `tags`, imports it
into `sess.graph` (`import_meta_graph`: collections, variables, the Saver), restores the
variables from `variables/variables`, then runs the init op (a signature's
"__saved_model_init_op", else the "saved_model_main_op" or "legacy_init_op" collection)
with each asset tensor fed the path of its copy under `assets/` (so a vocabulary table
reads the SavedModel's file, wherever the model was written), as TF's loader does. TF's
sharded saver subgraph is replaced by a Saver over the same checkpoint keys
(`import_meta_graph`).
"""

import os

from flowexec.saved_model import constants
from flowexec.saved_model.saved_model_file import assets_dir, parse_saved_model, variables_path
from flowexec.saved_model.signature_def_utils import load_op_from_signature_def

__all__ = ["SavedModelLoader", "load", "maybe_saved_model_directory"]

_log = __import__("logging").getLogger("flowexec")


def maybe_saved_model_directory(export_dir):
    """Whether `export_dir` has a saved_model.pb or saved_model.pbtxt (it may still fail to
    load)."""
    export_dir = os.fsdecode(os.fspath(export_dir))
    return any(os.path.exists(os.path.join(export_dir, name))
               for name in (constants.SAVED_MODEL_FILENAME_PBTXT,
                            constants.SAVED_MODEL_FILENAME_PB))


def contains_saved_model(export_dir):
    """Whether `export_dir` could hold a SavedModel (TF's name for
    `maybe_saved_model_directory`)."""
    return maybe_saved_model_directory(export_dir)


def get_asset_tensors(export_dir, meta_graph_def, import_scope=None):
    """{asset tensor name: path of its file under export_dir/assets} of a meta graph (its
    `asset_file_def`s, else the AssetFileDefs of the "saved_model_assets" collection)."""
    from flowexec.graph_io import protos

    records = list(meta_graph_def.asset_file_def)
    if not records and constants.ASSETS_KEY in meta_graph_def.collection_def:
        cls = protos.proto_class("AssetFileDef")
        records = [cls.FromString(a.value)
                   for a in meta_graph_def.collection_def[constants.ASSETS_KEY].any_list.value]
    out = {}
    for asset in records:
        name = asset.tensor_info.name
        out[f"{import_scope}/{name}" if import_scope else name] = os.path.join(
            assets_dir(export_dir), asset.filename)
    return out


def _op_from_collection(meta_graph_def, key, graph):
    if key not in meta_graph_def.collection_def:
        return None
    names = meta_graph_def.collection_def[key].node_list.value
    if len(names) != 1:
        raise RuntimeError(f"Expected exactly one SavedModel init op. Found {len(names)}: "
                           f"{names}.")
    return graph.get_collection(key)[0]


def get_init_op(meta_graph_def, graph, import_scope=None):
    """The op the loader runs after restoring, or None."""
    key = constants.INIT_OP_SIGNATURE_KEY
    if key in meta_graph_def.signature_def:
        return load_op_from_signature_def(meta_graph_def.signature_def[key], key, import_scope)
    op = _op_from_collection(meta_graph_def, constants.MAIN_OP_KEY, graph)
    if op is None:
        op = _op_from_collection(meta_graph_def, constants.LEGACY_INIT_OP_KEY, graph)
    return op


class SavedModelLoader:
    """Loads the meta graphs of the SavedModel in `export_dir` and restores its variables.

    Raises:
        OSError: there is no SavedModel in `export_dir`, or it cannot be parsed.
    """

    def __init__(self, export_dir):
        self._export_dir = os.fsdecode(os.fspath(export_dir))
        self._variables_path = variables_path(self._export_dir)
        self._saved_model = parse_saved_model(self._export_dir)

    @property
    def export_dir(self):
        return self._export_dir

    @property
    def variables_path(self):
        return self._variables_path

    @property
    def saved_model(self):
        return self._saved_model

    def get_meta_graph_def_from_tags(self, tags):
        """The MetaGraphDef whose tag set is exactly `tags`.

        Raises:
            RuntimeError: there is none (TF's message, with the available tag sets).
        """
        available = []
        for meta in self._saved_model.meta_graphs:
            available.append(set(meta.meta_info_def.tags))
            if set(meta.meta_info_def.tags) == set(tags):
                return meta
        raise RuntimeError(
            f"MetaGraphDef associated with tags {str(tags).strip('[]')} could not be found in "
            f"SavedModel, with available tags '{available}'. To inspect available tag-sets in"
            " the SavedModel, please use the SavedModel CLI: `saved_model_cli`.")

    def load_graph(self, graph, tags, import_scope=None, **saver_kwargs):
        """Imports the meta graph of `tags` into `graph`; returns (Saver or None, None)."""
        from flowexec.graph_io.meta_graph import import_meta_graph

        meta = self.get_meta_graph_def_from_tags(tags)
        with graph.as_default():
            return import_meta_graph(meta, import_scope=import_scope, **saver_kwargs), None

    def restore_variables(self, sess, saver, import_scope=None):
        """Restores the variables from `variables/variables` with `saver`.

        Raises:
            ValueError: no Saver while the graph has variables (TF's message).
        """
        from flowexec.framework.graph import GraphKeys
        from flowexec.train.saver import Saver

        graph = sess.graph
        saveables = [v for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.SAVEABLE_OBJECTS)
                     for v in graph.get_collection(key, scope=import_scope)]
        if saver is None and not saveables:
            _log.info("The specified SavedModel has no variables; no checkpoints were "
                      "restored.")
        elif isinstance(saver, Saver):
            saver.restore(sess, self._variables_path)
        else:
            raise ValueError(
                "No tf.train.Saver object was passed to the function "
                "`SavedModelLoader.restore_variables`. Since there are variables in the "
                "graph, a saver is required.")

    def run_init_ops(self, sess, tags, import_scope=None):
        """Runs the meta graph's init op, the asset tensors fed their files' paths."""
        meta = self.get_meta_graph_def_from_tags(tags)
        with sess.graph.as_default():
            feeds = get_asset_tensors(self._export_dir, meta, import_scope)
            init_op = get_init_op(meta, sess.graph, import_scope)
            if init_op is not None:
                sess.run([init_op], feed_dict=feeds)

    def load(self, sess, tags, import_scope=None, **saver_kwargs):
        """Imports the meta graph of `tags` into `sess.graph`, restores the variables and
        runs the init op; returns the MetaGraphDef (names without `import_scope`)."""
        with sess.graph.as_default():
            saver, _ = self.load_graph(sess.graph, tags, import_scope, **saver_kwargs)
            self.restore_variables(sess, saver, import_scope)
            self.run_init_ops(sess, tags, import_scope)
        return self.get_meta_graph_def_from_tags(tags)


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Loads the SavedModel in `export_dir` into `sess` (TF 1.x's `tf.saved_model.load`).

    Args:
        sess: the Session to restore into; the meta graph is imported into `sess.graph`.
        tags: the tag set of the meta graph to load (e.g. `[tf.saved_model.SERVING]`).
        export_dir: the SavedModel's directory.
        import_scope: prefix of the imported names (the returned MetaGraphDef keeps the
            names as saved).
        **saver_kwargs: passed to the Saver of the imported meta graph.

    Returns:
        The MetaGraphDef loaded (signatures, collections, ...).

    Raises:
        OSError: "SavedModel file does not exist at: <dir>/{saved_model.pbtxt|saved_model.pb}",
            or the file cannot be parsed.
        RuntimeError: no meta graph has exactly `tags`.

    Example:
        >>> with tf.Session(graph=tf.Graph()) as sess:
        ...     meta = tf.saved_model.loader.load(sess, ["serve"], "/tmp/model/1")
        ...     sig = meta.signature_def["serving_default"]
        ...     y = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: xs})
    """
    return SavedModelLoader(export_dir).load(sess, tags, import_scope, **saver_kwargs)
