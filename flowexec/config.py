"""`tf.config`: the machine's devices and their logical configuration (from `devices`).

`list_physical_devices` names the CPU and CUDA GPUs the machine has, `set_logical_device_
configuration` splits one into several logical devices (before the first Session uses the
devices), and `list_logical_devices` lists the devices Sessions place ops on.
`set_visible_devices` keeps a process off some GPUs, `experimental.set_memory_growth` records
how a GPU takes memory (flowexec's CuPy pool always grows on demand), and `threading` sets
the process defaults of the inter-op and intra-op threads that a ConfigProto leaving them 0
gets. All of these freeze, as TF's, once a device runtime has started.

Example:
    >>> import flowexec as tf
    >>> cpu = tf.config.list_physical_devices("CPU")[0]
    >>> tf.config.set_logical_device_configuration(
    ...     cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    >>> [d.name for d in tf.config.list_logical_devices("CPU")]
    ['/device:CPU:0', '/device:CPU:1']
"""

import types
import warnings
from typing import NamedTuple

import devices as _devices
from devices import (  # noqa: F401
    LogicalDeviceConfiguration,
    PhysicalDevice,
    get_logical_device_configuration,
    list_physical_devices,
    set_logical_device_configuration,
)
from devices.visible import (  # noqa: F401
    get_memory_growth,
    get_visible_devices,
    set_memory_growth,
    set_visible_devices,
)
from flowexec.runtime.threads import process_threads, set_process_threads

__all__ = ["LogicalDevice", "LogicalDeviceConfiguration", "PhysicalDevice", "experimental",
           "get_logical_device_configuration", "get_visible_devices", "list_logical_devices",
           "list_physical_devices", "set_logical_device_configuration", "set_visible_devices",
           "threading", "optimizer"]


class LogicalDevice(NamedTuple):
    """A device Sessions place ops on (TF's `tf.config.LogicalDevice`)."""

    name: str
    device_type: str


def list_logical_devices(device_type=None):
    """The logical devices of this process (all, or those of `device_type`), with the
    logical configuration applied.

    Example:
        >>> tf.config.list_logical_devices("GPU")  # [] on a machine without a GPU
    """
    out = [LogicalDevice(d.name, d.device_type) for d in _devices.local_devices()]
    if device_type is not None:
        out = [d for d in out if d.device_type == device_type.upper()]
    return out


def _threads_api(kind):
    def get():
        return process_threads(kind)

    def set_(num_threads):
        set_process_threads(kind, num_threads)

    get.__name__ = f"get_{kind}_op_parallelism_threads"
    set_.__name__ = f"set_{kind}_op_parallelism_threads"
    get.__doc__ = (f"The process default of {kind}-op threads (0: the system picks).")
    set_.__doc__ = (f"Sets the process default of {kind}-op threads, used by Sessions whose "
                    f"ConfigProto leaves `{kind}_op_parallelism_threads` 0. Raises "
                    "RuntimeError once a device runtime has started.")
    return get, set_


_get_inter, _set_inter = _threads_api("inter")
_get_intra, _set_intra = _threads_api("intra")
threading = types.SimpleNamespace(
    get_inter_op_parallelism_threads=_get_inter,
    set_inter_op_parallelism_threads=_set_inter,
    get_intra_op_parallelism_threads=_get_intra,
    set_intra_op_parallelism_threads=_set_intra,
)

# ----- tf.config.optimizer ------------------------------------------------------------------
_TOGGLES = ("layout_optimizer", "constant_folding", "shape_optimization", "remapping",
            "arithmetic_optimization", "dependency_optimization", "loop_optimization",
            "function_optimization", "debug_stripper", "scoped_allocator_optimization",
            "pin_to_host_optimization", "implementation_selector", "auto_mixed_precision")
_BOOLS = ("disable_model_pruning", "disable_meta_optimizer")
_JIT = {"enabled": ""}


def set_experimental_options(options):
    """Sets process-wide Grappler switches (TF's `tf.config.optimizer.set_experimental_
    options`), merged into those set before.

    Each is the default of every Session whose ConfigProto leaves that RewriterConfig field
    at DEFAULT (a ConfigProto that sets it wins); it applies to plans built afterwards.
    Of TF's passes flowexec has constant folding, arithmetic simplification (with common
    subgraph elimination), remapping (fusion) and dependency optimization; the other
    switches are recorded and change nothing, as on a TF build without those passes.

    Args:
        options: dict of TF's option names: the toggles 'layout_optimizer',
            'constant_folding', 'shape_optimization', 'remapping', 'arithmetic_optimization',
            'dependency_optimization', 'loop_optimization', 'function_optimization',
            'debug_stripper', 'scoped_allocator_optimization', 'pin_to_host_optimization',
            'implementation_selector', 'auto_mixed_precision' (True: ON, False: OFF), the
            bools 'disable_model_pruning', 'disable_meta_optimizer', and the int
            'min_graph_nodes'. Other keys are ignored, as TF ignores them.

    Example:
        >>> tf.config.optimizer.set_experimental_options({"constant_folding": False})
        >>> tf.config.optimizer.get_experimental_options()["constant_folding"]  # False
    """
    from flowexec.runtime.optimize import config as _rewrite_config

    RC = _rewrite_config.RewriterConfig
    fields = {}
    for key, value in options.items():
        if key in _TOGGLES:
            fields[key] = RC.ON if value else RC.OFF
        elif key in _BOOLS:
            fields[key] = bool(value)
        elif key == "min_graph_nodes":
            fields[key] = int(value)
    _rewrite_config.set_process_rewrite_defaults(fields)


def get_experimental_options():
    """The process-wide Grappler switches, as TF reports them: each toggle that was set (True
    for ON, False for OFF), `min_graph_nodes` when set, and always the two
    `disable_model_pruning` / `disable_meta_optimizer` bools.

    Returns:
        A dict of TF's option names.

    Example:
        >>> tf.config.optimizer.get_experimental_options()
        {'disable_model_pruning': False, 'disable_meta_optimizer': False}
    """
    from flowexec.runtime.optimize import config as _rewrite_config

    RC = _rewrite_config.RewriterConfig
    fields = _rewrite_config.process_rewrite_defaults()
    out = {k: fields[k] == RC.ON for k in _TOGGLES if fields.get(k, RC.DEFAULT) != RC.DEFAULT}
    out.update({k: bool(fields.get(k, False)) for k in _BOOLS})
    if fields.get("min_graph_nodes"):
        out["min_graph_nodes"] = fields["min_graph_nodes"]
    return out


def set_jit(enabled):
    """Records TF's XLA auto-clustering switch (`tf.config.optimizer.set_jit`).

    flowexec has no XLA: the setting is recorded and returned by `get_jit`, and compiles
    nothing; turning it on warns (RuntimeWarning) so that code expecting XLA learns so.

    Args:
        enabled: True or "autoclustering" (on), False or "" (off).

    Raises:
        ValueError: another string.

    Example:
        >>> tf.config.optimizer.set_jit(False); tf.config.optimizer.get_jit()  # ''
    """
    if isinstance(enabled, str) and enabled not in ("", "autoclustering"):
        raise ValueError(f"set_jit takes True, False or 'autoclustering', got {enabled!r}")
    _JIT["enabled"] = "autoclustering" if enabled else ""
    if enabled:
        warnings.warn("flowexec has no XLA: set_jit is recorded and compiles nothing",
                      RuntimeWarning, stacklevel=2)


def get_jit():
    """TF's `tf.config.optimizer.get_jit`: "autoclustering" after `set_jit(True)`, else ""
    (flowexec never compiles with XLA)."""
    return _JIT["enabled"]


optimizer = types.SimpleNamespace(
    get_experimental_options=get_experimental_options,
    set_experimental_options=set_experimental_options,
    get_jit=get_jit,
    set_jit=set_jit,
)


# ----- memory statistics ---------------------------------------------------------------------
def _runtime_of(device):
    from devices import runtime_for

    try:
        return runtime_for(device)
    except (ValueError, KeyError, LookupError) as e:
        raise ValueError(f"No matching devices found for '{device}'") from e


def get_memory_info(device):
    """Current and peak bytes in use on `device` (TF's `tf.config.experimental.
    get_memory_info`).

    For a GPU, 'current' is what CuPy's default memory pool has handed out on it
    (`MemoryPool.used_bytes`), and 'peak' the larger of that and the executor's accounted
    peak since the last `reset_memory_stats`. For a CPU, both are the executor's accounting,
    which runs only for a CPU given a memory limit: 0 otherwise, as TF 2.21 reports 0 for a
    CPU.

    Args:
        device: a device name, e.g. "GPU:0", "/device:CPU:0".

    Returns:
        {'current': int, 'peak': int}.

    Raises:
        ValueError: no such device: "No matching devices found for 'GPU:0'".

    Example:
        >>> tf.config.experimental.get_memory_info("CPU:0")  # {'current': 0, 'peak': 0}
    """
    rt = _runtime_of(device)
    current, peak = int(rt.bytes_in_use), int(rt.peak_bytes_in_use)
    if rt.device_type == "GPU" and hasattr(rt, "pool_used_bytes"):
        current = int(rt.pool_used_bytes())
        peak = max(peak, current)
    return {"current": current, "peak": peak}


def get_memory_usage(device):
    """`get_memory_info(device)['current']` (TF's deprecated `get_memory_usage`).

    Raises:
        ValueError: no such device.
    """
    return get_memory_info(device)["current"]


def reset_memory_stats(device):
    """Sets the peak of `get_memory_info(device)` back to the current bytes in use.

    Raises:
        ValueError: no such device.
    """
    _runtime_of(device).reset_peak()


experimental = types.SimpleNamespace(
    get_memory_info=get_memory_info,
    get_memory_usage=get_memory_usage,
    reset_memory_stats=reset_memory_stats,
    get_memory_growth=get_memory_growth,
    set_memory_growth=set_memory_growth,
    get_visible_devices=get_visible_devices,
    set_visible_devices=set_visible_devices,
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    set_virtual_device_configuration=set_logical_device_configuration,
    get_virtual_device_configuration=get_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
)
