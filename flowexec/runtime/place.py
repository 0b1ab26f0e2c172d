"""Place: choose a device for every op of a pruned graph.

Rules, in TensorFlow's order of precedence:

1. Colocation groups (`colocate_with`, a Variable with its reads and assigns) share one
   device. The group's request merges its members' device strings as TensorFlow merges
   them; a conflict is an InvalidArgumentError ("Cannot colocate nodes ..."), except that
   with `allow_soft_placement` a conflicting device type or index is dropped, as in TF.
   An op carrying functions (If, While) whose functions change state (assign or apply
   to a variable, use a queue or a table) is colocated with that state (the first it
   changes), and its own request yields to the others of its group: TF builds a
   `tf.cond` branch's assign as an op of its own, colocated with the variable, so a cond
   on a worker that assigns a ps variable runs its assign on the ps; here the whole If
   goes there.
2. Kernels: an op runs on a device type when its OpDef `supports` it and, off the host, when
   none of its inputs or outputs is a string. A group may use a device type that every
   member supports ("Cannot colocate nodes ... because no device type supports both ...").
3. An explicit request must match a device of the session that supports the group. With
   `allow_soft_placement` an unsatisfiable one falls back: to a supporting device of the
   requested type if any, else to the first supporting device (GPUs first, as TF prefers).
   Without it: InvalidArgumentError "Cannot assign a device for operation X: Could not
   satisfy explicit device specification ...".
4. Unconstrained groups. Candidates are the session's GPUs when it has any, else its CPUs.
   A group without a kernel on the candidates goes to the first CPU. A group holding state
   (a stateful member: Variable, Assign, random ops) goes to the first candidate: TensorFlow
   places a whole graph once, so a variable keeps its device for every run; here each
   (fetches, feeds) combination is placed separately, and only a fixed rule gives every
   plan the same answer. The other (free) groups are placed by `autoplace` over the
   candidates, cost-based; a session with one candidate device puts them there directly.

The stage reads IR nodes (`flowexec.runtime.ir`) and returns a `Placement`: a read-only
mapping {node name: full device name} with what the automatic placement predicted, so it is
tested by comparing its output literally. Errors name the user's Operation behind a node.
"""

import collections.abc
import types

from devices.spec import DeviceSpec, is_compatible
from flowexec.framework import dtypes, errors
from flowexec.framework.graph import Graph
from flowexec.runtime.autoplace import AutoPlacement, autoplace

# Device types in TensorFlow's order of preference.
_PRIORITY = ("GPU", "CPU")


class Placement(collections.abc.Mapping):
    """{node name: full device name}, read-only, with `prediction` (an AutoPlacement)."""

    __slots__ = ("_devices", "prediction")

    def __init__(self, devices, prediction):
        self._devices = types.MappingProxyType(dict(devices))
        self.prediction = prediction

    def __getitem__(self, name):
        return self._devices[name]

    def __iter__(self):
        return iter(self._devices)

    def __len__(self):
        return len(self._devices)

    def __repr__(self):
        return f"Placement({dict(self._devices)!r})"


def _find(parent, x):
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def colocation_groups(ops):
    """Lists of nodes that must share a device (every node is in exactly one list).

    Besides explicit colocation (`colocate_with`, `loc:@` groups), a node is colocated, as
    TF's placer does, with the variables whose refs it takes (the ops that name them in
    their `ref_attr`: Assign, the Apply ops, ...) and with the producers of its resource
    inputs (queue and iterator handles): their state lives where the variable or resource
    was made, which matters when a cluster's tasks hold separate state."""
    parent = {}
    by_name = {op.name: op for op in ops}

    def union(a, b):
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            parent[rb] = ra

    for op in ops:
        keys = [g for g in op.colocation_groups]
        for k in keys:
            parent.setdefault(k, k)
        for k in keys[1:]:
            union(keys[0], k)
        owners = _state_owners(op, by_name)
        if _function_graphs(op):
            # a function runs on one device: the first state it changes decides. State on
            # other devices is the session's in one process; on a cluster a function that
            # changes two tasks' state is refused (distributed/remote_reads.py)
            owners = owners[:1]
        for other in owners:
            union(keys[0], other.colocation_groups[0])
    groups = {}
    for op in ops:
        groups.setdefault(_find(parent, op.colocation_groups[0]), []).append(op)
    return list(groups.values())


def _function_graphs(op):
    """The function graphs `op` carries (an If's branches, a While's condition and body)."""
    graphs = []
    for value in op.attrs.values():
        values = value if isinstance(value, (list, tuple)) else (value,)
        graphs += [v for v in values if isinstance(v, Graph)]
    return graphs


def _named_variables(op):
    """The variables `op` takes the refs of: those its `ref_attr` names."""
    ref_attr = getattr(op.op_def.node_def_form, "ref_attr", None)
    names = op.attrs.get(ref_attr) if ref_attr else None
    return [names] if isinstance(names, str) else list(names or ())


def updated_in_functions(op):
    """The names of the variables the functions of `op` (and those nested in them)
    update: in a function, an Assign or Apply op names the outer variable it updates."""
    names = []
    for fg in _function_graphs(op):
        names += updated_in_graph(fg)
    return names


def updated_in_graph(fg):
    """The names of the variables the ops of function graph `fg` (and the functions they
    carry) update."""
    names = []
    for inner in fg.get_operations():
        names += _named_variables(inner) + updated_in_functions(inner)
    return names


def _yields(op, group):
    """Whether `op`'s device request gives way to the others of its colocation group: an
    op carrying functions, placed with the state they change (module docstring)."""
    return bool(_function_graphs(op)) and any(
        other.device and not _function_graphs(other) for other in group)


def _state_owners(op, by_name):
    """The nodes holding state `op` works on: named variables (also those its functions
    update) and resource producers."""
    owners = []
    for name in _named_variables(op) + updated_in_functions(op):
        var = by_name.get(name)
        if var is not None and var is not op and var not in owners:
            owners.append(var)
    for r in op.inputs:
        if r.dtype is dtypes.resource:
            producer = by_name.get(r.node)
            if producer is not None and producer is not op:
                owners.append(producer)
    return owners


def default_device(devices):
    """The device TensorFlow prefers for unconstrained work: the first GPU, else the first
    CPU."""
    return min(devices, key=lambda d: (_priority(d.device_type), devices.index(d)))


def op_supports(op, device_type):
    """Whether `op` can run on a device of `device_type`.

    Its OpDef must have a kernel for the type (host-only ops such as PyFunc and summaries
    declare `device_types=("CPU",)`), and an op with a string input or output runs only on a
    CPU: strings are Python objects that live on the host.
    """
    if device_type != "CPU":
        for t in op.inputs:
            if t.dtype is dtypes.string:
                return False
        for t in op.outputs:
            if t.dtype is dtypes.string:
                return False
    return op.op_def.supports(device_type)


def place(ops, devices, allow_soft_placement=False, fed=frozenset(), local_task=None):
    """Maps each node to the full name of its device.

    Args:
        ops: IR nodes (`GraphIR.nodes`), in topological order.
        devices: the session's DeviceAttributes (non-empty).
        allow_soft_placement: fall back instead of failing when no device matches.
        fed: the fed Refs (`GraphIR.feeds`): their values come from the host.
        local_task: for a session on a cluster, the DeviceSpec of the task it connected
            to ("/job:worker/replica:0/task:0"): a request that names no job runs there
            (its job, replica and task are filled in), and unconstrained ops go to its
            devices.

    Returns:
        A Placement: {"a": "/job:localhost/replica:0/task:0/device:CPU:0", ...}, with
        `prediction`, the AutoPlacement (one device per colocation group, in
        `colocation_groups(ops)` order, and the predicted step times).

    Raises:
        InvalidArgumentError: a device request no available device satisfies (no such
            device, or no kernel for its type), or colocated ops with conflicting requests.

    Example:
        >>> with tf.device("/cpu:1"):
        ...     a = tf.constant(1.0, name="a")
        >>> place([ir.node_of(a.op)], devices.local_devices({"CPU": 2}))
        Placement({'a': '/job:localhost/replica:0/task:0/device:CPU:1'})
    """
    ops = list(ops)
    devices = list(devices)
    groups = colocation_groups(ops)
    known_types = list(_PRIORITY) + sorted({d.device_type for d in devices} - set(_PRIORITY))
    home = devices
    if local_task is not None:
        home = [d for d in devices if is_compatible(local_task, d.full_name)] or devices
    gpus = [d for d in home if d.device_type == "GPU"]
    candidates = gpus or [d for d in home if d.device_type == "CPU"] or home[:1]
    fixed = {}
    group_types = []
    for gi, group in enumerate(groups):
        spec = _merged_request(group, allow_soft_placement)
        if spec is not None and local_task is not None and spec.job is None:
            spec = spec.replace(job=local_task.job, replica=local_task.replica,
                                task=local_task.task)
        types = _supported_types(group, known_types)
        group_types.append(frozenset(types))
        supporting = [d for d in devices if d.device_type in types]
        if spec is not None:
            fixed[gi] = _explicit(group, spec, supporting, devices, known_types,
                                  allow_soft_placement).full_name
            continue
        if not supporting:
            raise _no_kernel_error(group, known_types)
        usable = [d for d in candidates if d.device_type in types]
        if not usable:
            cpus = [d for d in supporting if d.device_type == "CPU"]
            fixed[gi] = (cpus or supporting)[0].full_name
        elif any(op.op_def.stateful for op in group):
            fixed[gi] = usable[0].full_name
    free = [gi for gi in range(len(groups)) if gi not in fixed]
    if len(candidates) == 1 or not free:
        name = candidates[0].full_name
        report = AutoPlacement(tuple(fixed.get(gi, name) for gi in range(len(groups))),
                               None, None, False, name)
    else:
        report = autoplace(ops, groups, devices, fixed, [d.full_name for d in candidates],
                           group_types, fed)
    placement = {}
    for group, name in zip(groups, report.devices_by_group):
        for op in group:
            placement[op.name] = name
    return Placement({op.name: placement[op.name] for op in ops}, report)


def _priority(device_type):
    return _PRIORITY.index(device_type) if device_type in _PRIORITY else len(_PRIORITY)


def _merged_request(group, allow_soft_placement):
    """The merge of the group's device requests (None when no member asks for one)."""
    spec = None
    first = None
    for op in group:
        if not op.device or _yields(op, group):
            continue
        s = DeviceSpec.from_string(op.device)
        if spec is None:
            spec, first = s, op
            continue
        spec = _merge(spec, s, allow_soft_placement, first, op)
    if spec is not None and spec == DeviceSpec():
        return None     # soft placement dropped every conflicting field: unconstrained
    return spec


_FIELDS = (("job", "jobs"), ("replica", "replicas"), ("task", "tasks"))


def _merge(target, other, soft, first, op):
    """TensorFlow's MergeDevNames: fields set in both must agree; with soft placement a
    conflicting type clears type and index, and a conflicting index clears the index."""
    def conflict(what):
        return errors.InvalidArgumentError(
            op.node_def, op.user_op,
            f"Cannot colocate nodes {first.name} and {op.name}: Cannot merge devices with "
            f"incompatible {what}: '{target.to_string()}' and '{other.to_string()}'")

    fields = {}
    for field, plural in _FIELDS:
        a, b = getattr(target, field), getattr(other, field)
        if a is not None and b is not None and a != b:
            raise conflict(plural)
        fields[field] = a if a is not None else b
    a, b = target.device_type, other.device_type
    if a is not None and b is not None and a != b:
        if not soft:
            raise conflict("types")
        return DeviceSpec(**fields)
    fields["device_type"] = a if a is not None else b
    a, b = target.device_index, other.device_index
    if a is not None and b is not None and a != b:
        if not soft:
            raise conflict("ids")
        return DeviceSpec(**fields)
    fields["device_index"] = a if a is not None else b
    return DeviceSpec(**fields)


def _supported_types(group, known_types):
    """Device types with a kernel for every member of the group."""
    types = [t for t in known_types if all(op_supports(op, t) for op in group)]
    if not types and len(group) > 1:
        common = set(known_types)
        for op in group:
            common &= {t for t in known_types if op_supports(op, t)}
            if not common:
                raise errors.InvalidArgumentError(
                    op.node_def, op.user_op,
                    f"Cannot colocate nodes {op.name} and {group[0].name} because no device "
                    f"type supports both of those nodes and the other nodes colocated with "
                    f"them.{_debug_info(group, known_types)}")
    return types


def _explicit(group, spec, supporting, devices, known_types, soft):
    """The device for a group with a (merged) request `spec`."""
    for d in supporting:
        if is_compatible(spec, d.full_name):
            return d
    if soft:
        loose = spec.replace(device_type=None, device_index=None)
        pool = [d for d in supporting if is_compatible(loose, d.full_name)]
        if pool:
            return min(pool, key=lambda d: (d.device_type != spec.device_type,
                                            _priority(d.device_type), devices.index(d)))
    op = next(o for o in group if o.device)
    requested = op.device
    names = [d.full_name for d in devices]
    debug = _debug_info(group, known_types)
    prefix = (f"Cannot assign a device for operation {op.name}: Could not satisfy explicit "
              f"device specification '{requested}'")
    if DeviceSpec.from_string(requested) != spec:
        message = (f"{prefix} because the node was colocated with a group of nodes that "
                   f"required incompatible device '{spec.to_string()}'{debug}")
    elif not any(is_compatible(spec, n) for n in names):
        message = (f"{prefix} because no devices matching that specification are registered "
                   f"in this process; available devices: {', '.join(names)}{debug}")
    elif spec.device_type is not None:
        message = (f"{prefix} because no supported kernel for {spec.device_type} devices is "
                   f"available.{debug}\nRegistered kernels:\n{_kernels(op)}")
    else:
        message = f"{prefix}{debug}"
    raise errors.InvalidArgumentError(op.node_def, op.user_op, message)


def _debug_info(group, known_types):
    """TensorFlow's "Colocation Debug Info" for a group of more than one op, else ""."""
    if len(group) < 2:
        return ""
    by_type = {}
    for op in group:
        by_type.setdefault(op.type, "".join(f"{t} " for t in known_types
                                            if op_supports(op, t)))
    lines = ["", "Colocation Debug Info:",
             "Colocation group had the following types and devices: "]
    lines += [f"{t}: {d}" for t, d in by_type.items()]
    lines += ["", "Colocation members and user-requested devices:"]
    lines += [f"  {op.name} ({op.type}) {op.device}" for op in group]
    return "\n".join(lines) + "\n"


def _kernels(op):
    types = [t for t in _PRIORITY if op_supports(op, t)]
    if not types:
        return "  <no registered kernels>\n"
    return "".join(f"  device='{t}'\n" for t in types)


def _no_kernel_error(group, known_types):
    op = group[0]
    inputs = ", ".join(t.dtype.proto_name for t in op.inputs)
    return errors.InvalidArgumentError(
        op.node_def, op.user_op,
        f"Cannot assign a device for operation {op.name}: Node had no OpKernel registered to "
        f"support this operation: Operation was {op.type} and inputs were [{inputs}]"
        f"{_debug_info(group, known_types)}")
