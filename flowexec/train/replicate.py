"""Data-parallel training across devices, TF1 multi-tower style (in-graph replication).

One replica of the model, a *tower*, is built per device; each tower gets a slice of the
batch (the batch is split along axis 0), computes its loss and its gradients on its own
device, and the gradients meet in `average_gradients`, which computes each variable's mean
gradient *on the variable's device* (colocated with it). One `apply_gradients` then updates
the shared variables. Every tower reads the same variables, which are created once, by the
first tower, on `variable_device`; later towers reuse them through variable-scope reuse.
All of it is graph ops: the Session's scheduler moves slices, variable values and gradients
between devices, never the Python program.

Uneven batches are exact: a batch of N examples on T devices is split like
`numpy.array_split` (the first N % T towers get one extra example), each tower's mean loss is
weighted by its share n_i / N, and the gradients are weighted the same way, so one
data-parallel step equals one single-device step on the whole batch (up to float rounding).
Updates wait for every tower's backward pass (`gate_gradients=GATE_GRAPH`), so the result does
not depend on how the scheduler interleaves the towers.

Typical use (four logical CPUs here; `"/gpu:0", "/gpu:1"` on a machine with two GPUs):

    >>> import flowexec as tf
    >>> from flowexec.train.replicate import data_parallel_minimize
    >>> x = tf.placeholder(tf.float32, [None, 64])
    >>> y = tf.placeholder(tf.int64, [None])
    >>> def model(x, y):
    ...     w = tf.get_variable("w", [64, 10])
    ...     logits = tf.matmul(x, w)
    ...     loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
    ...         labels=y, logits=logits))
    ...     return loss, logits
    >>> devs = ["/cpu:0", "/cpu:1", "/cpu:2", "/cpu:3"]
    >>> train_op, loss, tower_logits = data_parallel_minimize(
    ...     tf.train.AdamOptimizer(0.01), model, [x, y], devs)
    >>> config = tf.ConfigProto(device_count={"CPU": 4})
    >>> with tf.Session(config=config) as sess:
    ...     sess.run(tf.global_variables_initializer())
    ...     sess.run([train_op, loss], {x: features, y: labels})

Sparse gradients: when every tower's gradient of a variable is an `IndexedSlices` (an
embedding table), the mean is one too: the towers' rows concatenated, scaled by 1/towers (as
TF's replicate_model_fn sums them), so the update stays sparse; a dense one among them makes
the mean dense.

Graph construction is not thread-safe (as in TensorFlow): build towers from one thread.
"""

import contextlib
import numbers

from devices.spec import DeviceSpec
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, constant_op, indexed_slices_ops, math_ops
from flowexec.train.optimizer import Optimizer
from flowexec.variable_scope import get_variable_scope, variable_scope

__all__ = ["average_gradients", "data_parallel_minimize", "replicate_model"]


def average_gradients(tower_grads_and_vars, name="average_gradients"):
    """The mean gradient of each variable over towers, computed on the variable's device.

    Args:
        tower_grads_and_vars: one list of `(gradient, variable)` pairs per tower, as
            returned by `Optimizer.compute_gradients`; every tower lists the same variables
            in the same order.
        name: name scope of the averaging ops.

    Returns:
        A list of `(mean gradient, variable)` pairs, in the towers' variable order, ready
        for `Optimizer.apply_gradients`. A tower's None gradient (the loss does not depend
        on the variable) counts as zero; a variable with None in every tower keeps None, so
        `apply_gradients` skips it, as TensorFlow does.

    Raises:
        ValueError: no towers, or towers that list different variables.
        TypeError: a gradient that is neither a Tensor nor an IndexedSlices.

    Example:
        >>> tower_grads = []
        >>> for i, dev in enumerate(["/cpu:0", "/cpu:1"]):
        ...     with tf.device(dev), tf.name_scope("tower_%d" % i):
        ...         tower_grads.append(opt.compute_gradients(tower_loss(i)))
        >>> train_op = opt.apply_gradients(average_gradients(tower_grads))
    """
    towers = [list(t) for t in tower_grads_and_vars]
    if not towers:
        raise ValueError("average_gradients needs the gradients of at least one tower.")
    first = towers[0]
    for i, tower in enumerate(towers[1:], start=1):
        if len(tower) != len(first) or any(
                v is not v0 for (_, v), (_, v0) in zip(tower, first)):
            raise ValueError(
                f"Tower {i} lists variables {[_var_name(v) for _, v in tower]} but tower 0 "
                f"lists {[_var_name(v) for _, v in first]}; every tower must compute "
                "gradients for the same variables in the same order.")
    for tower in towers:
        for g, v in tower:
            if g is not None and not isinstance(g, (Tensor, IndexedSlices)):
                raise TypeError(
                    f"average_gradients averages Tensors and IndexedSlices; got "
                    f"{type(g).__name__} for variable {_var_name(v)}.")
    num_towers = len(towers)
    if num_towers == 1:
        return first
    graphs = [g.graph for tower in towers for g, _ in tower if g is not None]
    if not graphs:
        return [(None, v) for _, v in first]
    graph = graphs[0]
    averaged = []
    with graph.as_default(), graph.name_scope(name):
        for per_var in zip(*towers):
            var = per_var[0][1]
            grads = [g for g, _ in per_var if g is not None]
            if not grads:
                averaged.append((None, var))
                continue
            with graph.name_scope(_op_base(var)), graph.colocate_with(var):
                total = indexed_slices_ops.aggregate(grads)
                scale = constant_op.constant(1.0 / num_towers, dtype=total.dtype.base_dtype,
                                             name="inv_num_towers")
                if isinstance(total, IndexedSlices):
                    mean = IndexedSlices(math_ops.multiply(total.values, scale, name="mean"),
                                         total.indices, total.dense_shape)
                else:
                    mean = math_ops.multiply(total, scale, name="mean")
                averaged.append((mean, var))
    return averaged


def replicate_model(model_fn, inputs, devices, variable_device=None):
    """Builds one replica of `model_fn` per device, each on its slice of the batch.

    Each input is split along axis 0 into `len(devices)` slices (sizes as
    `numpy.array_split`: they differ by at most one, so any batch of at least
    `len(devices)` examples works). Tower `i` is built under `tf.device(devices[i])` and
    `tf.name_scope("tower_i")` by calling `model_fn(*slices)`. Variables are shared: those
    `model_fn` makes with `tf.get_variable` are created by the first tower, on
    `variable_device`, and reused by the others.

    Call it inside `with tf.variable_scope(tf.get_variable_scope(), reuse=True):` to build
    towers on variables that already exist (an evaluation copy of a trained model).

    Args:
        model_fn: called once per tower with one slice per input; returns any structure of
            Tensors. It must create its variables with `tf.get_variable`.
        inputs: a Tensor or a list/tuple of Tensors with one batch dimension (axis 0).
        devices: device names ("/gpu:0", "/cpu:1", full names or DeviceSpecs), one per tower.
        variable_device: where variables live (default: `devices[0]`); "/cpu:0" gives the
            classic parameter-on-host layout.

    Returns:
        The list of what `model_fn` returned, one per tower, in device order; concatenating
        per-example outputs along axis 0 gives the whole batch in its original order.

    Raises:
        ValueError: no devices, no inputs, inputs whose known batch sizes differ or are
            smaller than the number of devices, or `model_fn` creating a variable with
            `tf.Variable` (towers cannot share those).
        TypeError: a device that is not a string or DeviceSpec.

    Example:
        >>> def model(x):
        ...     w = tf.get_variable("w", [64, 10])
        ...     return tf.matmul(x, w)
        >>> logits = replicate_model(model, [x], ["/cpu:0", "/cpu:1"])
        >>> batch_logits = tf.concat(logits, axis=0)
    """
    outputs, _, _ = _build_towers(model_fn, inputs, devices, variable_device)
    return outputs


def data_parallel_minimize(optimizer, model_fn, inputs, devices, global_step=None,
                           variable_device=None, var_list=None,
                           gate_gradients=Optimizer.GATE_GRAPH,
                           colocate_gradients_with_ops=False, name=None):
    """Synchronous data-parallel training: towers, averaged gradients, one update.

    Builds the towers (see `replicate_model`); in each, on its device, calls
    `optimizer.compute_gradients` on the tower's loss weighted by its share of the batch,
    averages the towers' gradients on each variable's device (`average_gradients`) and
    applies them once with `optimizer.apply_gradients`.

    Args:
        optimizer: a `tf.train.Optimizer`.
        model_fn: called once per tower with one slice per input; returns the tower's loss
            (a scalar: the *mean* over its slice, as `tf.reduce_mean` gives), or a pair
            `(loss, outputs)` with any structure of Tensors as `outputs`.
        inputs: a Tensor or a list/tuple of Tensors split along axis 0.
        devices: one device name per tower.
        global_step: optional integer Variable incremented by each update.
        variable_device: where variables live (default: `devices[0]`).
        var_list: variables to train (default: the trainable variables once the first
            tower is built).
        gate_gradients: passed to each tower's `compute_gradients`. The default,
            GATE_GRAPH, makes every gradient of a tower wait for all of them, so no update
            starts before every tower has finished its backward pass. Variables are read
            as TF1 ref variables are, when each consumer runs; without the gate an update
            could run while another tower's backward op that reads the same variable (the
            `dy @ w^T` of a matmul) still waits, and that op would see the new value.
        colocate_gradients_with_ops: passed to `compute_gradients`.
        name: name of the train op (default: the optimizer's name).

    Returns:
        `(train_op, loss, tower_outputs)`: the Operation that runs one update, the mean
        loss over the whole batch (a scalar Tensor), and per tower the `outputs` that
        `model_fn` returned (None when it returned only the loss).

    Raises:
        ValueError: as `replicate_model`; a loss that is not a scalar float; no gradients.
        TypeError: as `replicate_model`.

    Example:
        >>> train_op, loss, _ = data_parallel_minimize(
        ...     tf.train.GradientDescentOptimizer(0.1), model, [x, y],
        ...     ["/gpu:0", "/gpu:1"], global_step=tf.train.get_or_create_global_step())
        >>> sess.run([train_op, loss], {x: batch_x, y: batch_y})
    """
    tower_grads = []
    tower_outputs = []
    weighted_losses = []
    state = {"var_list": var_list}

    def per_tower(i, result, weight):
        loss, outputs = _split_result(result, i)
        scaled = _weighted(loss, weight, len(devices))
        weighted_losses.append(scaled)
        tower_outputs.append(outputs)
        grads = optimizer.compute_gradients(
            scaled, var_list=state["var_list"], gate_gradients=gate_gradients,
            colocate_gradients_with_ops=colocate_gradients_with_ops)
        if state["var_list"] is None:
            state["var_list"] = [v for _, v in grads]
        tower_grads.append(grads)

    _build_towers(model_fn, inputs, devices, variable_device, per_tower)
    graph = weighted_losses[0].graph
    with graph.as_default(), graph.name_scope("total_loss"):
        total = weighted_losses[0] if len(weighted_losses) == 1 else math_ops.add_n(
            weighted_losses)
        if len(weighted_losses) > 1:
            total = math_ops.multiply(
                total, constant_op.constant(1.0 / len(weighted_losses), dtype=total.dtype),
                name="mean")
    grads_and_vars = average_gradients(tower_grads)
    if all(g is None for g, _ in grads_and_vars):
        raise ValueError(
            "No gradients provided for any variable, check your graph for ops that do not "
            f"support gradients, between variables {[str(v) for _, v in grads_and_vars]} "
            f"and the towers' losses {weighted_losses}.")
    train_op = optimizer.apply_gradients(grads_and_vars, global_step=global_step, name=name)
    return train_op, total, tower_outputs


# ----- internals -----------------------------------------------------------------------------
def _var_name(v):
    return getattr(v, "name", repr(v))


def _op_base(var):
    return var.op.name.replace("/", "_")


def _check_devices(devices):
    if isinstance(devices, (str, DeviceSpec)):
        devices = [devices]
    devices = list(devices)
    if not devices:
        raise ValueError("Data parallelism needs at least one device; got an empty list.")
    for d in devices:
        if not isinstance(d, (str, DeviceSpec)) or not (
                d.to_string() if isinstance(d, DeviceSpec) else d):
            raise TypeError(f"Each device must be a non-empty device name or DeviceSpec; got "
                            f"{d!r} in {devices}.")
    return devices


def _split_result(result, i):
    if isinstance(result, (tuple, list)):
        if len(result) != 2:
            raise ValueError(f"model_fn must return a loss or a (loss, outputs) pair; tower "
                             f"{i} returned a sequence of {len(result)} items.")
        loss, outputs = result
    else:
        loss, outputs = result, None
    loss = convert_to_tensor(loss)
    if loss.shape.ndims not in (None, 0) or not loss.dtype.is_floating:
        raise ValueError(f"The loss of tower {i} must be a float scalar (the mean over the "
                         f"tower's slice); got {loss}.")
    return loss, outputs


def _weighted(loss, weight, num_towers):
    """loss * T * n_i / N: the mean of the towers' values (and gradients) is then the mean
    over the whole batch. A dynamic empty slice contributes exactly zero (not NaN)."""
    if weight is None or (isinstance(weight, numbers.Real) and weight * num_towers == 1.0):
        return loss
    graph = loss.graph
    with graph.as_default(), graph.name_scope("weighted_loss"):
        if isinstance(weight, numbers.Real):
            factor = constant_op.constant(weight * num_towers, dtype=loss.dtype, name="factor")
            return math_ops.multiply(loss, factor, name="value")
        size, total = weight
        factor = math_ops.truediv(
            math_ops.cast(size * num_towers, loss.dtype), math_ops.cast(total, loss.dtype))
        nonempty = math_ops.greater(size, 0)
        return math_ops.where(nonempty, math_ops.multiply(loss, factor),
                              array_ops.zeros_like(loss), name="value")


def _batch_sizes(inputs, num_towers):
    """Per tower: the slice sizes (ints when the batch size is static, else int32 Tensors),
    and each tower's loss weight: a float n_i / N, a (size, N) Tensor pair, or None."""
    static = {t.shape[0] for t in inputs if t.shape.ndims and t.shape.dims[0] is not None}
    if any(t.shape.ndims == 0 for t in inputs):
        raise ValueError(f"Inputs to split across devices need a batch dimension (axis 0); "
                         f"got {[str(t) for t in inputs]}.")
    static = {int(s) for s in static}
    if len(static) > 1:
        raise ValueError(f"Inputs split across devices must share their batch size (axis 0); "
                         f"got {sorted(static)} from {[str(t) for t in inputs]}.")
    if static:
        n = static.pop()
        if n < num_towers:
            raise ValueError(f"A batch of {n} examples cannot be split across {num_towers} "
                             "devices: every tower needs at least one example.")
        sizes = [(n + num_towers - 1 - i) // num_towers for i in range(num_towers)]
        return sizes, [s / n for s in sizes]
    with graph_mod.name_scope("batch_sizes"):
        n = array_ops.shape(inputs[0], out_type=dtypes.int32)[0]
        sizes = [math_ops.floordiv(n + (num_towers - 1 - i), num_towers, name=f"size_{i}")
                 for i in range(num_towers)]
    return sizes, [(s, n) for s in sizes]


def _split_inputs(inputs, num_towers):
    sizes, weights = _batch_sizes(inputs, num_towers)
    per_input = []
    for t in inputs:
        if all(isinstance(s, int) for s in sizes) and len(set(sizes)) == 1:
            parts = array_ops.split(t, num_towers, axis=0)
        elif all(isinstance(s, int) for s in sizes):
            parts = array_ops.split(t, sizes, axis=0)
        else:
            parts = array_ops.split(t, array_ops.stack(sizes), axis=0, num=num_towers)
        per_input.append(parts)
    return [list(p) for p in zip(*per_input)], weights


def _build_towers(model_fn, inputs, devices, variable_device, per_tower=None):
    """Builds the towers; `per_tower(i, result, weight)` runs inside tower i's scopes."""
    if not callable(model_fn):
        raise TypeError(f"model_fn must be callable; got {model_fn!r}.")
    devices = _check_devices(devices)
    single = isinstance(inputs, (Tensor,)) or not isinstance(inputs, (list, tuple))
    inputs = [convert_to_tensor(t) for t in ([inputs] if single else inputs)]
    if not inputs:
        raise ValueError("replicate_model needs at least one input Tensor to split.")
    graph = inputs[0].graph
    variable_device = devices[0] if variable_device is None else variable_device
    num_towers = len(devices)
    with graph.as_default():
        if num_towers == 1:
            slices, weights = [inputs], [None]
        else:
            with graph.name_scope("split_batch"):
                slices, weights = _split_inputs(inputs, num_towers)
        shared = set()

        def on_variable_device(getter, name, *args, **kwargs):
            # device(None) drops the enclosing (tower) scopes: the variable, its initializer
            # and its read snapshot all live on variable_device.
            with graph.device(None), graph.device(variable_device):
                v = getter(name, *args, **kwargs)
            shared.add(id(v))
            return v

        outputs = []
        outer = get_variable_scope()
        for i, dev in enumerate(devices):
            before = _all_variables(graph)
            reuse = True if i > 0 else None
            with contextlib.ExitStack() as stack:
                stack.enter_context(variable_scope(
                    outer, reuse=reuse, custom_getter=on_variable_device,
                    auxiliary_name_scope=False))
                stack.enter_context(graph.device(dev))
                stack.enter_context(graph.name_scope(f"tower_{i}"))
                result = model_fn(*slices[i])
                _check_new_variables(graph, before, shared, i)
                if per_tower is not None:
                    per_tower(i, result, weights[i])
            outputs.append(result)
    return outputs, weights, devices


def _all_variables(graph):
    return {id(v) for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES)
            for v in graph.get_collection(key)}


def _check_new_variables(graph, before, shared, tower):
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES):
        for v in graph.get_collection(key):
            if id(v) not in before and id(v) not in shared:
                raise ValueError(
                    f"model_fn created variable {v.name} with tf.Variable in tower {tower}; "
                    "towers share variables only through tf.get_variable (variable scope "
                    "reuse), so each tower would get its own copy. Create it with "
                    "tf.get_variable, or outside model_fn.")
