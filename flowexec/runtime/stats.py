"""Step stats: `RunMetadata.step_stats` from the executor's trace of one step.

Per device, per lane: a host step's lane is the worker thread that ran it, numbered per
device in order of first use; a stream step's lane is its stream's index. Each op's
`timeline_label` is TF's "name = Type(input, ...)", inputs named by the step they were
read from (the transfer that copied a value, or its producer; a fed value by its tensor's
node), which `flowexec.timeline` reads. A step that stands for several user ops (a fused
`_FusedElementwise` / `_FusedMatMul`) lists them after its type, "name:Type" in graph order:
"y = _FusedElementwise[t:Tanh, m:Mul, y:Add](x)".
"""

from flowexec.runtime import config as config_mod


def step_stats(plan, record, wall0, perf0):
    """The StepStats of one traced step.

    Args:
        plan: the Plan run.
        record: the executor's trace, [(step index, start, end, thread id, lane)] with
            perf_counter times.
        wall0, perf0: `time.time()` and `time.perf_counter()` read together at the start.

    Returns:
        A StepStats, devices sorted by name.
    """
    by_device = {}
    thread_lanes = {}
    for i, start, end, thread, lane in sorted(record, key=lambda r: r[1]):
        step = plan.steps[i]
        if lane is None:
            lanes = thread_lanes.setdefault(step.device, {})
            lane = lanes.setdefault(thread, len(lanes))
        start_us = int((wall0 + (start - perf0)) * 1e6)
        dur = max(int((end - start) * 1e6), 0)
        named = step.node if step.node is not None else step.transfer
        stats = config_mod.NodeExecStats(
            node_name=named.name, all_start_micros=start_us, op_start_rel_micros=0,
            op_end_rel_micros=dur, all_end_rel_micros=dur,
            thread_id=thread if thread is not None else lane,
            timeline_label=f"{named.name} = {named.type}{_contents(step.node)}("
                           + ", ".join(_producer_name(plan, s) for s in step.ins) + ")",
            lane=lane)
        by_device.setdefault(step.device, []).append(stats)
    return config_mod.StepStats(
        [config_mod.DeviceStepStats(d, s) for d, s in sorted(by_device.items())])


def _contents(node):
    """"[name:Type, ...]" of the user ops a fused node stands for ("" for one op or none)."""
    if node is None or len(node.origin) < 2:
        return ""
    return "[" + ", ".join(f"{op.name}:{op.type}" for op in node.origin) + "]"


def _producer_name(plan, slot):
    """The step a value was read from (a fed value: its tensor's node)."""
    p = plan.producer.get(slot)
    if p is None:
        return plan.slot_refs[slot].node
    step = plan.steps[p]
    return step.node.name if step.node is not None else step.transfer.name
