"""TensorFlow's protocol buffer classes, from the tensorboard package, imported on first use.

flowexec defines no .proto files of its own: `tensorboard.compat.proto` carries TF's own
generated modules (GraphDef, NodeDef, AttrValue, TensorProto, MetaGraphDef, SaverDef,
VariableDef), so what flowexec writes parses in TensorFlow and the other way round. The one
message of TF's that the package lacks, `SavedModel` (saved_model.proto: a schema version and
the MetaGraphDefs), is declared here on top of the package's MetaGraphDef: its bytes and text
are TF's (message names outside `Any` appear in neither). The
package is the optional extra `flowexec[graph]` (the same package as `flowexec[tensorboard]`);
building graphs never needs it, exporting and importing do.
"""

import importlib
import threading

INSTALL_HINT = ("GraphDef export and import need the 'tensorboard' package (TensorFlow's "
                "protocol buffers): pip install flowexec[graph] (or pip install tensorboard)")

_MODULES = ("attr_value_pb2", "function_pb2", "graph_pb2", "meta_graph_pb2", "node_def_pb2",
            "op_def_pb2", "saver_pb2", "tensor_pb2", "tensor_shape_pb2", "types_pb2",
            "variable_pb2", "versions_pb2")
_lock = threading.Lock()
_loaded = {}


def get():
    """A namespace with TF's `*_pb2` modules (`graph_pb2`, `meta_graph_pb2`, ...).

    Raises:
        ImportError: the tensorboard package is missing; the message says what to install.
    """
    if not _loaded:
        with _lock:
            if not _loaded:
                mods = {}
                try:
                    for name in _MODULES:
                        mods[name] = importlib.import_module(f"tensorboard.compat.proto.{name}")
                    text_format = importlib.import_module("google.protobuf.text_format")
                    message = importlib.import_module("google.protobuf.message")
                except ImportError as e:
                    raise ImportError(INSTALL_HINT) from e
                mods["text_format"] = text_format
                mods["DecodeError"] = message.DecodeError
                _loaded.update(mods)
    return _Namespace(_loaded)


class _Namespace:
    __slots__ = ("__dict__",)

    def __init__(self, mods):
        self.__dict__.update(mods)


_CLASSES = {
    "GraphDef": ("graph_pb2", "GraphDef"),
    "NodeDef": ("node_def_pb2", "NodeDef"),
    "AttrValue": ("attr_value_pb2", "AttrValue"),
    "NameAttrList": ("attr_value_pb2", "NameAttrList"),
    "TensorProto": ("tensor_pb2", "TensorProto"),
    "TensorShapeProto": ("tensor_shape_pb2", "TensorShapeProto"),
    "MetaGraphDef": ("meta_graph_pb2", "MetaGraphDef"),
    "CollectionDef": ("meta_graph_pb2", "CollectionDef"),
    "TensorInfo": ("meta_graph_pb2", "TensorInfo"),
    "SignatureDef": ("meta_graph_pb2", "SignatureDef"),
    "AssetFileDef": ("meta_graph_pb2", "AssetFileDef"),
    "SaverDef": ("saver_pb2", "SaverDef"),
    "OpDef": ("op_def_pb2", "OpDef"),
    "OpList": ("op_def_pb2", "OpList"),
    "VariableDef": ("variable_pb2", "VariableDef"),
    "SaveSliceInfoDef": ("variable_pb2", "SaveSliceInfoDef"),
    "VersionDef": ("versions_pb2", "VersionDef"),
}


def proto_class(name):
    """TF's generated class `name` ("GraphDef", "NodeDef", "SaverDef", "SavedModel", ...)."""
    if name == "SavedModel":
        return _saved_model_class()
    module, cls = _CLASSES[name]
    return getattr(getattr(get(), module), cls)


def _saved_model_class():
    """TF's `message SavedModel { int64 saved_model_schema_version = 1; repeated MetaGraphDef
    meta_graphs = 2; }`, declared once in protobuf's default pool (package "flowexec")."""
    if "SavedModel" not in _loaded:
        get()
        with _lock:
            if "SavedModel" not in _loaded:
                from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

                pool = descriptor_pool.Default()
                try:
                    desc = pool.FindMessageTypeByName("flowexec.SavedModel")
                except KeyError:
                    f = descriptor_pb2.FileDescriptorProto(
                        name="flowexec/saved_model.proto", package="flowexec", syntax="proto3")
                    f.dependency.append(_loaded["meta_graph_pb2"].DESCRIPTOR.name)
                    m = f.message_type.add(name="SavedModel")
                    m.field.add(name="saved_model_schema_version", number=1, type=3, label=1)
                    m.field.add(name="meta_graphs", number=2, type=11, label=3,
                                type_name=".tensorboard.MetaGraphDef")
                    pool.AddSerializedFile(f.SerializeToString())
                    desc = pool.FindMessageTypeByName("flowexec.SavedModel")
                _loaded["SavedModel"] = message_factory.GetMessageClass(desc)
    return _loaded["SavedModel"]
