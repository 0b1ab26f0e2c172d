"""`tf.saved_model.signature_def_utils.MethodNameUpdater`: rewrites the method names of a
SavedModel's signatures (e.g. predict -> regress) and saves the SavedModel again."""

import os

from flowexec.saved_model import constants
from flowexec.saved_model.saved_model_file import parse_saved_model, write_saved_model

__all__ = ["MethodNameUpdater"]


class MethodNameUpdater:
    """Updates the method names of the signatures of the SavedModel in `export_dir`.

    Raises:
        OSError: no SavedModel there, or it cannot be parsed.

    Example:
        >>> updater = tf.saved_model.signature_def_utils.MethodNameUpdater(export_dir)
        >>> updater.replace_method_name("foo", "tensorflow/serving/regress", tags="serve")
        >>> updater.save(new_export_dir)
    """

    def __init__(self, export_dir):
        self._export_dir = export_dir
        self._saved_model = parse_saved_model(export_dir)

    def replace_method_name(self, signature_key, method_name, tags=None):
        """Sets `method_name` of signature `signature_key` in the meta graph of exactly
        `tags` (a tag or a list of tags), or in every meta graph when `tags` is None.

        Raises:
            ValueError: an empty key or method name, no meta graph with `tags`, or a
                matching meta graph without the signature (TF's messages).
        """
        if not signature_key:
            raise ValueError("`signature_key` must be defined.")
        if not method_name:
            raise ValueError("`method_name` must be defined.")
        if tags is not None and not isinstance(tags, list):
            tags = [tags]
        found = False
        for meta in self._saved_model.meta_graphs:
            if tags is None or set(tags) == set(meta.meta_info_def.tags):
                if signature_key not in meta.signature_def:
                    raise ValueError(
                        f"MetaGraphDef associated with tags {tags} does not have a "
                        f"signature_def with key: '{signature_key}'. This means either you "
                        "specified the wrong signature key or forgot to put the signature_def "
                        "with the corresponding key in your SavedModel.")
                meta.signature_def[signature_key].method_name = method_name
                found = True
        if not found:
            raise ValueError(
                f"MetaGraphDef associated with tags {tags} could not be found in SavedModel. "
                "This means either you specified invalid tags or your SavedModel does not "
                "have a MetaGraphDef with the specified tags.")

    def save(self, new_export_dir=None):
        """Writes the SavedModel proto (in the input's form, binary or text) to
        `new_export_dir`, default: over the input."""
        as_text = os.path.exists(os.path.join(os.fsdecode(self._export_dir),
                                              constants.SAVED_MODEL_FILENAME_PBTXT))
        write_saved_model(self._saved_model, new_export_dir or self._export_dir, as_text)
