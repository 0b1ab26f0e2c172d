"""MetaGraphDef: `tf.train.export_meta_graph` / `import_meta_graph` (the `.meta` file).

A MetaGraphDef holds the GraphDef (with `_output_shapes`), TF's meta info, an optional
SaverDef, and the graph's collections, encoded as TF does: variables as serialized
`VariableDef`s (bytes_list), Tensors and Operations by name (node_list), Python ints,
floats and strings as int64/float/bytes lists, `Any` protos (a SavedModel's asset records) as
an any_list; other values are left out, as TF does. `strip_default_attrs` drops every attribute
whose value is its OpDef's default (importers put the defaults back), as TF's does.

A meta graph lists TF's OpDefs of the op types it uses (`meta_info_def.stripped_op_list`).
`Saver.save` writes the Saver's SaverDef, which names TF's saver ops that the Saver builds
(`save/Const`, `save/control_dependency`, `save/restore_all`; SaveV2 and RestoreV2 are
flowexec ops too), so TF's `import_meta_graph` restores through them. Importing a meta graph
with a SaverDef keeps its saver ops and returns a Saver that runs them, as TF does; a saver
subgraph flowexec cannot run (TF's sharded form: StringJoin, ShardedFilename,
MergeV2Checkpoints) is dropped instead, as is every other saver scope of that form in the
graph, and the returned Saver is a new one over the imported variables, which reads and
writes the same checkpoint keys.
"""

import logging
import os

from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.framework.operation import Operation
from flowexec.framework.tensor import Tensor
from flowexec.graph_io import protos
from flowexec.graph_io.export import as_graph_def
from flowexec.graph_io.importer import import_graph_def

__all__ = ["export_meta_graph", "import_meta_graph", "stripped_op_list_for_graph"]

_log = logging.getLogger("flowexec")

_VARIABLE_COLLECTIONS = (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
                         "local_variables", "model_variables", "moving_average_variables",
                         "global_step")


def _collection_def(p, key, values, export_scope):
    from flowexec.variables import Variable

    cd = p.meta_graph_pb2.CollectionDef()
    if values and all(isinstance(v, Variable) for v in values):
        protos_ = [v.to_proto(export_scope) for v in values]
        cd.bytes_list.value.extend(x.SerializeToString() for x in protos_ if x is not None)
    elif values and all(isinstance(v, (Tensor, Operation)) for v in values):
        cd.node_list.value.extend(v.name for v in values)
    elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        cd.int64_list.value.extend(values)
    elif values and all(isinstance(v, float) for v in values):
        cd.float_list.value.extend(values)
    elif values and all(_is_any(v) for v in values):
        cd.any_list.value.extend(values)
    elif values and all(isinstance(v, (str, bytes)) for v in values):
        cd.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
    else:
        _log.warning("Collection %s is not exported: its values have no CollectionDef form", key)
        return None
    return cd


def _is_any(value):
    desc = getattr(value, "DESCRIPTOR", None)
    return getattr(desc, "full_name", None) == "google.protobuf.Any"


def _strip_defaults(graph_def):
    """Removes, in place, each node's attributes that equal their OpDef's default (nodes of
    the function library too), as TF's `strip_default_attrs=True` exports do."""
    from flowexec.graph_io import schema

    av = protos.proto_class("AttrValue")
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    for node in nodes:
        sch = schema.schema_for(node.op)
        if sch is None:
            continue
        for name in list(node.attr):
            if name in sch.attrs:
                default = sch.default_attr_value(name, av)
                if default is not None and default == node.attr[name]:
                    del node.attr[name]


def _scoped(gd, scope):
    """The nodes under `scope`, names relative to it (inputs from outside are kept as is)."""
    out = type(gd)()
    out.versions.CopyFrom(gd.versions)
    cut = len(scope) + 1

    def rel(s):
        ctrl = s.startswith("^")
        body = s[1:] if ctrl else s
        body = body[cut:] if body.startswith(scope + "/") else body
        return ("^" if ctrl else "") + body

    for n in gd.node:
        if n.name.startswith(scope + "/"):
            m = out.node.add()
            m.CopyFrom(n)
            m.name = n.name[cut:]
            del m.input[:]
            m.input.extend(rel(i) for i in n.input)
    return out


def stripped_op_list_for_graph(graph_def):
    """TF's OpDefs (no docs) of the op types a GraphDef uses, sorted by name, as TF records
    them in a meta graph's `meta_info_def.stripped_op_list`.

    Raises:
        ValueError: an op type TensorFlow does not have.
    """
    from flowexec.graph_io import schema

    op_list = protos.proto_class("OpList")()
    types = {n.op for n in graph_def.node}
    types |= {n.op for f in graph_def.library.function for n in f.node_def}
    for op_type in sorted(types):
        sch = schema.schema_for(op_type)
        if sch is None:
            raise ValueError(f"Op type '{op_type}' has no TensorFlow OpDef")
        op_list.op.add().CopyFrom(sch.op_def(protos.proto_class("OpDef"),
                                             protos.proto_class("AttrValue")))
    return op_list


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False, **kwargs):
    """The graph as a MetaGraphDef, written to `filename` when given (TF's signature).

    Args:
        filename: where to write it (binary, or text with `as_text`).
        meta_info_def: a MetaInfoDef to start from.
        graph_def: the GraphDef to use (default: the graph's, with shapes).
        saver_def: a SaverDef proto to include.
        collection_list: the collections to export (default: all).
        graph: the Graph (default: the default graph).
        export_scope: export only names under this scope, relative to it.
        clear_devices: drop every node's device.
        strip_default_attrs: leave out attributes that have their OpDef's default value
            (`meta_info_def.stripped_default_attrs` says so).
        clear_extraneous_savers, save_debug_info: accepted for TF's signature.

    Returns:
        A `MetaGraphDef` proto.

    Raises:
        ValueError: an op has no TensorFlow form (named).
    """
    del clear_extraneous_savers, save_debug_info, kwargs
    p = protos.get()
    graph = graph or graph_mod.get_default_graph()
    meta = p.meta_graph_pb2.MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def.CopyFrom(meta_info_def)
    from flowexec.graph_io import schema

    meta.meta_info_def.tensorflow_version = schema.tf_version()
    meta.meta_info_def.tensorflow_git_version = "flowexec"
    gd = graph_def if graph_def is not None else as_graph_def(graph, add_shapes=True)
    meta.meta_info_def.stripped_op_list.CopyFrom(stripped_op_list_for_graph(gd))
    if export_scope:
        gd = _scoped(gd, export_scope)
    meta.graph_def.CopyFrom(gd)
    if strip_default_attrs:
        _strip_defaults(meta.graph_def)
        meta.meta_info_def.stripped_default_attrs = True
    if clear_devices:
        for n in meta.graph_def.node:
            n.device = ""
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = collection_list if collection_list is not None else graph.get_all_collection_keys()
    for key in keys:
        values = graph.get_collection(key)
        if export_scope:
            values = [v for v in values if not hasattr(v, "name")
                      or v.name.startswith(export_scope + "/")]
        cd = _collection_def(p, key, values, export_scope)
        if cd is not None:
            meta.collection_def[key].CopyFrom(cd)
    if filename:
        from flowexec.train import atomic_file

        data = (p.text_format.MessageToString(meta).encode() if as_text
                else meta.SerializeToString())
        os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
        atomic_file.atomic_write(filename, lambda f: f.write(data))
    return meta


def _read(path):
    p = protos.get()
    with open(path, "rb") as f:
        data = f.read()
    meta = p.meta_graph_pb2.MetaGraphDef()
    try:
        meta.ParseFromString(data)
        return meta
    except p.DecodeError:
        pass
    try:
        return p.text_format.Parse(data.decode("utf-8"), p.meta_graph_pb2.MetaGraphDef())
    except (UnicodeDecodeError, p.text_format.ParseError) as e:
        raise OSError(f"Cannot parse file {path}: {e}") from e


def _saver_scope(meta):
    return meta.saver_def.filename_tensor_name.split("/")[0]


def _unrunnable_saver_scopes(graph_def):
    """The top-level name scopes holding a saver subgraph (a SaveV2 or RestoreV2 node) with
    an op type flowexec lacks (TF's sharded saver: StringJoin, ShardedFilename, ...). A graph
    can hold several (a SavedModel's second meta graph has `save` and `save_1`)."""
    from flowexec.framework import registry
    from flowexec.graph_io import schema

    types = {}
    for n in graph_def.node:
        types.setdefault(n.name.split("/")[0], set()).add(n.op)
    registered = registry.registered_ops()
    return {scope for scope, ts in types.items() if ts & {"SaveV2", "RestoreV2"}
            and not all(t in registered and schema.schema_for(t) is not None for t in ts)}


def _drop_scopes(graph_def, scopes):
    """The GraphDef without the nodes under `scopes`."""
    p = protos.get()
    gd = p.graph_pb2.GraphDef()
    gd.versions.CopyFrom(graph_def.versions)
    gd.library.CopyFrom(graph_def.library)
    gd.node.extend(n for n in graph_def.node if n.name.split("/")[0] not in scopes)
    return gd


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Imports a MetaGraphDef (or `.meta` file) into the default graph; returns a Saver.

    Args:
        meta_graph_or_file: a MetaGraphDef or the path of one (binary or text).
        clear_devices: drop the nodes' devices.
        import_scope: prefix for the imported names.
        **kwargs: passed to the `Saver`.

    Returns:
        A `tf.train.Saver`: the meta graph's own (its SaverDef's ops, kept in the graph) when
        flowexec can run them, else a new one over the imported global variables; None when
        there is neither a SaverDef nor a variable.

    Raises:
        OSError: the file cannot be parsed ("Cannot parse file <path>: ...").
        ValueError, NotFoundError: from `import_graph_def`.

    Example:
        >>> saver = tf.train.import_meta_graph("model.ckpt-100.meta")
        >>> saver.restore(sess, "model.ckpt-100")
    """
    from flowexec.variables import Variable

    if isinstance(meta_graph_or_file, (str, bytes, os.PathLike)):
        meta = _read(os.fsdecode(meta_graph_or_file))
    else:
        meta = meta_graph_or_file
    saver_def = meta.saver_def if meta.HasField("saver_def") else None
    gd = meta.graph_def
    dropped = _unrunnable_saver_scopes(gd)
    replaced = False  # the SaverDef's ops were dropped: a new Saver reads the same keys
    if dropped:
        gd = _drop_scopes(gd, dropped)
        if saver_def is not None and _saver_scope(meta) in dropped:
            saver_def, replaced = None, True
    if clear_devices:
        gd = type(gd).FromString(gd.SerializeToString())
        for n in gd.node:
            n.device = ""
    graph = graph_mod.get_default_graph()
    import_graph_def(gd, name=import_scope or "")
    scope = import_scope

    def element(name):
        return graph.as_graph_element(f"{scope}/{name}" if scope else name)

    variables = {}
    for key, cd in meta.collection_def.items():
        kind = cd.WhichOneof("kind")
        if kind == "node_list":
            graph.get_collection_ref(key).extend(element(n) for n in cd.node_list.value)
        elif kind == "bytes_list" and key in _VARIABLE_COLLECTIONS:
            ref = graph.get_collection_ref(key)
            for raw in cd.bytes_list.value:
                vd = protos.proto_class("VariableDef").FromString(raw)
                if vd.variable_name not in variables:
                    variables[vd.variable_name] = Variable.from_proto(vd, import_scope=scope)
                ref.append(variables[vd.variable_name])
        elif kind == "bytes_list":
            graph.get_collection_ref(key).extend(cd.bytes_list.value)
        elif kind == "int64_list":
            graph.get_collection_ref(key).extend(int(v) for v in cd.int64_list.value)
        elif kind == "float_list":
            graph.get_collection_ref(key).extend(float(v) for v in cd.float_list.value)
        elif kind == "any_list":
            graph.get_collection_ref(key).extend(cd.any_list.value)
    from flowexec.train.saver import Saver

    if saver_def is not None:
        if scope:
            saver_def = type(saver_def).FromString(saver_def.SerializeToString())
            for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
                setattr(saver_def, field, f"{scope}/{getattr(saver_def, field)}")
        return Saver(saver_def=saver_def, **kwargs)
    if not graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
        return None
    if replaced and scope:
        return Saver(var_list=_unscoped_names(graph, scope), **kwargs)
    return Saver(**kwargs)


def _unscoped_names(graph, scope):
    """{checkpoint name: variable(s)} of the variables imported under `scope`, named as the
    meta graph's own SaverDef names them (without the scope)."""
    from flowexec.train.saver import _op_list_to_dict

    names = _op_list_to_dict(graph.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope))
    cut = len(scope) + 1
    return {n[cut:] if n.startswith(scope + "/") else n: v for n, v in names.items()}
