"""The object graph of object-based checkpoints (TF's Trackable dependencies, graph_view and
checkpoint/util): which Python objects depend on which, under which local names, and how TF
names their values in a checkpoint.

An object's dependencies (`children(obj)`, ordered pairs (local name, object)):
  - a Variable: none; it has one attribute, "VARIABLE_VALUE", its value;
  - an object with a `_trackable_children()` method: what it returns (`Checkpoint`, `Module`,
    `tf.layers` layers, optimizers define it: an optimizer's dependencies are its non-slot
    variables of the current graph, such as Adam's "beta1_power", sorted by name);
  - a list or tuple: its trackable elements, named "0", "1", ...; a dict: its trackable
    values, named by their keys (TF's ListWrapper / _DictWrapper).
`is_trackable` says which values are objects of this graph (a Variable, a list, tuple or dict,
or an object with `_trackable_children`).

`traverse(root)` visits the graph breadth first from the root (node 0), each object once, as
TF's `breadth_first_traversal`; an optimizer's slot variables follow, for each slot name in
`get_slot_names()` order and each visited variable in node order (TF's
serialize_slot_variables). Names in checkpoint keys are TF's:
`<path>/.ATTRIBUTES/VARIABLE_VALUE` with path components joined by "/" ("." escaped as "..",
"/" as ".S"), and `<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot name>` for a slot.

This module holds no state; objects are identified by `id()` while the traversal keeps them
alive.
"""

from flowexec.train import object_graph as og

__all__ = ["VARIABLE_VALUE", "attribute_children", "checkpoint_key", "children",
           "escape_local_name", "is_trackable", "traverse"]

VARIABLE_VALUE = "VARIABLE_VALUE"


def _variable_class():
    from flowexec.variables import Variable

    return Variable


def is_variable(obj):
    return isinstance(obj, _variable_class())


def is_trackable(obj):
    """Whether `obj` can be a dependency in the object graph."""
    if isinstance(obj, (list, tuple, dict)) or is_variable(obj):
        return True
    return callable(getattr(type(obj), "_trackable_children", None))


def attribute_children(obj, exclude=()):
    """The trackable attributes of `obj`, in assignment order (TF's AutoTrackable)."""
    return [(k, v) for k, v in vars(obj).items() if k not in exclude and is_trackable(v)]


def children(obj):
    """[(local name, object)] of the dependencies of `obj` (see the module docstring)."""
    if is_variable(obj):
        return []
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj) if is_trackable(v)]
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in obj.items() if is_trackable(v)]
    get = getattr(obj, "_trackable_children", None)
    return list(get()) if get is not None else []


def escape_local_name(name):
    """A local name as a checkpoint key component ("." -> "..", "/" -> ".S", as TF)."""
    return name.replace(".", "..").replace("/", ".S")


def checkpoint_key(object_path, attribute=VARIABLE_VALUE):
    return f"{object_path}/.ATTRIBUTES/{escape_local_name(attribute)}"


class Traversal:
    """The result of `traverse`: `objects` in node order, `node_ids` {id(obj): node id},
    `paths` {id(obj): checkpoint path}, `child_refs` [[(name, node id)]] per node, and
    `slot_refs` {optimizer node id: [SlotVariableReference]}."""

    def __init__(self):
        self.objects = []
        self.node_ids = {}
        self.paths = {}
        self.child_refs = []
        self.slot_refs = {}

    def add(self, obj, path):
        self.node_ids[id(obj)] = len(self.objects)
        self.paths[id(obj)] = path
        self.objects.append(obj)
        self.child_refs.append([])

    def to_proto(self):
        """(TrackableObjectGraph, {checkpoint key: Variable}) of the traversal, as TF's
        serialize_graph_view writes it (has_checkpoint_values set)."""
        graph = og.TrackableObjectGraph()
        tensors = {}
        for node_id, obj in enumerate(self.objects):
            node = og.TrackableObject(
                children=[og.ObjectReference(nid, name) for name, nid in self.child_refs[node_id]],
                slot_variables=list(self.slot_refs.get(node_id, [])))
            if is_variable(obj):
                key = checkpoint_key(self.paths[id(obj)])
                info = getattr(obj, "_save_slice_info", None)
                full_name = info.full_name if info is not None else obj.op.name
                node.attributes.append(og.SerializedTensor(VARIABLE_VALUE, full_name, key))
                tensors[key] = obj
            graph.nodes.append(node)
        graph.add_checkpoint_values_check()
        return graph, tensors


def traverse(root, skip_slot_variables=False):
    """Breadth-first traversal of the object graph of `root` (see the module docstring).

    Raises:
        NotImplementedError: a slot variable is also a dependency of an object (as TF).
    """
    out = Traversal()
    out.add(root, "")
    names = {id(root): ()}
    for obj in out.objects:  # grows while iterated: breadth first
        node_id = out.node_ids[id(obj)]
        for name, child in children(obj):
            if id(child) not in out.node_ids:
                names[id(child)] = names[id(obj)] + (name,)
                out.add(child, "/".join(escape_local_name(n) for n in names[id(child)]))
            out.child_refs[node_id].append((name, out.node_ids[id(child)]))
    if not skip_slot_variables:
        _add_slot_variables(out)
    return out


def _add_slot_variables(out):
    non_slot = list(out.objects)
    for opt_id, opt in enumerate(non_slot):
        if "get_slot_names" not in dir(opt) or is_variable(opt):
            continue
        for slot_name in opt.get_slot_names():
            for var_id, var in enumerate(non_slot):
                if not is_variable(var):
                    continue
                slot = opt.get_slot(var, slot_name)
                if slot is None:
                    continue
                if id(slot) in out.node_ids:
                    raise NotImplementedError(
                        "A slot variable was re-used as a dependency of a Trackable object: "
                        f"{slot}. This is not currently allowed. File a feature request if "
                        "this limitation bothers you.")
                out.add(slot, f"{out.paths[id(var)]}/.OPTIMIZER_SLOT/{out.paths[id(opt)]}/"
                              f"{escape_local_name(slot_name)}")
                out.slot_refs.setdefault(opt_id, []).append(og.SlotVariableReference(
                    var_id, slot_name, out.node_ids[id(slot)]))
