"""Session and run configuration: ConfigProto, GPUOptions, RunOptions, RunMetadata (and the
optimizer's GraphOptions, RewriterConfig, OptimizerOptions, defined with its passes).

Plain Python objects with TF1's field names (no protobuf), so TF1 code that builds them with
keyword arguments or sets fields afterwards works unchanged.
"""

import dataclasses
from typing import Dict, List, Optional

from flowexec.runtime.optimize.config import (  # noqa: F401 - re-exported as tf.*
    GraphOptions,
    OptimizerOptions,
    RewriterConfig,
)


@dataclasses.dataclass
class GPUOptions:
    """`tf.GPUOptions`: per-process GPU settings.

    Attributes:
        num_streams: (flowexec) how many CUDA streams of each GPU a plan spreads independent
            chains over; 0 = the device runtime's lanes (4). 1 runs each GPU's work in one
            stream, as TensorFlow does.
    """

    per_process_gpu_memory_fraction: float = 0.0
    allow_growth: bool = False
    visible_device_list: str = ""
    num_streams: int = 0


@dataclasses.dataclass
class ConfigProto:
    """`tf.ConfigProto`: how a Session uses the machine.

    Attributes:
        device_count: maximum devices per type, e.g. {'CPU': 4} splits the CPU into four
            logical devices and {'GPU': 0} hides the GPUs.
        inter_op_parallelism_threads: worker threads that run independent ops (0 = the
            number of cores available to the process).
        intra_op_parallelism_threads: threads inside one op (BLAS); 0 = library default.
        allow_soft_placement: fall back to another device when a requested one is missing
            or has no kernel for the op.
        log_device_placement: print where each op runs when a plan is built.
        operation_timeout_in_ms: the deadline of every `Session.run` whose RunOptions set
            none (DeadlineExceededError past it); <= 0 means no deadline.
        graph_options: GraphOptions: the graph optimizer's switches (RewriterConfig,
            OptimizerOptions), read when a plan is built.
        device_filters: for a session on a cluster, device name patterns ("/job:ps",
            "/job:worker/task:1"): the session sees, contacts and waits for only the tasks
            and devices that match one (and always its own task's); empty: all.
    """

    device_count: Dict[str, int] = dataclasses.field(default_factory=dict)
    inter_op_parallelism_threads: int = 0
    intra_op_parallelism_threads: int = 0
    allow_soft_placement: bool = False
    log_device_placement: bool = False
    gpu_options: GPUOptions = dataclasses.field(default_factory=GPUOptions)
    operation_timeout_in_ms: int = 0
    use_per_session_threads: bool = False
    graph_options: GraphOptions = dataclasses.field(default_factory=GraphOptions)
    device_filters: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RunOptions:
    """`tf.RunOptions`: per-call options of `Session.run`.

    Attributes:
        trace_level: NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE or FULL_TRACE; anything but
            NO_TRACE fills `RunMetadata.step_stats`.
        timeout_in_ms: raise DeadlineExceededError when the step takes longer; <= 0 means
            no deadline of its own: the session's `operation_timeout_in_ms` applies.
        output_partition_graphs: return each device's partition in RunMetadata.
    """

    NO_TRACE = 0
    SOFTWARE_TRACE = 1
    HARDWARE_TRACE = 2
    FULL_TRACE = 3

    trace_level: int = 0
    timeout_in_ms: int = 0
    output_partition_graphs: bool = False
    inter_op_thread_pool: int = 0


@dataclasses.dataclass
class NodeExecStats:
    """Timing of one op in one step (TF's NodeExecStats). Times are microseconds."""

    node_name: str
    all_start_micros: int
    op_start_rel_micros: int
    op_end_rel_micros: int
    all_end_rel_micros: int
    thread_id: int
    timeline_label: str = ""
    lane: int = 0


@dataclasses.dataclass
class DeviceStepStats:
    device: str
    node_stats: List[NodeExecStats] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class StepStats:
    dev_stats: List[DeviceStepStats] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RunMetadata:
    """`tf.RunMetadata`: filled by `Session.run(..., run_metadata=...)`."""

    step_stats: StepStats = dataclasses.field(default_factory=StepStats)
    partition_graphs: list = dataclasses.field(default_factory=list)
    cost_graph: Optional[object] = None

    def Clear(self):  # noqa: N802 - protobuf's method name
        self.step_stats = StepStats()
        self.partition_graphs = []


# `tf.debugging.set_log_device_placement`: process-wide, as TF's context setting; a session
# logs placements when this or its ConfigProto's log_device_placement is set.
_log_device_placement = False


def set_log_device_placement(enabled):
    """Turns placement logging on or off for every session (TF's
    `tf.debugging.set_log_device_placement`): each plan built prints
    "<node>: (<type>): <device>" per node to stderr, as ConfigProto(log_device_placement=True).

    Example:
        >>> tf.debugging.set_log_device_placement(True)
    """
    global _log_device_placement
    _log_device_placement = bool(enabled)


def get_log_device_placement():
    """Whether `set_log_device_placement(True)` is in force."""
    return _log_device_placement


def logs_device_placement(config):
    """Whether a session with `config` logs placements."""
    return _log_device_placement or bool(config.log_device_placement)
