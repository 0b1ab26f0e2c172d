"""The files of a SavedModel directory: `saved_model.pb` (or `.pbtxt`), `variables/`,
`assets/`; parsing and writing the SavedModel proto as TF does.

TF writes the binary proto deterministically (map entries sorted by key) and the text form
as `str(proto)`; a text file's `Any` values (asset records) name TF's package
(`tensorflow.AssetFileDef`), which is read as the same message of the tensorboard package.
"""

import os

from flowexec.graph_io import protos
from flowexec.saved_model import constants

__all__ = ["assets_dir", "parse_saved_model", "variables_path", "write_saved_model"]


def variables_path(export_dir):
    """`<export_dir>/variables/variables`, the checkpoint prefix of a SavedModel."""
    return os.path.join(os.fsdecode(export_dir), constants.VARIABLES_DIRECTORY,
                        constants.VARIABLES_FILENAME)


def assets_dir(export_dir):
    return os.path.join(os.fsdecode(export_dir), constants.ASSETS_DIRECTORY)


def parse_saved_model(export_dir):
    """The SavedModel proto of `export_dir` (saved_model.pb, else saved_model.pbtxt).

    Raises:
        OSError: neither file exists, or it cannot be parsed (TF's messages).
    """
    p = protos.get()
    export_dir = os.fsdecode(os.fspath(export_dir))
    pb = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)
    pbtxt = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
    saved_model = protos.proto_class("SavedModel")()
    if os.path.exists(pb):
        with open(pb, "rb") as f:
            data = f.read()
        try:
            saved_model.ParseFromString(data)
        except p.DecodeError as e:
            raise OSError(f"Cannot parse file {pb}: {e}.") from e
    elif os.path.exists(pbtxt):
        with open(pbtxt, "rb") as f:
            text = f.read().decode("utf-8")
        text = text.replace("[type.googleapis.com/tensorflow.", "[type.googleapis.com/tensorboard.")
        try:
            p.text_format.Parse(text, saved_model)
        except p.text_format.ParseError as e:
            raise OSError(f"Cannot parse file {pbtxt}: {e}.") from e
        for meta in saved_model.meta_graphs:  # TF's type names in the Any values, as TF reads
            for cd in meta.collection_def.values():
                for a in cd.any_list.value:
                    a.type_url = a.type_url.replace("/tensorboard.", "/tensorflow.")
    else:
        raise OSError(f"SavedModel file does not exist at: {export_dir}{os.path.sep}"
                      f"{{{constants.SAVED_MODEL_FILENAME_PBTXT}|"
                      f"{constants.SAVED_MODEL_FILENAME_PB}}}")
    return saved_model


def write_saved_model(saved_model, export_dir, as_text=False):
    """Writes `saved_model` as `export_dir/saved_model.pb` (or `.pbtxt`); returns the path."""
    from flowexec.train import atomic_file

    name = constants.SAVED_MODEL_FILENAME_PBTXT if as_text else constants.SAVED_MODEL_FILENAME_PB
    path = os.path.join(os.fsdecode(export_dir), name)
    data = (str(saved_model).encode("utf-8") if as_text
            else saved_model.SerializeToString(deterministic=True))
    atomic_file.atomic_write(path, lambda f: f.write(data))
    return path
