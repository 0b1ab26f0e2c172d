"""`tf.saved_model.builder.SavedModelBuilder` (`tf.saved_model.Builder`): writes TF 1.x's
SavedModel directory.

    export_dir/saved_model.pb        SavedModel proto: one MetaGraphDef per tag set
    export_dir/variables/variables.{index,data-00000-of-00001}   TF's V2 checkpoint
    export_dir/assets/<file>         copies of the asset files (e.g. vocabularies)

The first meta graph is added with the variables (`add_meta_graph_and_variables`), later
ones share them (`add_meta_graph`). Each MetaGraphDef is the graph's, with the Saver's
SaverDef, its collections (assets as `AssetFileDef`s packed in `Any`s under
"saved_model_assets", the main op under "saved_model_main_op"), its tags and signatures, as
TF's builder writes them. The default Saver is an unsharded one over every saveable object
(TF's is sharded; both write the same checkpoint keys, and TF runs flowexec's SaverDef).

Not thread-safe: one builder is used from one thread.
"""

import os
import shutil

from flowexec.framework import graph as graph_mod
from flowexec.framework.operation import Operation
from flowexec.framework.tensor import Tensor
from flowexec.graph_io import protos
from flowexec.saved_model import constants
from flowexec.saved_model.saved_model_file import assets_dir, variables_path, write_saved_model

__all__ = ["SavedModelBuilder"]

_log = __import__("logging").getLogger("flowexec")


class SavedModelBuilder:
    """Builds a SavedModel in `export_dir` (created if missing).

    Raises:
        AssertionError: `export_dir` exists and is not empty (TF's message).

    Example:
        >>> builder = tf.saved_model.Builder("/tmp/model/1")
        >>> with tf.Session() as sess:
        ...     sess.run(tf.global_variables_initializer())
        ...     builder.add_meta_graph_and_variables(
        ...         sess, [tf.saved_model.SERVING], signature_def_map={
        ...             "serving_default": tf.saved_model.predict_signature_def(
        ...                 {"x": x}, {"y": y})})
        >>> builder.save()
    """

    def __init__(self, export_dir):
        self._saved_model = protos.proto_class("SavedModel")(
            saved_model_schema_version=constants.SAVED_MODEL_SCHEMA_VERSION)
        self._export_dir = os.fsdecode(os.fspath(export_dir))
        if os.path.exists(self._export_dir):
            if os.listdir(self._export_dir):
                raise AssertionError(
                    f"Export directory {export_dir} already exists, and isn't empty. Please "
                    "choose a different export directory, or delete all the contents of the "
                    "specified directory.")
        else:
            os.makedirs(self._export_dir)
        self._has_saved_variables = False
        self._saved_asset_files = set()

    # ----- validation ----------------------------------------------------------------------
    def _validate_tensor_info(self, info):
        if info is None:
            raise AssertionError("All TensorInfo protos used in the SignatureDefs must have "
                                 "the name and dtype fields set.")
        encoding = info.WhichOneof("encoding")
        if encoding is None:
            raise AssertionError(
                f"Invalid `tensor_info`: {info}. All TensorInfo protos used in the "
                "SignatureDefs must have one of the 'encoding' fields (e.g., name or "
                "coo_sparse) set.")
        if encoding == "composite_tensor":
            for component in info.composite_tensor.components:
                self._validate_tensor_info(component)
        elif info.dtype == 0:
            raise AssertionError(
                f"Invalid `tensor_info`: {info}. All TensorInfo protos used in the "
                "SignatureDefs must have the dtype field set.")

    def _validate_signature_def_map(self, signature_def_map):
        for sig in signature_def_map.values():
            for info in list(sig.inputs.values()) + list(sig.outputs.values()):
                self._validate_tensor_info(info)
        for key in (constants.INIT_OP_SIGNATURE_KEY, constants.TRAIN_OP_SIGNATURE_KEY):
            if key in signature_def_map:
                what = "initialization" if key == constants.INIT_OP_SIGNATURE_KEY \
                    else "the train op"
                raise KeyError(f'SignatureDef map key "{key}" is reserved for {what}. Please '
                               "use a different key.")

    # ----- collections: assets and main op --------------------------------------------------
    def _save_and_write_assets(self, assets_collection):
        filenames = {}  # basename in assets/ -> source path
        graph = graph_mod.get_default_graph()
        for tensor in assets_collection or ():
            source = _asset_path(tensor)
            if not source:
                raise ValueError(f"Asset filepath tensor {tensor} in is invalid.")
            name = _asset_filename(source, filenames)
            asset = protos.proto_class("AssetFileDef")(filename=name)
            asset.tensor_info.name = tensor.name
            graph.add_to_collection(constants.ASSETS_KEY, _pack_any(asset))
            filenames[name] = source
        if not filenames:
            return
        dest_dir = assets_dir(self._export_dir)
        os.makedirs(dest_dir, exist_ok=True)
        for name, source in filenames.items():
            dest = os.path.join(dest_dir, name)
            if os.path.exists(source) and source != dest and dest not in self._saved_asset_files:
                shutil.copyfile(source, dest)
                self._saved_asset_files.add(dest)

    def _maybe_add_main_op(self, main_op):
        if main_op is None:
            return
        if not isinstance(main_op, Operation):
            raise TypeError(f"Expected {main_op} to be an Operation but got type "
                            f"{type(main_op)} instead.")
        graph = graph_mod.get_default_graph()
        for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
            if graph.get_collection(key):
                raise ValueError("Graph already contains one or more main ops under the "
                                 f"collection {key}.")
        graph.add_to_collection(constants.MAIN_OP_KEY, main_op)

    # ----- meta graphs ----------------------------------------------------------------------
    def _meta_graph(self, saver, clear_devices, strip_default_attrs):
        from flowexec.graph_io.meta_graph import export_meta_graph

        return export_meta_graph(saver_def=saver.saver_def if saver is not None else None,
                                 clear_devices=clear_devices,
                                 strip_default_attrs=strip_default_attrs)

    def _tag_and_add_meta_graph(self, meta, tags, signature_def_map):
        meta.meta_info_def.tags.extend(tags)
        for key, sig in signature_def_map.items():
            meta.signature_def[key].CopyFrom(sig)
        self._saved_model.meta_graphs.add().CopyFrom(meta)

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None,
                                     assets_collection=None, legacy_init_op=None,
                                     clear_devices=False, main_op=None,
                                     strip_default_attrs=False, saver=None):
        """Saves the variables of `sess` and adds the default graph as the first meta graph.

        Args:
            sess: the Session whose variable values are saved (initialized).
            tags: the meta graph's tags (e.g. `[tf.saved_model.SERVING]`).
            signature_def_map: {key: SignatureDef}.
            assets_collection: string Const tensors holding asset file paths (e.g.
                `tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)`); the files are copied
                to `assets/`, and the loader feeds the copies' paths into these tensors.
            legacy_init_op: the deprecated name of `main_op`.
            clear_devices: drop the nodes' devices.
            main_op: an Operation the loader runs after restoring (e.g. tables initializer).
            strip_default_attrs: leave out attributes equal to their OpDef's default.
            saver: the Saver to save with (default: a new one over every saveable object,
                empty allowed).

        Raises:
            AssertionError: called twice, or an invalid TensorInfo in a signature.
            KeyError: a reserved signature key.
            TypeError: `main_op` is not an Operation, or an asset is not a string Const.
            ValueError: the graph already has a main op.
        """
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already "
                                 "been saved. Please invoke `add_meta_graph()` instead.")
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        self._save_and_write_assets(assets_collection)
        self._maybe_add_main_op(main_op or legacy_init_op)
        os.makedirs(os.path.dirname(variables_path(self._export_dir)), exist_ok=True)
        saver = _maybe_create_saver(saver)
        saver.save(sess, variables_path(self._export_dir), write_meta_graph=False,
                   write_state=False)
        meta = self._meta_graph(saver, clear_devices, strip_default_attrs)
        self._tag_and_add_meta_graph(meta, tags, signature_def_map)
        self._has_saved_variables = True

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None,
                       legacy_init_op=None, clear_devices=False, main_op=None,
                       strip_default_attrs=False, saver=None):
        """Adds the default graph as another meta graph, sharing the saved variables (the
        arguments as in `add_meta_graph_and_variables`).

        Raises:
            AssertionError: `add_meta_graph_and_variables` was not called first (TF's
                message "Graph state including variables and assets has not been saved
                yet. ...").
        """
        if not self._has_saved_variables:
            raise AssertionError(
                "Graph state including variables and assets has not been saved yet. Please "
                "invoke `add_meta_graph_and_variables()` first.")
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        self._save_and_write_assets(assets_collection)
        self._maybe_add_main_op(main_op if main_op is not None else legacy_init_op)
        saver = _maybe_create_saver(saver)
        meta = self._meta_graph(saver, clear_devices, strip_default_attrs)
        self._tag_and_add_meta_graph(meta, tags, signature_def_map)

    def save(self, as_text=False):
        """Writes `saved_model.pb` (or `saved_model.pbtxt` with `as_text`); returns its path
        (bytes, as TF returns it)."""
        os.makedirs(self._export_dir, exist_ok=True)
        path = write_saved_model(self._saved_model, self._export_dir, as_text)
        _log.info("SavedModel written to: %s", path)
        return os.fsencode(path)


def _maybe_create_saver(saver):
    if saver:
        return saver
    from flowexec.train.saver import Saver

    return Saver(allow_empty=True)


def _asset_path(tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Asset path tensor {tensor} must be a Tensor.")
    if tensor.op.type != "Const":
        raise TypeError(f"Asset path tensor {tensor} must be of type constant.Has type "
                        f"{tensor.op.type} instead.")
    if tensor.dtype.name != "string":
        raise TypeError(f"Asset path tensor {tensor}` must be of dtype string.Has type "
                        f"{tensor.dtype} instead.")
    value = tensor.op.attrs["value"]
    if getattr(value, "ndim", 0) != 0:
        raise TypeError(f"Asset path tensor {tensor} must be a scalar.")
    value = value.item() if hasattr(value, "item") else value
    return os.fsdecode(value)


def _asset_filename(source, filenames):
    """TF's unique basename under assets/ for `source` (`name_1`, ... when another file of
    the same basename is there)."""
    name = os.path.basename(source)
    if name not in filenames or filenames[name] == source:
        return name
    import filecmp

    if filecmp.cmp(source, filenames[name], shallow=False):
        return name
    i, unique = 1, name
    while unique in filenames:
        unique = f"{name}_{i}"
        i += 1
    return unique


def _pack_any(message):
    """An `Any` holding `message`, typed with TF's package name (tensorflow.AssetFileDef), as
    TF's loader unpacks it."""
    from google.protobuf import any_pb2

    return any_pb2.Any(type_url="type.googleapis.com/tensorflow." + message.DESCRIPTOR.name,
                       value=message.SerializeToString())
