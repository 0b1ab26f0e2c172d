"""`tf.saved_model.utils`: TensorInfo protos of graph tensors, and back.

A TensorInfo names a dense tensor (`name`), or the three tensors of a SparseTensor
(`coo_sparse`), with its dtype and static shape, as TF's `build_tensor_info` writes it.
"""

from flowexec.framework import graph as graph_mod
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.graph_io import protos
from flowexec.graph_io.tensor_proto import shape_proto

__all__ = ["build_tensor_info", "get_tensor_from_tensor_info"]


def build_tensor_info(tensor):
    """The TensorInfo proto of a Tensor or SparseTensor (name(s), dtype, static shape).

    Example:
        >>> info = tf.saved_model.utils.build_tensor_info(x)
        >>> info.name, info.dtype       # ('x:0', 1)
    """
    info = protos.proto_class("TensorInfo")(
        dtype=tensor.dtype.base_dtype.as_datatype_enum,
        tensor_shape=shape_proto(tensor.get_shape()))
    if isinstance(tensor, SparseTensor):
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
    else:
        info.name = tensor.name
    return info


def build_tensor_info_from_op(op):
    """A TensorInfo naming an Operation (dtype DT_INVALID, unknown shape), as TF's builder
    records init and train ops in signatures."""
    return protos.proto_class("TensorInfo")(
        dtype=0, tensor_shape=shape_proto(None), name=op.name)


def _prepend(name, import_scope):
    return f"{import_scope}/{name}" if import_scope else name


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Tensor or SparseTensor of `graph` (default: the default graph) that `tensor_info`
    names, its names prefixed with `import_scope` when given.

    Raises:
        KeyError: no such tensor in the graph.
        ValueError: the TensorInfo has no encoding flowexec reads (TF's message).

    Example:
        >>> meta = tf.saved_model.loader.load(sess, ["serve"], export_dir)
        >>> sig = meta.signature_def["serving_default"]
        >>> y = tf.saved_model.utils.get_tensor_from_tensor_info(sig.outputs["y"])
    """
    graph = graph or graph_mod.get_default_graph()

    def get(name):
        return graph.get_tensor_by_name(_prepend(name, import_scope))

    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return get(tensor_info.name)
    if encoding == "coo_sparse":
        sparse = tensor_info.coo_sparse
        return SparseTensor(get(sparse.indices_tensor_name), get(sparse.values_tensor_name),
                            get(sparse.dense_shape_tensor_name))
    raise ValueError(f"Invalid TensorInfo.encoding: {encoding}. Expected `coo_sparse`, "
                     "`composite_tensor`, or `name` for a dense tensor.")


def get_element_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Operation or Tensor of `graph` that `tensor_info` names (TF's loader uses it for
    the init op of a signature).

    Raises:
        KeyError: no such element.
    """
    graph = graph or graph_mod.get_default_graph()
    return graph.as_graph_element(_prepend(tensor_info.name, import_scope))
