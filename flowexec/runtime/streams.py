"""Streams: lanes and events for asynchronous devices, assigned once at plan time.

On a GPU a kernel is *issued* to a CUDA stream and runs later; the host goes on. The plan
decides, once, for every step of an asynchronous device:

* its lane (stream): a step continues the lane of a same-device input whose producer is
  still that lane's last step (a chain stays on its stream, with no event between its ops);
  any other step starts a new chain on the least loaded lane of its device (by estimated
  cost), so independent chains run on different streams and overlap. A device-to-host copy
  goes on its producer's lane, right behind it;
* `waits`: the steps on *other* lanes (of this or another asynchronous device) it depends on;
  its lane waits for their events (`wait_event`, i.e. `cudaStreamWaitEvent`: the device
  orders the work, no host thread waits);
* `host_waits`: for a host step, the stream steps it depends on; the host thread waits for
  their events (only those: fetching one value does not synchronize the whole device);
* `records`: whether the step records an event (someone waits for it);
* `keep_alive`: inputs made on another lane or by a transfer, and variables read live
  (their buffer was allocated by whichever lane last assigned them), whose buffers must
  outlive the consuming lane's use of them (CuPy's pool hands a freed block back to the
  allocating stream: cupy issue 8068), so the lane item calls `runtime.keep_alive(buffer,
  lane)` after launching.

At run time the executor only follows these decisions (see execute.py): issuing a step
costs the same whatever the number of lanes. All of this is device-independent and is
tested on the CPU with devices.testing.ThreadStreamRuntime, whose lanes are threads.
"""

HOST_STEP = 0     # runs its kernel on an executor thread (CPU devices)
STREAM_STEP = 1   # issued to a lane of an asynchronous device (a GPU stream)


def assign_lanes(steps, preds_of, producer, max_lanes=0):
    """Sets lane, waits, host_waits, records and keep_alive on `steps` (topological order).

    Args:
        steps: the plan's Steps.
        preds_of: per step, the set of predecessor step indices (data and control).
        producer: {slot: index of the step that writes it}.
        max_lanes: use at most this many lanes per device (0: all of the runtime's).

    Returns:
        The lanes used, in first-use order (the executor drains them at the end of a run).
    """
    loads = {}   # runtime -> estimated work per lane
    tails = {}   # runtime -> last step index per lane
    index_of_lane = {}
    used = []
    for step in steps:
        if step.kind != STREAM_STEP:
            continue
        runtime = step.runtime
        if runtime not in loads:
            n = runtime.num_lanes if max_lanes <= 0 else min(max_lanes, runtime.num_lanes)
            loads[runtime] = [0.0] * n
            tails[runtime] = [None] * n
        load, tail = loads[runtime], tails[runtime]
        lane = None
        if step.follows is not None:
            lane = index_of_lane[step.follows]
        else:
            for s in step.ins:
                p = producer.get(s)
                if p is not None and steps[p].runtime is runtime and \
                        tail[index_of_lane[p]] == p:
                    lane = index_of_lane[p]
                    break
            if lane is None:
                lane = min(range(len(load)), key=load.__getitem__)
            tail[lane] = step.index
        load[lane] += max(step.cost, 1.0)
        index_of_lane[step.index] = lane
        step.lane = runtime.lane(lane)
        if step.lane not in used:
            used.append(step.lane)
    for step in steps:
        waits = []
        host_waits = []
        for p in sorted(preds_of[step.index]):
            pred = steps[p]
            if pred.kind != STREAM_STEP:
                continue  # a host step has finished before anything after it is issued
            if step.kind == HOST_STEP:
                host_waits.append(p)
                pred.records = True
            elif pred.lane is not step.lane:
                waits.append(p)
                pred.records = True
        step.waits = tuple(waits)
        step.host_waits = tuple(host_waits)
        if step.kind == STREAM_STEP:
            refs = {pos for pos, _ in step.refs}
            step.keep_alive = tuple(
                pos for pos, s in enumerate(step.ins)
                if pos in refs or _foreign(steps, producer.get(s), step))
    return used


def _foreign(steps, p, step):
    """Whether a stream step's input (made by step `p`) may live in memory another stream
    allocated: made on another lane, or by a transfer (a copy between two logical devices
    of one GPU hands over the source's buffer)."""
    if p is None:
        return False
    made = steps[p]
    return made.kind == STREAM_STEP and (
        made.lane is not step.lane or made.runtime is not step.runtime
        or type(made.op).__name__ == "TransferNode")
