"""Place: choose a device for every op of a pruned graph.

Rules, in TensorFlow's order of precedence:
1. Colocation groups (`colocate_with`, a Variable with its reads/assigns) share one device;
   the group's constraint merges its members' device strings, and a conflict is an
   InvalidArgumentError.
2. An explicit device string must match an available device; with
   `allow_soft_placement` an unmatched one falls back (same type if any, else the default).
3. Unconstrained groups go to the session's default device, CPU:0. (TensorFlow prefers
   GPU:0; here GPU execution — transfers between host and device for feeds and
   cross-device edges — arrives with the multi-device executor, so until then only ops
   explicitly placed on a GPU run there.)

The result is a plain dict, so the stage is tested by comparing its output literally.
"""

from devices.spec import DeviceSpec, is_compatible
from flowexec.framework import errors


def _find(parent, x):
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def colocation_groups(ops):
    """Lists of ops that must share a device (every op is in exactly one list)."""
    parent = {}
    for op in ops:
        keys = [g for g in op.colocation_groups]
        for k in keys:
            parent.setdefault(k, k)
        for k in keys[1:]:
            ra, rb = _find(parent, keys[0]), _find(parent, k)
            if ra != rb:
                parent[rb] = ra
    groups = {}
    for op in ops:
        groups.setdefault(_find(parent, op.colocation_groups[0]), []).append(op)
    return list(groups.values())


def default_device(devices):
    """Where unconstrained ops go: the first CPU (see the module docstring)."""
    for dev in devices:
        if dev.device_type == "CPU":
            return dev
    return devices[0]


def place(ops, devices, allow_soft_placement=False):
    """Maps each op to the full name of its device.

    Args:
        ops: the pruned ops.
        devices: the session's DeviceAttributes (non-empty).
        allow_soft_placement: fall back instead of failing when no device matches.

    Returns:
        {Operation: "/job:localhost/replica:0/task:0/device:CPU:0", ...}

    Raises:
        InvalidArgumentError: a device request no available device satisfies, or two
            colocated ops with conflicting requests.
    """
    names = [d.full_name for d in devices]
    fallback = default_device(devices).full_name
    placement = {}
    for group in colocation_groups(ops):
        spec = None
        for op in group:
            if not op.device:
                continue
            s = DeviceSpec.from_string(op.device)
            if spec is not None and not _mergeable(spec, s):
                raise errors.InvalidArgumentError(
                    op.node_def, op,
                    f"Cannot colocate nodes {group[0].name} and {op.name}: Cannot merge "
                    f"devices with incompatible types: '{spec.to_string()}' and "
                    f"'{s.to_string()}'")
            spec = s if spec is None else spec.make_merged_spec(s)
        if spec is None:
            chosen = fallback
        else:
            matches = [n for n in names if is_compatible(spec, n)]
            if matches:
                chosen = matches[0]
            elif allow_soft_placement:
                same_type = [d.full_name for d in devices
                             if spec.device_type and d.device_type == spec.device_type]
                chosen = same_type[0] if same_type else fallback
            else:
                op = next(o for o in group if o.device)
                raise errors.InvalidArgumentError(
                    op.node_def, op,
                    f"Cannot assign a device for operation {op.name}: Could not satisfy "
                    f"explicit device specification '{op.device}' because no devices "
                    f"matching that specification are registered in this process; available "
                    f"devices: {', '.join(names)}")
        for op in group:
            placement[op] = chosen
    return placement


def _mergeable(a, b):
    for field in ("job", "replica", "task", "device_type", "device_index"):
        x, y = getattr(a, field), getattr(b, field)
        if x is not None and y is not None and x != y:
            return False
    return True
