"""Partition: one subgraph per device, joined by transfers (TF's Send/Recv pairs).

After placement every node has a device. A tensor read on another device than the one that
made it crosses once per destination *memory*: logical CPUs share host memory, so a tensor
made on CPU:0 and read on CPU:1 needs no copy (TF's intra-process rendezvous hands over the
buffer too), while a GPU's tensor read on the host, or on another GPU, is copied once and
the copy is shared by every reader there. Fed values arrive in host memory; a fetched
value leaves for the client from host memory. An input an op reads in host memory
wherever it runs (`defop(host_inputs=...)`, TF's HostMemory: a GPU `_Send`'s step id) is
read from host memory.

`partition(graph, placement, spaces)` returns a `Partitioned`: the steps of the run in
order (`Item`s: a node, or a `Transfer` placed right before its first reader; the copies
of fetched values last), where each input of each item comes from, what every item waits
for, and the partition graphs that `RunOptions(output_partition_graphs=True)` returns:
each device's nodes plus a `_Send` on the producer's device and a `_Recv` on the
consumer's for every cross-device edge, with TF's attributes (`tensor_name`,
`send_device`, `recv_device`, `client_terminated`).

TF1 reference reads are decided here too, because they depend on memory spaces: the output
of a `ref_output` node (VariableV2), and `forwards_ref` chains over it such as `v/read`,
stand for the variable itself, so a reader in the variable's memory space reads its value
when the reader runs (after the assigns its control dependencies wait for), not when the
read node ran (`Item.live`). A transfer of such a tensor reads the variable when it sends,
as TF1's Send does.

Everything here is frozen data, compared literally by the tests.
"""

import dataclasses
import functools
from typing import Mapping, Optional, Tuple

from flowexec.framework.operation import NodeDef
from flowexec.runtime.ir import GraphIR, Node, Ref, fresh_name

HOST = "host"  # the memory space shared by every host-memory device (and by feeds/fetches)
CLIENT = ""    # the client's end of a transfer (a feed's source, a fetch's destination)


def memory_space(runtime):
    """Where a device's buffers live: HOST for host-memory devices, else the device name."""
    return HOST if runtime.host_memory else runtime.name


def short_device(name):
    """"/job:localhost/replica:0/task:0/device:GPU:1" -> "GPU_1" (for generated names)."""
    return name.rsplit("device:", 1)[-1].replace(":", "_")


@dataclasses.dataclass(frozen=True)
class Transfer:
    """A copy of one tensor into another memory space (a step of its own).

    Attributes:
        name: the step's name, "<node>/_<index>_to_<device or client>".
        tensor: the Ref copied (a fed Ref for a value arriving from the client).
        src, dst: full device names; `src` is CLIENT ("") for a fed value, `dst` is CLIENT
            for a fetched value.
        to_host: the copy goes into host memory (for host readers or the client); it runs
            on the source device, right behind the producer. Else it runs on `dst`.
        origin: the user Operations behind the tensor's producer (for error messages).
    """

    name: str
    tensor: Ref
    src: str
    dst: str
    to_host: bool
    origin: Tuple = ()

    def source_line(self):
        """`file:line` of the user code that made the tensor."""
        return self.origin[0].source_line() if self.origin else "<unknown>"

    @property
    def type(self):
        """TF's node type of the receiving end: "_HostRecv" or "_Recv"."""
        return "_HostRecv" if self.to_host else "_Recv"

    @property
    def device(self):
        """The device whose lane runs the copy."""
        return self.src if self.to_host else self.dst

    @property
    def output(self):
        """The Ref of the copy."""
        return Ref(self.name, 0, self.tensor.dtype, self.tensor.shape)

    @property
    def node_def(self):
        t = self.tensor
        return NodeDef(self.name, self.type, [t.name], self.dst, {
            "tensor_name": t.name, "send_device": self.src, "recv_device": self.dst,
            "client_terminated": not self.src, "T": t.dtype})


@dataclasses.dataclass(frozen=True)
class Item:
    """One step of a partitioned run: a node or a transfer, on one device.

    Attributes:
        device: full device name the step runs on (a transfer: see `Transfer.device`).
        node: the IR Node, or None for a transfer.
        transfer: the Transfer, or None for a node.
        inputs: per input, the Ref it reads: a node's output, a fed Ref, or a transfer's
            output (`Transfer.output`).
        outputs: the Refs it writes.
        preds: indices of the items that must finish first (data and control), sorted.
        live: (input position, variable node name) for inputs read from the variable
            when the step runs (see the module docstring).
        follows: a copy to host memory: the index of its producer's item, else None.
    """

    device: str
    node: Optional[Node]
    transfer: Optional[Transfer]
    inputs: Tuple[Ref, ...]
    outputs: Tuple[Ref, ...]
    preds: Tuple[int, ...]
    live: Tuple[Tuple[int, str], ...] = ()
    follows: Optional[int] = None

    @property
    def name(self):
        return self.node.name if self.node is not None else self.transfer.name


@dataclasses.dataclass(frozen=True)
class PartitionGraph:
    """One device's share of a step: `device` and `node` (NodeDefs, `_Send`/`_Recv`
    included). Fields read as attributes or keys (`part["node"]`), like a GraphDef's."""

    device: str
    node: Tuple[NodeDef, ...]

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __repr__(self):
        return f"<PartitionGraph {self.device}: {len(self.node)} nodes>"


@dataclasses.dataclass(frozen=True)
class Partitioned:
    """The partition stage's output.

    Attributes:
        graph: the GraphIR partitioned.
        placement: {node name: device}.
        items: the steps, in a topological order.
        fetches: per `graph.fetches` entry, the Ref the client reads (a copy to the host
            for a value in device memory).
        graphs: the partition graphs, sorted by device (made on first use, once).
    """

    graph: GraphIR
    placement: Mapping[str, str]
    items: Tuple[Item, ...]
    fetches: Tuple[Ref, ...]

    @functools.cached_property
    def graphs(self):
        return _partition_graphs(self.graph, self.placement, self.items)

    def __str__(self):
        lines = []
        for i, item in enumerate(self.items):
            what = item.node.type if item.node is not None else item.transfer.type
            ins = ", ".join(r.name for r in item.inputs)
            lines.append(f"{i:4d} {short_device(item.device) or 'client'}: {item.name} = "
                         f"{what}({ins})")
        return "\n".join(lines)


class _Builder:
    """Creates items in order; a transfer the first time a (tensor, memory) pair is read."""

    def __init__(self, graph, placement, spaces):
        self.graph = graph
        self.placement = placement
        self.spaces = spaces
        self.items = []
        self.index = {}      # node or transfer name -> item index
        self.home = {}       # Ref -> memory space holding it
        self.copies = {}     # (Ref, memory space) -> Ref of the copy
        self.names = set(n.name for n in graph.nodes)
        for r in graph.feeds:
            self.home[r] = HOST

    def space(self, device):
        return HOST if device == CLIENT else self.spaces[device]

    def read(self, ref, device):
        """The Ref a reader on `device` (CLIENT: the client) reads for `ref`."""
        src_space = self.home[ref]
        dst_space = self.space(device)
        if src_space == dst_space:
            return ref
        key = (ref, dst_space)
        copy = self.copies.get(key)
        if copy is None:
            src = CLIENT if self.graph.is_fed(ref) else self.placement[ref.node]
            to_host = dst_space == HOST
            name = self._fresh(f"{ref.node}/_{ref.index}_to_"
                               f"{short_device(device) if device else 'client'}")
            made_by = self.graph.get(ref.node)
            transfer = Transfer(name, ref, src, device, to_host,
                                made_by.origin if made_by is not None else ())
            producer = self.index.get(ref.node) if not self.graph.is_fed(ref) else None
            self.add(Item(transfer.device, None, transfer, (ref,), (transfer.output,),
                          () if producer is None else (producer,),
                          follows=producer if to_host else None), dst_space)
            copy = self.copies[key] = transfer.output
        return copy

    def _fresh(self, base):
        name = fresh_name(base, self.names)
        self.names.add(name)
        return name

    def add(self, item, space):
        self.index[item.name] = len(self.items)
        self.items.append(item)
        for r in item.outputs:
            self.home[r] = space


def partition(graph, placement, spaces):
    """Splits a placed GraphIR into steps per device, with transfers between memories.

    Args:
        graph: the (optimized) GraphIR.
        placement: {node name: full device name} (a `place.Placement`).
        spaces: {full device name: memory space} (`memory_space(runtime)`).

    Returns:
        A `Partitioned`.
    """
    b = _Builder(graph, placement, spaces)
    live_of = {}   # Ref -> (variable node name, memory space)
    for node in graph.nodes:
        device = placement[node.name]
        space = spaces[device]
        host = node.op_def.host_inputs   # read in host memory wherever the node runs
        inputs = tuple(b.read(r, CLIENT if pos in host else device)
                       for pos, r in enumerate(node.inputs))
        preds = {b.index[r.node] for r in inputs if not graph.is_fed(r)}
        preds.update(b.index[c] for c in node.control_inputs)
        live = tuple((pos, live_of[r][0]) for pos, r in enumerate(node.inputs)
                     if r in live_of and inputs[pos] == r and live_of[r][1] == space)
        out0 = node.outputs[0] if node.outputs else None
        if node.op_def.ref_output and out0 is not None and not graph.is_fed(out0):
            live_of[out0] = (node.name, space)
        elif node.op_def.forwards_ref and node.inputs and node.inputs[0] in live_of and \
                not graph.is_fed(out0) and live_of[node.inputs[0]][1] == space:
            live_of[out0] = live_of[node.inputs[0]]
        b.add(Item(device, node, None, inputs, node.outputs, tuple(sorted(preds)), live),
              space)
    fetches = tuple(b.read(r, CLIENT) for r in graph.fetches)
    items = []
    for item in b.items:
        if item.transfer is not None and item.transfer.tensor in live_of:
            item = dataclasses.replace(item, live=((0, live_of[item.transfer.tensor][0]),))
        items.append(item)
    return Partitioned(graph, placement, tuple(items), fetches)


def _partition_graphs(graph, placement, items):
    """Per device: its nodes, the transfers from/to the client, and a `_Send`/`_Recv` pair
    per tensor that crosses devices (also between devices that share memory)."""
    parts = {}
    edges = set()
    for item in items:
        t = item.transfer
        if t is not None:
            if not t.src:  # a fed value arrives from the client
                parts.setdefault(t.dst, []).append(t.node_def)
            elif not t.dst:  # a fetched value leaves for the client
                parts.setdefault(t.src, []).append(NodeDef(
                    f"{t.tensor.node}/_{t.tensor.index}_send_to_client", "_Send",
                    [t.tensor.name], t.src, dict(t.node_def.attr)))
            continue
        node = item.node
        parts.setdefault(item.device, []).append(node.node_def)
        for r in node.inputs:
            if graph.is_fed(r):
                continue
            src = placement[r.node]
            if src != item.device:
                edges.add((r, src, item.device))
    for r, src, dst in sorted(edges, key=lambda e: (e[0].name, e[1], e[2])):
        parts.setdefault(src, []).append(_send_def(r, src, dst))
        parts.setdefault(dst, []).append(_recv_def(r, src, dst))
    return tuple(PartitionGraph(d, tuple(nodes)) for d, nodes in sorted(parts.items()))


def _send_def(ref, src, dst):
    name = f"{ref.node}/_{ref.index}_send_to_{short_device(dst)}"
    return NodeDef(name, "_Send", [ref.name], src, {
        "tensor_name": ref.name, "send_device": src, "recv_device": dst,
        "client_terminated": False, "T": ref.dtype})


def _recv_def(ref, src, dst):
    name = f"{ref.node}/_{ref.index}_recv_on_{short_device(dst)}"
    return NodeDef(name, "_Recv", [], dst, {
        "tensor_name": ref.name, "send_device": src, "recv_device": dst,
        "client_terminated": False, "T": ref.dtype})
