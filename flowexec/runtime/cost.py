"""Cost: the static estimates placement and scheduling read (one model, one place).

Times are estimated nanoseconds on one core. An op's `cost` in its defop returns them (a
CHEAP op with known shapes costs ~1 ns per element, an EXPENSIVE one ~4 ns per element,
MatMul its multiply-adds); a transfer costs its bytes over the link's bandwidth.

The thresholds follow from what overlapping costs: a thread hand-off is ~50 µs, so only
steps worth at least `EXPENSIVE_COST` are handed to another thread, and a plan (or a spread
placement) is worth it only when it saves `PARALLEL_MIN_SAVING` and is `PARALLEL_MIN_RATIO`
times faster than running on one thread (one device).

Everything here reads only static data (op definitions, dtypes and shapes), so it works on
IR nodes and user Operations alike.
"""

from flowexec.framework import registry

EXPENSIVE_COST = 5e4
DEFAULT_EXPENSIVE = 1e5   # an EXPENSIVE op whose shapes are unknown
PARALLEL_MIN_SAVING = 1e6
PARALLEL_MIN_RATIO = 1.15

# An unknown dimension (usually the batch) counts as this many elements.
UNKNOWN_DIM = 32
# Handing a value to another logical CPU is a thread hand-off (~50 µs); the data stays in
# host memory, so nothing is paid per byte.
CPU_HANDOFF_NS = 5e4
# A copy that involves a GPU: ~10 µs to launch and synchronise, then the link's bandwidth.
GPU_LATENCY_NS = 1e4
GPU_GPU_NS_PER_BYTE = 1.0 / 20.0    # peer copy, ~20 GB/s
HOST_GPU_NS_PER_BYTE = 1.0 / 10.0   # PCIe through pinned memory, ~10 GB/s
COPY_NS_PER_BYTE = 1.0 / 10.0       # a transfer step's own estimate (any link)


def numel(shape):
    """Elements of a fully defined static shape, else None."""
    if not shape.is_fully_defined():
        return None
    n = 1
    for d in shape.as_tuple():
        n *= d
    return n


def estimate_cost(op):
    """Static cost of one op (an IR node or an Operation) in estimated nanoseconds."""
    c = op.op_def.estimated_cost(op)
    if isinstance(c, (int, float)):
        return float(c)
    sizes = [numel(t.shape) for t in op.outputs] + [numel(t.shape) for t in op.inputs]
    known = [s for s in sizes if s is not None]
    if c == registry.EXPENSIVE:
        return float(max(known)) * 4 if known and len(known) == len(sizes) else DEFAULT_EXPENSIVE
    return float(max(known)) if known else 1.0


def copy_cost(tensor):
    """Estimated ns of a transfer step copying `tensor` (a Ref or Tensor)."""
    n = numel(tensor.shape)
    return float(n * tensor.dtype.size) * COPY_NS_PER_BYTE if n is not None \
        else DEFAULT_EXPENSIVE


def tensor_bytes(tensor):
    """Static size of `tensor` in bytes (unknown dimensions count as `UNKNOWN_DIM`)."""
    shape = tensor.shape
    n = 1
    if shape.ndims is None:
        n = UNKNOWN_DIM
    else:
        for d in shape.as_tuple():
            n *= UNKNOWN_DIM if d is None else d
    return n * tensor.dtype.size


def transfer_ns(src_type, dst_type, nbytes):
    """Estimated ns to move `nbytes` between two different devices of these types."""
    if src_type == "CPU" and dst_type == "CPU":
        return CPU_HANDOFF_NS
    per_byte = HOST_GPU_NS_PER_BYTE if "CPU" in (src_type, dst_type) else GPU_GPU_NS_PER_BYTE
    return GPU_LATENCY_NS + nbytes * per_byte


def worth_overlapping(total, critical):
    """Whether work of `total` ns whose longest chain is `critical` ns gains from running
    on several threads (devices): it saves enough, and enough relative to the chain."""
    return (total - critical) >= PARALLEL_MIN_SAVING and total >= PARALLEL_MIN_RATIO * critical
