"""TensorFlow's protocol buffer classes, from the tensorboard package, imported on first use.

flowexec defines no .proto files of its own: `tensorboard.compat.proto` carries TF's own
generated modules (GraphDef, NodeDef, AttrValue, TensorProto, MetaGraphDef, SaverDef,
VariableDef), so what flowexec writes parses in TensorFlow and the other way round. The
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
    "SaverDef": ("saver_pb2", "SaverDef"),
    "OpDef": ("op_def_pb2", "OpDef"),
    "OpList": ("op_def_pb2", "OpList"),
    "VariableDef": ("variable_pb2", "VariableDef"),
    "SaveSliceInfoDef": ("variable_pb2", "SaveSliceInfoDef"),
    "VersionDef": ("versions_pb2", "VersionDef"),
}


def proto_class(name):
    """TF's generated class `name` ("GraphDef", "NodeDef", "SaverDef", ...)."""
    module, cls = _CLASSES[name]
    return getattr(getattr(get(), module), cls)
