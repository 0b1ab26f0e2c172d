"""`tf.saved_model.simple_save`: a serving SavedModel in one call."""

from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.saved_model import signature_constants, tag_constants
from flowexec.saved_model.builder import SavedModelBuilder
from flowexec.saved_model.signature_def_utils import predict_signature_def

__all__ = ["simple_save"]


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """Saves the default graph and the variables of `session` as a SavedModel for serving:
    tag SERVING, one predict signature under "serving_default", the ASSET_FILEPATHS
    collection as assets, devices cleared (TF's `simple_save`).

    Args:
        session: the Session whose variables are saved.
        export_dir: the new SavedModel's directory (must not exist or be empty).
        inputs: {name: Tensor} of the signature's inputs.
        outputs: {name: Tensor} of its outputs.
        legacy_init_op: an op the loader runs after restoring (e.g. the tables
            initializer).

    Example:
        >>> tf.saved_model.simple_save(sess, "/tmp/model/1", {"x": x}, {"y": y},
        ...                            legacy_init_op=tf.tables_initializer())
    """
    signature_def_map = {signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                         predict_signature_def(inputs, outputs)}
    builder = SavedModelBuilder(export_dir)
    builder.add_meta_graph_and_variables(
        session, tags=[tag_constants.SERVING], signature_def_map=signature_def_map,
        assets_collection=graph_mod.get_default_graph().get_collection(
            GraphKeys.ASSET_FILEPATHS),
        main_op=legacy_init_op, clear_devices=True)
    builder.save()
