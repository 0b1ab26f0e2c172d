"""Partition: one subgraph per device, joined by transfers (TF's Send/Recv pairs).

After placement every op has a device. A tensor read on another device than the one that
made it crosses once per destination *memory*: logical CPUs share host memory, so a tensor
made on CPU:0 and read on CPU:1 needs no copy (TF's intra-process rendezvous hands over the
buffer too), while a GPU's tensor read on the host, or on another GPU, is copied once and
the copy is shared by every reader there.

`plan.build_plan` asks `TransferTable.route` for the slot a consumer should read; the table
creates the transfer steps (`TransferNode`s standing in for ops) the first time a pair is
needed. The partition graphs returned by `RunOptions(output_partition_graphs=True)` show
each device's ops plus a `_Send` on the producer's device and a `_Recv` on the consumer's
for every cross-device edge, with TF's attributes (`tensor_name`, `send_device`,
`recv_device`, `client_terminated`).
"""

from flowexec.framework.operation import NodeDef

HOST = "host"  # the memory space shared by every host-memory device (and by feeds/fetches)


def memory_space(runtime):
    """Where a device's buffers live: HOST for host-memory devices, else the device name."""
    return HOST if runtime.host_memory else runtime.name


def short_device(name):
    """"/job:localhost/replica:0/task:0/device:GPU:1" -> "GPU_1" (for generated names)."""
    return name.rsplit("device:", 1)[-1].replace(":", "_")


class TransferNode:
    """A transfer step's stand-in for an Operation (name, type, NodeDef, source line).

    Attributes:
        tensor: the Tensor transferred (None for a fed value: `feed` is then set).
        src, dst: full device names (src is "" for a fed value, dst is "" for the client).
        type: "_Recv" (into a device), "_HostRecv" (into host memory for host readers or a
            fetch).
    """

    def __init__(self, tensor, src, dst, to_host):
        self.tensor = tensor
        self.src = src
        self.dst = dst
        self.to_host = to_host
        self.type = type_name = "_HostRecv" if to_host else "_Recv"
        where = short_device(dst) if dst else "client"
        self.name = f"{tensor.op.name}/_{tensor.value_index}_to_{where}"
        self.inputs = (tensor,)
        self.outputs = ()
        self._control_inputs = ()
        self.device = dst
        self.node_def = NodeDef(self.name, type_name, [tensor.name], dst, {
            "tensor_name": tensor.name, "send_device": src, "recv_device": dst,
            "client_terminated": not src, "T": tensor.dtype})

    def source_line(self):
        return self.tensor.op.source_line()

    def __repr__(self):
        return f"<Transfer {self.name}: {self.src or 'client'} -> {self.dst or 'client'}>"


class PartitionGraph:
    """One device's share of a step: `device` and `node` (NodeDefs, `_Send`/`_Recv` included).

    Fields read as attributes or keys (`part["node"]`), like a GraphDef proto's."""

    __slots__ = ("device", "node")

    def __init__(self, device, node):
        self.device = device
        self.node = node

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __repr__(self):
        return f"<PartitionGraph {self.device}: {len(self.node)} nodes>"


def _send_def(tensor, src, dst):
    name = f"{tensor.op.name}/_{tensor.value_index}_send_to_{short_device(dst)}"
    return NodeDef(name, "_Send", [tensor.name], src, {
        "tensor_name": tensor.name, "send_device": src, "recv_device": dst,
        "client_terminated": False, "T": tensor.dtype})


def _recv_def(tensor, src, dst):
    name = f"{tensor.op.name}/_{tensor.value_index}_recv_on_{short_device(dst)}"
    return NodeDef(name, "_Recv", [], dst, {
        "tensor_name": tensor.name, "send_device": src, "recv_device": dst,
        "client_terminated": False, "T": tensor.dtype})


def partition_graphs(plan):
    """The plan's per-device subgraphs, with a `_Send`/`_Recv` pair per crossing edge."""
    parts = {}
    edges = set()
    for step in plan.steps:
        node = step.op
        if isinstance(node, TransferNode):
            if not node.src:  # a fed value arrives from the client
                parts.setdefault(node.dst, []).append(node.node_def)
            elif not node.dst:  # a fetched value leaves for the client
                parts.setdefault(node.src, []).append(NodeDef(
                    f"{node.tensor.op.name}/_{node.tensor.value_index}_send_to_client",
                    "_Send", [node.tensor.name], node.src, dict(node.node_def.attr)))
            continue
        parts.setdefault(step.device, []).append(node.node_def)
        for t in node.inputs:
            src = plan.placement.get(t.op)
            if src is not None and src != step.device:
                edges.add((t, src, step.device))
    for t, src, dst in sorted(edges, key=lambda e: (e[0].name, e[1], e[2])):
        parts.setdefault(src, []).append(_send_def(t, src, dst))
        parts.setdefault(dst, []).append(_recv_def(t, src, dst))
    return [PartitionGraph(d, nodes) for d, nodes in sorted(parts.items())]
