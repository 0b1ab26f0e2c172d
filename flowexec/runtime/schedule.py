"""Schedule: how each step runs, decided once per plan — threads, lanes and events.

Every step of a partitioned run (`partition.Item`) gets its static cost (`cost.py`) and:

* its kind: a HOST_STEP runs its kernel on an executor thread (CPU devices); a STREAM_STEP
  is *issued* to a lane of an asynchronous device (a GPU stream) and runs there later;
* `expensive`: a host step worth a thread hand-off (cost at least `EXPENSIVE_COST`); cheap
  steps run inline on the thread that made them ready;
* for a stream step, its lane (stream): a step continues the lane of a same-device input
  whose producer is still that lane's last step (a chain stays on its stream, with no event
  between its ops); any other step starts a new chain on the least loaded lane of its
  device (by estimated cost), so independent chains run on different streams and overlap.
  A device-to-host copy goes on its producer's lane, right behind it;
* `waits`: the stream steps on *other* lanes it depends on; its lane waits for their events
  (`wait_event`, i.e. `cudaStreamWaitEvent`: the device orders the work, no host thread
  waits); `host_waits`, for a host step, the stream steps it depends on: the thread waits
  for their events, and only those (fetching one value does not synchronize the device);
* `records`: whether the step records an event (someone waits for it, or it is fetched);
* `keep_alive`: inputs made on another lane or by a transfer, and variables read live
  (their buffer was allocated by whichever lane last assigned them), whose buffers must
  outlive the consuming lane's use of them (CuPy's pool hands a freed block back to the
  allocating stream: cupy issue 8068);
* `account`: whether its outputs are accounted against the device's memory limit (not a
  variable's state, not a copy into host memory).

And for the whole plan, `parallel`: whether to run with worker threads at all. When the
longest cost-weighted path is nearly the whole cost, the plan runs as straight-line code
(see codegen.py), paying no synchronisation; stream lanes and memory accounting live in the
interpreted executor, so they make a plan parallel.

At run time the executor only follows these decisions (see execute.py): issuing a step
costs the same whatever the number of lanes. All of this is device-independent and is
tested on the CPU with devices.testing.ThreadStreamRuntime, whose lanes are threads. The
stage reads only static attributes of the runtimes (`asynchronous`, `num_lanes`,
`enforces_memory_limit`).
"""

import dataclasses
from typing import Tuple

from flowexec.runtime import cost as cost_mod

HOST_STEP = 0     # runs its kernel on an executor thread (CPU devices)
STREAM_STEP = 1   # issued to a lane of an asynchronous device (a GPU stream)


@dataclasses.dataclass(frozen=True)
class StepSchedule:
    """How one step runs (see the module docstring for each field)."""

    kind: int
    cost: float
    expensive: bool
    lane: int = -1
    waits: Tuple[int, ...] = ()
    host_waits: Tuple[int, ...] = ()
    records: bool = False
    keep_alive: Tuple[int, ...] = ()
    account: bool = False


@dataclasses.dataclass(frozen=True)
class Schedule:
    """The schedule stage's output.

    Attributes:
        steps: one StepSchedule per `Partitioned.items` entry.
        lanes: the (device, lane index) pairs used, in first-use order (the executor drains
            them at the end of a run).
        fetch_waits: stream steps whose events the client waits for (fetched values).
        parallel: run with worker threads (else straight-line code).
        total_cost: the sum of the expensive host steps' costs (ns).
        critical_path: the longest chain of expensive host steps (ns).
    """

    steps: Tuple[StepSchedule, ...]
    lanes: Tuple[Tuple[str, int], ...]
    fetch_waits: Tuple[int, ...]
    parallel: bool
    total_cost: float
    critical_path: float

    def __str__(self):
        lines = []
        for i, s in enumerate(self.steps):
            where = "host" if s.kind == HOST_STEP else f"lane {s.lane}"
            extra = [f"waits {list(s.waits)}"] if s.waits else []
            extra += [f"host_waits {list(s.host_waits)}"] if s.host_waits else []
            extra += ["records"] if s.records else []
            extra += ["expensive"] if s.expensive else []
            lines.append(f"{i:4d} {where} cost={s.cost:.0f}ns {' '.join(extra)}".rstrip())
        lines.append(f"parallel={self.parallel} total={self.total_cost:.0f}ns "
                     f"critical={self.critical_path:.0f}ns")
        return "\n".join(lines)


def schedule(partitioned, runtimes, num_threads, max_lanes=0):
    """Decides kind, cost, lane, events and memory accounting of every step.

    Args:
        partitioned: the partition stage's output.
        runtimes: {full device name: Runtime} (only static attributes are read).
        num_threads: the executor threads available (1: never parallel).
        max_lanes: use at most this many lanes per asynchronous device (0: all).

    Returns:
        A Schedule.
    """
    items = partitioned.items
    producer = {}
    for i, item in enumerate(items):
        for r in item.outputs:
            producer[r] = i
    kinds = []
    costs = []
    for item in items:
        runtime = runtimes[item.device]
        kinds.append(STREAM_STEP if runtime.asynchronous else HOST_STEP)
        costs.append(cost_mod.estimate_cost(item.node) if item.node is not None
                     else cost_mod.copy_cost(item.transfer.tensor))
    lanes, used = _assign_lanes(items, kinds, costs, producer, runtimes, max_lanes)
    waits = [()] * len(items)
    host_waits = [()] * len(items)
    records = [False] * len(items)
    for i, item in enumerate(items):
        w, hw = [], []
        for p in item.preds:
            if kinds[p] != STREAM_STEP:
                continue  # a host step has finished before anything after it is issued
            if kinds[i] == HOST_STEP:
                hw.append(p)
                records[p] = True
            elif (items[p].device, lanes[p]) != (item.device, lanes[i]):
                w.append(p)
                records[p] = True
        waits[i], host_waits[i] = tuple(w), tuple(hw)
    fetch_waits = []
    for r in partitioned.fetches:
        p = producer.get(r)
        if p is not None and kinds[p] == STREAM_STEP:
            records[p] = True
            if p not in fetch_waits:
                fetch_waits.append(p)
    steps = []
    for i, item in enumerate(items):
        runtime = runtimes[item.device]
        keep = ()
        if kinds[i] == STREAM_STEP:
            live = {pos for pos, _ in item.live}
            keep = tuple(pos for pos, r in enumerate(item.inputs)
                         if pos in live or _foreign(items, kinds, lanes, producer.get(r), i))
        account = runtime.enforces_memory_limit and not (
            (item.transfer is not None and item.transfer.to_host)
            or (item.node is not None and item.node.op_def.ref_output
                and not partitioned.graph.is_fed(item.outputs[0])))
        steps.append(StepSchedule(
            kinds[i], costs[i], kinds[i] == HOST_STEP and costs[i] >= cost_mod.EXPENSIVE_COST,
            lanes[i], waits[i], host_waits[i], records[i], keep, account))
    total, critical = _critical_path(items, steps)
    parallel = bool(used) or any(s.account for s in steps) or (
        num_threads > 1 and total > 0.0 and cost_mod.worth_overlapping(total, critical))
    return Schedule(tuple(steps), tuple(used), tuple(fetch_waits), parallel, total, critical)


def _assign_lanes(items, kinds, costs, producer, runtimes, max_lanes):
    """Lane index per step (-1 for host steps) and the (device, lane) pairs used."""
    loads = {}   # device -> estimated work per lane
    tails = {}   # device -> last step index per lane
    lanes = [-1] * len(items)
    used = []
    for i, item in enumerate(items):
        if kinds[i] != STREAM_STEP:
            continue
        device = item.device
        if device not in loads:
            n = runtimes[device].num_lanes
            n = n if max_lanes <= 0 else min(max_lanes, n)
            loads[device] = [0.0] * n
            tails[device] = [None] * n
        load, tail = loads[device], tails[device]
        lane = None
        if item.follows is not None:
            lane = lanes[item.follows]
        else:
            for r in item.inputs:
                p = producer.get(r)
                if p is not None and items[p].device == device and tail[lanes[p]] == p:
                    lane = lanes[p]
                    break
            if lane is None:
                lane = min(range(len(load)), key=load.__getitem__)
            tail[lane] = i
        load[lane] += max(costs[i], 1.0)
        lanes[i] = lane
        if (device, lane) not in used:
            used.append((device, lane))
    return lanes, used


def _foreign(items, kinds, lanes, p, i):
    """Whether a stream step's input (made by step `p`) may live in memory another stream
    allocated: made on another lane, or by a transfer (a copy between two logical devices
    of one GPU hands over the source's buffer)."""
    if p is None:
        return False
    made = items[p]
    return kinds[p] == STREAM_STEP and (
        lanes[p] != lanes[i] or made.device != items[i].device or made.transfer is not None)


def _critical_path(items, steps):
    """(total, longest chain) of the expensive host steps' costs."""
    total = 0.0
    longest = [0.0] * len(items)
    critical = 0.0
    for i, item in enumerate(items):
        w = steps[i].cost if steps[i].expensive else 0.0
        total += w
        longest[i] = max((longest[p] for p in item.preds), default=0.0) + w
        critical = max(critical, longest[i])
    return total, critical
