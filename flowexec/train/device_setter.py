"""`tf.train.replica_device_setter`: a device function that puts state on parameter
servers and everything else on the worker, for replicated (between-graph) training.

    with tf.device(tf.train.replica_device_setter(cluster=cluster)):
        w = tf.Variable(...)      # /job:ps/task:0, the next one /job:ps/task:1, ...
        y = tf.matmul(x, w)       # /job:worker

Which ps task gets a variable is decided by a strategy, `strategy(op) -> task index`:
round-robin by default, or `GreedyLoadBalancingStrategy(num_tasks, byte_size_load_fn)`
(the least-loaded task by bytes so far, as tf.contrib.training's). The device function
merges the op's own device request over the chosen device (`merge_devices=True`), as TF's.
"""

import numpy as np

from devices.spec import DeviceSpec
from flowexec.platform import tf_logging as logging

# The op types TF places on parameter servers (those flowexec has and more, by name).
STANDARD_PS_OPS = ("Variable", "VariableV2", "AutoReloadVariable", "MutableHashTable",
                   "MutableHashTableV2", "MutableHashTableOfTensors",
                   "MutableHashTableOfTensorsV2", "MutableDenseHashTable",
                   "MutableDenseHashTableV2", "VarHandleOp",
                   "BoostedTreesEnsembleResourceHandleOp",
                   "BoostedTreesQuantileStreamResourceHandleOp",
                   "ResourceConditionalAccumulator", "DecisionTreeResource")


class _RoundRobinStrategy:
    """The next ps task, in turn."""

    def __init__(self, num_tasks):
        self._num_tasks = num_tasks
        self._next_task = 0

    def __call__(self, unused_op):
        task = self._next_task
        self._next_task = (task + 1) % self._num_tasks
        return task


class GreedyLoadBalancingStrategy:
    """Places each op on the ps task with the least load so far; `load_fn(op)` says how
    much an op adds (e.g. `byte_size_load_fn`). Ties go to the lowest task index.

    Args:
        num_tasks: the number of ps tasks.
        load_fn: `load_fn(op) -> number`.
    """

    def __init__(self, num_tasks, load_fn):
        self._num_tasks = num_tasks
        self._load_fn = load_fn
        self._ps_loads = np.zeros(num_tasks)

    def __call__(self, op):
        task = int(np.argmin(self._ps_loads))
        self._ps_loads[task] += self._load_fn(op)
        return task


def byte_size_load_fn(op):
    """The bytes of a single-output op's output (a variable's size).

    Raises:
        ValueError: the op has not one output, or its shape is not fully defined.
    """
    if len(op.outputs) != 1:
        raise ValueError(f"Op {op} must have a single output")
    output = op.outputs[0]
    shape = output.shape
    if not shape.is_fully_defined():
        try:
            from flowexec.framework.tensor_shape import as_shape
            shape = as_shape(op.get_attr("shape"))
        except ValueError:
            pass
    shape.assert_is_fully_defined()
    return shape.num_elements() * output.dtype.size


class _ReplicaDeviceChooser:
    def __init__(self, ps_tasks, ps_device, worker_device, merge_devices, ps_ops,
                 ps_strategy):
        self._ps_tasks = ps_tasks
        self._ps_device = ps_device
        self._worker_device = worker_device
        self._merge_devices = merge_devices
        self._ps_ops = ps_ops
        self._ps_strategy = ps_strategy

    def device_function(self, op):
        """The device of `op` (an Operation or NodeDef)."""
        if not self._merge_devices and op.device:
            return op.device
        current = DeviceSpec.from_string(op.device or "")
        op_type = getattr(op, "type", None) or getattr(op, "op", None)
        if self._ps_tasks and self._ps_device and op_type in self._ps_ops:
            ps = DeviceSpec.from_string(self._ps_device)
            # The strategy picks the task only when the op's own job cannot override it.
            if ps.job and (not current.job or current.job == ps.job):
                ps = ps.replace(task=self._ps_strategy(op))
            return ps.make_merged_spec(current).to_string()
        worker = DeviceSpec.from_string(self._worker_device or "")
        return worker.make_merged_spec(current).to_string()


def replica_device_setter(ps_tasks=0, ps_device="/job:ps", worker_device="/job:worker",
                          merge_devices=True, cluster=None, ps_ops=None, ps_strategy=None):
    """A device function for `tf.device` in replicated training.

    Args:
        ps_tasks: the number of ps tasks (ignored when `cluster` is given).
        ps_device: the ps device, e.g. "/job:ps" (its task is chosen by `ps_strategy`).
        worker_device: the device of every other op, e.g. "/job:worker/task:1".
        merge_devices: merge the op's own device request over the chosen device (else an
            op that has a device keeps it).
        cluster: a ClusterSpec or dict: `ps_tasks` is the number of tasks of ps_device's
            job in it.
        ps_ops: op types placed on ps devices (default `STANDARD_PS_OPS`).
        ps_strategy: `strategy(op) -> ps task index` (default round-robin).

    Returns:
        The device function, or None when there are no ps tasks (`tf.device(None)`: no
        device set).

    Raises:
        TypeError: `ps_strategy` is not callable.

    Example:
        >>> cluster = {"ps": ["ps0:2222", "ps1:2222"], "worker": ["w0:2222"]}
        >>> with tf.device(tf.train.replica_device_setter(cluster=cluster)):
        ...     v1 = tf.Variable(1.0); v2 = tf.Variable(2.0); y = v1 + v2
        >>> v1.device, v2.device, y.device
        ('/job:ps/task:0', '/job:ps/task:1', '/job:worker')
    """
    if cluster is not None:
        from flowexec.distributed.cluster import ClusterSpec
        spec = (cluster if isinstance(cluster, ClusterSpec) else ClusterSpec(cluster)).as_dict()
        ps_job = DeviceSpec.from_string(ps_device).job
        if ps_job not in spec or spec[ps_job] is None:
            return None
        ps_tasks = len(spec[ps_job])
    if ps_tasks == 0:
        return None
    if ps_ops is None:
        ps_ops = list(STANDARD_PS_OPS)
    if not merge_devices:
        logging.warning("DEPRECATION: It is recommended to set merge_devices=true in "
                        "replica_device_setter")
    if ps_strategy is None:
        ps_strategy = _RoundRobinStrategy(ps_tasks)
    if not callable(ps_strategy):
        raise TypeError("ps_strategy must be callable")
    return _ReplicaDeviceChooser(ps_tasks, ps_device, worker_device, merge_devices, ps_ops,
                                 ps_strategy).device_function
