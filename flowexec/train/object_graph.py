"""TF's `TrackableObjectGraph` proto (trackable_object_graph.proto), the object graph that an
object-based checkpoint stores under the key `_CHECKPOINTABLE_OBJECT_GRAPH`, encoded and
decoded in protobuf's wire format here (`graph_io.wire`), so no protobuf package is needed:

    TrackableObjectGraph:  1 nodes TrackableObject (repeated; node 0 is the root)
    TrackableObject:       1 children ObjectReference, 2 attributes SerializedTensor,
                           3 slot_variables SlotVariableReference (all repeated),
                           4 registered_saver (not written; read and ignored),
                           5 has_checkpoint_values google.protobuf.BoolValue {1 value bool}
    ObjectReference:       1 node_id int32, 2 local_name string
    SerializedTensor:      1 name string, 2 full_name string, 3 checkpoint_key string
    SlotVariableReference: 1 original_variable_node_id int32, 2 slot_name string,
                           3 slot_variable_node_id int32

`serialize()` gives the bytes TF gives for the same graph (fields in number order, proto3
defaults omitted, `has_checkpoint_values` always present as TF sets it), and `str()` TF's
text format of a node, as TF's messages show it.
"""

import dataclasses

from flowexec.framework import errors
from flowexec.graph_io import sstable
from flowexec.graph_io.wire import field_bytes, field_varint, parse_message

__all__ = ["OBJECT_GRAPH_PROTO_KEY", "ObjectReference", "SerializedTensor",
           "SlotVariableReference", "TrackableObject", "TrackableObjectGraph"]

OBJECT_GRAPH_PROTO_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def _quote(text):
    out = []
    for ch in text.encode("utf-8"):
        c = chr(ch)
        if c in "\"'\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append(f"\\{ch:03o}")
    return '"' + "".join(out) + '"'


def _text(fields, indent):
    """Text format of [(name, int | str | [(name, ...)] sub-message)]."""
    pad = "  " * indent
    lines = []
    for name, value in fields:
        if isinstance(value, list):
            lines.append(f"{pad}{name} {{\n{_text(value, indent + 1)}{pad}}}\n")
        elif isinstance(value, bool):
            lines.append(f"{pad}{name}: {'true' if value else 'false'}\n")
        elif isinstance(value, int):
            lines.append(f"{pad}{name}: {value}\n")
        else:
            lines.append(f"{pad}{name}: {_quote(value)}\n")
    return "".join(lines)


def _str(buf):
    return bytes(buf).decode("utf-8")


@dataclasses.dataclass
class ObjectReference:
    node_id: int = 0
    local_name: str = ""

    def _fields(self):
        return [(k, v) for k, v in (("node_id", self.node_id), ("local_name", self.local_name))
                if v]

    def _bytes(self):
        return field_varint(1, self.node_id) + (
            field_bytes(2, self.local_name.encode("utf-8")) if self.local_name else b"")


@dataclasses.dataclass
class SerializedTensor:
    name: str = ""
    full_name: str = ""
    checkpoint_key: str = ""

    def _fields(self):
        return [(k, getattr(self, k)) for k in ("name", "full_name", "checkpoint_key")
                if getattr(self, k)]

    def _bytes(self):
        return b"".join(field_bytes(i, v.encode("utf-8")) for i, v in
                        enumerate((self.name, self.full_name, self.checkpoint_key), 1) if v)


@dataclasses.dataclass
class SlotVariableReference:
    original_variable_node_id: int = 0
    slot_name: str = ""
    slot_variable_node_id: int = 0

    def _fields(self):
        return [(k, getattr(self, k)) for k in
                ("original_variable_node_id", "slot_name", "slot_variable_node_id")
                if getattr(self, k)]

    def _bytes(self):
        return (field_varint(1, self.original_variable_node_id)
                + (field_bytes(2, self.slot_name.encode("utf-8")) if self.slot_name else b"")
                + field_varint(3, self.slot_variable_node_id))


@dataclasses.dataclass
class TrackableObject:
    children: list = dataclasses.field(default_factory=list)
    attributes: list = dataclasses.field(default_factory=list)
    slot_variables: list = dataclasses.field(default_factory=list)
    has_checkpoint_values: bool = None  # None: the field is absent

    def _bytes(self):
        out = b"".join(field_bytes(1, c._bytes()) for c in self.children)
        out += b"".join(field_bytes(2, a._bytes()) for a in self.attributes)
        out += b"".join(field_bytes(3, s._bytes()) for s in self.slot_variables)
        if self.has_checkpoint_values is not None:
            out += field_bytes(5, field_varint(1, int(self.has_checkpoint_values)))
        return out

    def __str__(self):
        fields = [("children", c._fields()) for c in self.children]
        fields += [("attributes", a._fields()) for a in self.attributes]
        fields += [("slot_variables", s._fields()) for s in self.slot_variables]
        if self.has_checkpoint_values is not None:
            fields.append(("has_checkpoint_values",
                           [("value", True)] if self.has_checkpoint_values else []))
        return _text(fields, 0)


@dataclasses.dataclass
class TrackableObjectGraph:
    nodes: list = dataclasses.field(default_factory=list)

    def serialize(self):
        """The message's bytes, as TF's `SerializeToString()`."""
        return b"".join(field_bytes(1, n._bytes()) for n in self.nodes)

    @classmethod
    def parse(cls, data, where="checkpoint"):
        """The graph encoded in `data`.

        Raises:
            flowexec.errors.DataLossError: `data` is not a TrackableObjectGraph (names
                `where`).
        """
        try:
            return cls([_parse_node(n) for n in parse_message(bytes(data)).get(1, [])])
        except (sstable.TableError, UnicodeDecodeError, TypeError) as e:
            raise errors.DataLossError(
                None, None, f"Unable to parse the object graph of {where}: {e}") from None

    def add_checkpoint_values_check(self):
        """Sets each node's `has_checkpoint_values`: whether it or a node below it has
        attributes or slot variables (TF's util.add_checkpoint_values_check)."""
        parents = {}
        marked = set()
        for node_id, node in enumerate(self.nodes):
            if node.attributes or node.slot_variables:
                marked.add(node_id)
            for child in node.children:
                parents.setdefault(child.node_id, set()).add(node_id)
        to_visit = set(marked)
        while to_visit:
            current = parents.pop(to_visit.pop(), None)
            if current is None:
                continue
            marked.update(current)
            to_visit.update(p for p in current if p in parents)
        for node_id, node in enumerate(self.nodes):
            node.has_checkpoint_values = node_id in marked

    def node_names(self):
        """{node id: printable path} as TF's ObjectGraphProtoPrettyPrinter names nodes:
        "(root).model.kernel", and for a slot variable "<optimizer>'s state 'm' for
        <variable>"."""
        names = {0: "(root)"}
        queue = [0]
        for node_id in queue:
            for child in self.nodes[node_id].children:
                if child.node_id not in names:
                    names[child.node_id] = names[node_id] + "." + child.local_name
                    queue.append(child.node_id)
        for node_id, node in enumerate(self.nodes):
            for ref in node.slot_variables:
                names[ref.slot_variable_node_id] = (
                    f"{names.get(node_id)}'s state '{ref.slot_name}' for "
                    f"{names.get(ref.original_variable_node_id)}")
        return names


def _parse_node(buf):
    msg = parse_message(buf)
    node = TrackableObject()
    for c in msg.get(1, []):
        f = parse_message(c)
        node.children.append(ObjectReference(f.get(1, [0])[0], _str(f.get(2, [b""])[0])))
    for a in msg.get(2, []):
        f = parse_message(a)
        node.attributes.append(SerializedTensor(*(_str(f.get(i, [b""])[0]) for i in (1, 2, 3))))
    for s in msg.get(3, []):
        f = parse_message(s)
        node.slot_variables.append(SlotVariableReference(
            f.get(1, [0])[0], _str(f.get(2, [b""])[0]), f.get(3, [0])[0]))
    if 5 in msg:
        node.has_checkpoint_values = bool(parse_message(msg[5][-1]).get(1, [0])[0])
    return node
