"""Pipeline: from a run's fetches and feeds to the plan that executes them, stage by stage.

    pruned      = prune(graph, fetches, feeds, targets)       Operations a run needs
    graph_ir    = ir.from_pruned(pruned)                      frozen IR (user Graph untouched)
    optimized   = optimize(graph_ir, config.graph_options)    passes; `applied` says which
    placement   = place(optimized.graph.nodes, devices, ...)  {node: device}
    (auto mixed precision, when on: float16 for GPU-placed ops, decided by placement;
     its line joins `optimized.applied`, its Casts join the placement)
    partitioned = partition(optimized.graph, placement, spaces)  steps, transfers
    schedule    = schedule(partitioned, runtimes, threads)    kinds, lanes, events, parallel
    plan        = bind(partitioned, schedule, runtimes, ...)  kernels, slots, straight-line code

Each stage is a function from frozen data to frozen data; `build` runs them in order and
returns every stage's output as `Stages`, which `Session.explain` hands to users and which
the session's plan cache keeps beside the plan. Only `execute` (execute.py) has state.
"""

import dataclasses
import gc
from typing import Any, Mapping, Tuple

from flowexec.runtime import ir
from flowexec.runtime import optimize as passes
from flowexec.runtime.bind import Plan, bind
from flowexec.runtime.partition import Partitioned, memory_space, partition, short_device
from flowexec.runtime.place import Placement, place
from flowexec.runtime.prune import Pruned, prune
from flowexec.runtime.schedule import Schedule, schedule


@dataclasses.dataclass(frozen=True)
class Machine:
    """What plans are built for: a session's devices, runtimes, state and settings.

    Attributes:
        devices: the session's DeviceAttributes.
        runtimes: {full device name: Runtime}.
        state: the session's resource dict (variables, RNG states).
        session: the owning Session (kernels that take a KernelContext see it).
        config: the session's ConfigProto.
        num_threads: executor threads (`inter_op_parallelism_threads`).
    """

    devices: Tuple[Any, ...]
    runtimes: Mapping[str, Any]
    state: Any
    session: Any
    config: Any
    num_threads: int


@dataclasses.dataclass(frozen=True)
class Stages:
    """Every stage's output for one (fetches, feeds, targets): what `Session.explain`
    returns. `str()` prints them one after the other.

    Attributes:
        pruned: the user Operations the run needs (`prune.Pruned`).
        graph: their IR (`ir.GraphIR`), before optimization.
        optimized: `ir.Optimized`: the optimized graph and the optimizations applied.
        placement: {node name: device} (`place.Placement`, with `prediction`).
        partitioned: the steps per device and the transfers (`partition.Partitioned`),
            with the partition graphs `RunOptions.output_partition_graphs` returns.
        schedule: kinds, lanes, events and the executor choice (`schedule.Schedule`).
        plan: the bound, executable Plan (`bind.Plan`).
    """

    pruned: Pruned
    graph: ir.GraphIR
    optimized: ir.Optimized
    placement: Placement
    partitioned: Partitioned
    schedule: Schedule
    plan: Plan

    @property
    def applied(self):
        """The optimizations that changed the graph, one line each."""
        return self.optimized.applied

    @property
    def source(self):
        """The generated straight-line Python of the plan, or None when it runs on the
        parallel executor."""
        straight = self.plan.straight
        return None if straight is None else straight.source

    def __str__(self):
        placed = "\n".join(f"{name}: {device}" for name, device in self.placement.items())
        parts = [
            ("pruned", "\n".join(f"{op.name} ({op.type})" for op in self.pruned.ops)),
            ("optimized", str(self.optimized.graph)),
            ("optimizations applied", "\n".join(self.applied) or "(none)"),
            ("placement", placed),
            ("partitions", str(self.partitioned)),
            ("schedule", str(self.schedule)),
            ("plan", self.source if self.source is not None else
             f"parallel executor, {len(self.plan.steps)} steps on "
             f"{', '.join(short_device(r.name) for r in self.plan.runtimes)}"),
        ]
        return "\n\n".join(f"== {title} ==\n{body}" for title, body in parts)


def optimize(graph, graph_options):
    """The optimize stage: the passes of `flowexec.runtime.optimize`, switched by the
    session's `GraphOptions` (TF's RewriterConfig and OptimizerOptions), each switch the
    session leaves at DEFAULT taken from the process defaults
    (`tf.config.optimizer.set_experimental_options`)."""
    return passes.optimize(graph, _with_process_defaults(graph_options))


def _with_process_defaults(graph_options):
    """`graph_options` with the switches it leaves at DEFAULT taken from the process
    defaults (`tf.config.optimizer.set_experimental_options`)."""
    from flowexec.runtime.optimize.config import GraphOptions, with_process_defaults

    options = graph_options or GraphOptions()
    rw = with_process_defaults(options.rewrite_options)
    if rw is not options.rewrite_options:
        return dataclasses.replace(options, rewrite_options=rw)
    return graph_options


def build(graph, fetch_elements, feeds, machine, done=frozenset()):
    """Runs every stage for one run signature.

    Args:
        graph: the user's Graph.
        fetch_elements: the fetch structure's distinct elements (Tensors and Operations).
        feeds: the fed Tensors.
        machine: the Machine to build for.
        done: Operations an earlier call of a partial run executed (see prune.py).

    Returns:
        The Stages (`stages.plan` is what `execute` runs).

    Raises:
        InvalidArgumentError: an unfed placeholder, a cycle, or an impossible placement.
    """
    # Building allocates many small objects that all stay alive (nodes, refs, steps): the
    # cyclic collector would scan the whole heap again and again for nothing (a 4,000-node
    # plan took 4x as long), so it waits until the plan is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(graph, fetch_elements, feeds, machine, done)
    finally:
        if collecting:
            gc.enable()


def _build(graph, fetch_elements, feeds, machine, done):
    fetch_tensors = [e for e in fetch_elements if hasattr(e, "value_index")]
    targets = [e for e in fetch_elements if not hasattr(e, "value_index")]
    pruned = prune(graph, fetch_tensors, feeds, targets, done)
    graph_ir = ir.from_pruned(pruned)
    config = machine.config
    optimized = optimize(graph_ir, config.graph_options)
    g = optimized.graph
    placement = place(g.nodes, machine.devices, config.allow_soft_placement, g.feeds)
    amp, added, line = passes.mixed_precision(g, placement,
                                              _with_process_defaults(config.graph_options))
    if line:
        # Grappler's auto_mixed_precision runs on the placed graph (GPU ops only), so it
        # runs here; the Casts it adds are placed beside the node they convert for.
        g = amp
        optimized = ir.Optimized(g, optimized.applied + (line,))
        placement = Placement({**placement, **added}, placement.prediction)
    spaces = {name: memory_space(rt) for name, rt in machine.runtimes.items()}
    partitioned = partition(g, placement, spaces)
    sched = schedule(partitioned, machine.runtimes, machine.num_threads,
                     config.gpu_options.num_streams)
    position = {}
    for i, r in enumerate(g.fetches):
        position.setdefault(r, i)
    layout = [position[ir.ref_of(e)] if hasattr(e, "value_index") else None
              for e in fetch_elements]
    plan = bind(partitioned, sched, machine.runtimes, machine.state, machine.session, layout)
    return Stages(pruned, graph_ir, optimized, placement, partitioned, sched, plan)
