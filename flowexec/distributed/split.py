"""Split: partition a placed graph by task, joining the parts with `_Send`/`_Recv` pairs.

This is the first half of the distributed partition stage: the master splits the run's
(optimized, placed) GraphIR into one `TaskPart` per task, and each task then partitions its
part by device with the ordinary `runtime.partition` stage.

For every tensor read on another task than the one that made it, once per (tensor,
destination task), the producing task gets a `_Send` and the consuming task a `_Recv`,
both on the task's host device, with TF's attributes and the rendezvous key of the edge
(`rendezvous.rendezvous_key`: send device, its incarnation, recv device, edge name
`edge_<n>_<producer>`, frame 0:0). A control edge that crosses tasks becomes a pair that
carries the step id (`edge_<n>_<node>/control`). Every part reads the step id as a feed
(`TaskPart.step_feed`), and every `_Send` and `_Recv` reads it, so a value is matched with
its step whatever executor runs the part.

A tensor made on a GPU and read on a GPU of another task, where the master's `links`
joins the two devices (collective.py), crosses by that device link instead: its `_Send`
and `_Recv` run on the two GPUs, with `transport="collective"` and the link's `group`, and
its key names the two GPUs; it crosses once per (tensor, destination device).

Order, and why a step cannot deadlock: the master walks the nodes in one topological order
L and appends to each task's list, at each node, first the `_Send`s and `_Recv`s its inputs
need, then the node. Every task's part lists its nodes in the order of L, which is a
topological order of the whole graph with the send -> recv edges; a task that runs its part
in that order on one thread (`task.TaskRuntime` does) always has its next node runnable
once the earlier nodes of L have run, so the step always makes progress.

Feeds are routed to every task that reads them; a fetched tensor comes from the task that
makes it (a fetched feed is answered by the master); targets run on their own task.
Everything here is frozen data, compared literally by the tests.
"""

import dataclasses
from typing import FrozenSet, Mapping, Tuple

from flowexec.ops.sendrecv_ops import COLLECTIVE  # (and registers _Send and _Recv)
from flowexec.framework import dtypes
from flowexec.framework.tensor_shape import TensorShape
from flowexec.runtime.ir import GraphIR, Ref, fresh_name, make_node
from flowexec.distributed.rendezvous import rendezvous_key


@dataclasses.dataclass(frozen=True)
class Edge:
    """One tensor (or control edge) crossing tasks: `key`, the `_Send` and `_Recv` node
    names, the source and destination tasks, the tensor's name ("^name" for a control
    edge), and its device link's group ("" when it crosses through host memory)."""

    key: str
    send: str
    recv: str
    src_task: str
    dst_task: str
    tensor: str
    group: str = ""


@dataclasses.dataclass(frozen=True)
class TaskPart:
    """One task's share of a run: what `TaskServer.register` receives.

    Attributes:
        task: the task, "/job:ps/replica:0/task:0".
        graph: a GraphIR of the task's nodes and its `_Send`/`_Recv` nodes, in the order it
            must run them (see the module docstring); `graph.feeds[0]` is the step id, the
            rest are client feeds, in the order `TaskServer.run` receives their values;
            `graph.fetches` the tensors the master fetches from this task; `graph.targets`
            its targets and `_Send`s.
        placement: {node name: full device name} of every node of `graph`.
        incarnation: the task incarnation the part was made for (a restarted task refuses
            it: AbortedError).
        pulled_by: the receiving tasks whose part of the run a client process hosts
            (master.py): what this part sends them waits here until they collect it.
    """

    task: str
    graph: GraphIR
    placement: Mapping[str, str]
    incarnation: int
    pulled_by: FrozenSet[str] = frozenset()

    @property
    def step_feed(self):
        return self.graph.feeds[0]

    @property
    def client_feeds(self):
        return self.graph.feeds[1:]


@dataclasses.dataclass(frozen=True)
class TaskSplit:
    """The split stage's output.

    Attributes:
        parts: {task: TaskPart}, sorted by task.
        edges: every crossing, in the order made.
        feed_routes: {task: indices into the run's `graph.feeds` of the part's client feeds}.
        fetch_sources: per `graph.fetches` entry: ("", i) for the run's fed value i, else
            (task, position in that part's fetches).
    """

    parts: Mapping[str, TaskPart]
    edges: Tuple[Edge, ...]
    feed_routes: Mapping[str, Tuple[int, ...]]
    fetch_sources: Tuple[Tuple[str, int], ...]

    def __str__(self):
        lines = []
        for task, part in self.parts.items():
            lines.append(f"{task} ({len(part.graph.nodes)} nodes)")
            for n in part.graph.nodes:
                ins = ", ".join(r.name for r in n.inputs)
                lines.append(f"  {n.name} = {n.type}({ins}) @{part.placement[n.name]}")
        lines += [f"edge {e.tensor}: {e.src_task} -> {e.dst_task} [{e.key}]"
                  for e in self.edges]
        return "\n".join(lines)


def task_of(device):
    """"/job:ps/replica:0/task:0/device:CPU:0" -> "/job:ps/replica:0/task:0"."""
    return device.split("/device:", 1)[0]


def split(graph, placement, hosts, incarnations, task_incarnations, links=None):
    """Splits a placed GraphIR into TaskParts joined by `_Send`/`_Recv` pairs.

    Args:
        graph: the optimized GraphIR.
        placement: {node name: full device name} (every name has a job and task).
        hosts: {task: full name of its host (CPU) device}: where `_Send`/`_Recv` run.
        incarnations: {full device name: incarnation} (the keys name the sending device's).
        task_incarnations: {task: the task's incarnation}.
        links: `links(src device, dst device) -> (group name, src GPU ordinal, dst GPU
            ordinal) or None`: a tensor made on `src` and read on `dst` crosses by that
            device link (collective.py), its `_Send` and `_Recv` on those two devices
            with `transport="collective"`, the group and the other end's ordinal
            (`peer_gpu`); None: every tensor crosses through the tasks' host memory.

    Returns:
        A TaskSplit.
    """
    names = set(n.name for n in graph.nodes)
    step_name = fresh_name("_step_id", names)
    names.add(step_name)
    step = Ref(step_name, 0, dtypes.int64, TensorShape([]))
    fed_index = {r: i for i, r in enumerate(graph.feeds)}
    nodes = {}            # task -> [Node]
    where = {}            # node name -> device
    feeds = {}            # task -> [index into graph.feeds]
    crossed = {}          # (ref or "^name", dst task) -> Ref or name read on dst
    edges = []

    def add(task, node, device):
        nodes.setdefault(task, []).append(node)
        where[node.name] = device

    def cross(what, src_device, dst_device, control):
        dst_task = task_of(dst_device)
        key_of = ("^" + what) if control else what
        link = None if control or links is None else links(src_device, dst_device)
        group = link[0] if link else None
        where = dst_device if group else dst_task
        hit = crossed.get((key_of, where))
        if hit is not None:
            return hit
        src_task = task_of(src_device)
        producer = what if control else what.node
        edge = f"edge_{len(edges)}_{producer}" + ("/control" if control else "")
        send_dev, recv_dev = (src_device, dst_device) if group else \
            (hosts[src_task], hosts[dst_task])
        key = rendezvous_key(send_dev, incarnations[send_dev], recv_dev, edge)
        dtype = dtypes.int64 if control else what.dtype
        shape = TensorShape([]) if control else what.shape
        common = {"tensor_name": edge, "send_device": send_dev,
                  "send_device_incarnation": incarnations[send_dev], "recv_device": recv_dev,
                  "client_terminated": False, "key": key}
        send_attrs, recv_attrs = {}, {}
        if group:
            common.update(transport=COLLECTIVE, group=group)
            send_attrs, recv_attrs = {"peer_gpu": link[2]}, {"peer_gpu": link[1]}
        send_name = fresh_name(f"{producer}/_send_{edge}", names)
        names.add(send_name)
        send = make_node("_Send", send_name, [step if control else what, step],
                         {**common, **send_attrs, "T": dtype, "recv_task": dst_task},
                         control_inputs=(what,) if control else (), device=send_dev,
                         outputs=[])
        add(src_task, send, send_dev)
        recv_name = fresh_name(f"{producer}/_recv_{edge}", names)
        names.add(recv_name)
        recv = make_node("_Recv", recv_name, [step],
                         {**common, **recv_attrs, "tensor_type": dtype, "shape": shape},
                         device=recv_dev,
                         outputs=[(dtype, shape)])
        add(dst_task, recv, recv_dev)
        edges.append(Edge(key, send_name, recv_name, src_task, dst_task,
                          key_of if control else what.name, group or ""))
        out = recv.name if control else recv.outputs[0]
        crossed[(key_of, where)] = out
        return out

    for node in graph.nodes:
        device = placement[node.name]
        task = task_of(device)
        inputs = []
        for r in node.inputs:
            if graph.is_fed(r):
                route = feeds.setdefault(task, [])
                if fed_index[r] not in route:
                    route.append(fed_index[r])
                inputs.append(r)
                continue
            src = placement[r.node]
            inputs.append(r if task_of(src) == task else cross(r, src, device, False))
        controls = []
        for c in node.control_inputs:
            src = placement[c]
            controls.append(c if task_of(src) == task else cross(c, src, device, True))
        add(task, node.replace(inputs=tuple(inputs), control_inputs=tuple(controls)), device)

    fetches = {}
    sources = []
    for r in graph.fetches:
        if graph.is_fed(r):
            sources.append(("", fed_index[r]))
            continue
        task = task_of(placement[r.node])
        lst = fetches.setdefault(task, [])
        if r not in lst:
            lst.append(r)
        sources.append((task, lst.index(r)))
    targets = {}
    for t in graph.targets:
        targets.setdefault(task_of(placement[t]), []).append(t)
    for e in edges:
        targets.setdefault(e.src_task, []).append(e.send)

    parts = {}
    routes = {}
    for task in sorted(nodes):
        route = tuple(sorted(feeds.get(task, ())))
        routes[task] = route
        g = GraphIR(tuple(nodes[task]), (step,) + tuple(graph.feeds[i] for i in route),
                    tuple(fetches.get(task, ())), tuple(targets.get(task, ())))
        g.validate()
        parts[task] = TaskPart(task, g, {n.name: where[n.name] for n in g.nodes},
                               task_incarnations[task])
    return TaskSplit(parts, tuple(edges), routes, tuple(sources))
