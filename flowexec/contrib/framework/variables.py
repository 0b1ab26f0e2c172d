"""`tf.contrib.framework.variable` / `model_variable`: `get_variable` with contrib's
collection rules. A model variable joins GLOBAL_VARIABLES and MODEL_VARIABLES (plus the
given `collections`); `get_variable` adds TRAINABLE_VARIABLES when trainable. contrib's
layers create their weights through these, so `tf.contrib.framework.get_model_variables()`
lists them.
"""

import functools
import logging

from flowexec.contrib.framework.arg_scope import add_arg_scope
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.variable_scope import VariableScope, get_variable, get_variable_scope

_log = logging.getLogger(__name__)

__all__ = ["variable", "model_variable", "get_model_variables", "get_variables",
           "get_variables_by_name", "get_variables_by_suffix", "get_local_variables",
           "get_trainable_variables", "get_variables_to_restore", "get_unique_variable",
           "get_variable_full_name", "filter_variables", "local_variable", "global_variable",
           "zero_initializer", "assert_or_get_global_step", "assign_from_values",
           "assign_from_values_fn", "assign_from_checkpoint", "assign_from_checkpoint_fn",
           "VariableDeviceChooser"]


@add_arg_scope
def variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
             collections=None, caching_device=None, device=None, partitioner=None,
             custom_getter=None, use_resource=None, synchronization=None, aggregation=None):
    """Gets or creates a variable with `get_variable` (TF's contrib `variable`).

    Args:
        name, shape, dtype, initializer, regularizer, trainable, caching_device, partitioner,
        use_resource: as `tf.get_variable`.
        collections: collections of the variable (default [GLOBAL_VARIABLES]; duplicates
            dropped).
        device: a device for the variable (None: the current one).
        custom_getter: `fn(getter, name, ...)`, called with the current scope's `reuse`.

    Returns:
        The Variable.

    Example:
        >>> w = tf.contrib.framework.variable("w", [3, 4])
    """
    collections = list(collections if collections is not None
                       else [GraphKeys.GLOBAL_VARIABLES])
    collections = list(dict.fromkeys(collections))
    getter = get_variable
    if custom_getter is not None:
        getter = functools.partial(custom_getter, reuse=get_variable_scope().reuse)
    kwargs = {"shape": shape, "dtype": dtype, "initializer": initializer,
              "regularizer": regularizer, "trainable": trainable, "collections": collections,
              "caching_device": caching_device, "partitioner": partitioner}
    if custom_getter is None:
        kwargs["use_resource"] = use_resource
    if device is None:
        return getter(name, **kwargs)
    with graph_mod.device(device):
        return getter(name, **kwargs)


@add_arg_scope
def model_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, collections=None, caching_device=None, device=None,
                   partitioner=None, custom_getter=None, use_resource=None,
                   synchronization=None, aggregation=None):
    """`variable` also added to GLOBAL_VARIABLES and MODEL_VARIABLES.

    Example:
        >>> w = tf.contrib.framework.model_variable("w", [3, 4])
        >>> w in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
        True
    """
    collections = list(collections or [])
    collections += [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer,
                    regularizer=regularizer, trainable=trainable, collections=collections,
                    caching_device=caching_device, device=device, partitioner=partitioner,
                    custom_getter=custom_getter, use_resource=use_resource)


def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES):
    """The variables of `collection` whose names start with `scope` (and end in `suffix`)."""
    if isinstance(scope, VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return graph_mod.get_collection(collection, scope)


def get_variables_by_name(given_name, scope=None):
    """The GLOBAL_VARIABLES named `given_name` (the last name component), under `scope`.

    Example:
        >>> tf.contrib.framework.get_variables_by_name("weights")  # every layer's weights
    """
    suffix = "/" + given_name + ":|^" + given_name + ":"
    return get_variables(scope=scope, suffix=suffix)


def get_model_variables(scope=None, suffix=None):
    """The MODEL_VARIABLES whose names start with `scope` (and end in `suffix`)."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


# ----- TF 1.15 contrib.framework variable helpers used by slim ------------------------------
def get_variables_by_suffix(suffix, scope=None):
    """The GLOBAL_VARIABLES whose names end in `suffix` (under `scope`).

    Args:
        suffix: the end of the variable names (":0" implied).
        scope: an optional scope prefix (a string or VariableScope).

    Returns:
        A list of Variables.

    Example:
        >>> tf.contrib.framework.get_variables_by_suffix("biases")
    """
    return get_variables(scope=scope, suffix=suffix)


def get_local_variables(scope=None, suffix=None):
    """The LOCAL_VARIABLES whose names start with `scope` (and end in `suffix`).

    Example:
        >>> tf.contrib.framework.get_local_variables("accuracy")
    """
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    """The TRAINABLE_VARIABLES whose names start with `scope` (and end in `suffix`).

    Example:
        >>> tf.contrib.framework.get_trainable_variables("fc")
    """
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_to_restore(include=None, exclude=None):
    """The GLOBAL_VARIABLES under the `include` scopes and under none of the `exclude` ones.

    As in TF, a scope matches names by prefix ("conv1" also matches "conv10/weights").

    Args:
        include: a list/tuple of scopes to take (None: every global variable).
        exclude: a list/tuple of scopes to leave out.

    Returns:
        A list of Variables, in collection order (duplicates from overlapping includes kept,
        as TF keeps them).

    Raises:
        TypeError: include or exclude is not a list or tuple.

    Example:
        >>> slim.get_variables_to_restore(exclude=["logits"])
    """
    if include is not None and not isinstance(include, (list, tuple)):
        raise TypeError("include is provided but is not a list or a tuple.")
    if exclude is not None and not isinstance(exclude, (list, tuple)):
        raise TypeError("exclude is provided but is not a list or a tuple.")
    if include is None:
        candidates = get_variables()
    else:
        candidates = []
        for scope in include:
            candidates += get_variables(scope)
    excluded = set()
    for scope in exclude or []:
        excluded |= {id(v) for v in get_variables(scope)}
    return [v for v in candidates if id(v) not in excluded]


def get_unique_variable(var_op_name):
    """The one global variable whose op name is exactly `var_op_name`.

    Args:
        var_op_name: the full op name, e.g. "conv1/weights".

    Returns:
        The Variable.

    Raises:
        ValueError: no variable, or none with exactly that name.

    Example:
        >>> w = slim.get_unique_variable("conv1/weights")
    """
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError("Couldn't find variable %s" % var_op_name)
    for candidate in candidates:
        if candidate.op.name == var_op_name:
            return candidate
    raise ValueError("Variable %s does not uniquely identify a variable" % var_op_name)


def get_variable_full_name(var):
    """The checkpoint name of `var`: a partition's full variable name, else its op name.

    Example:
        >>> slim.get_variable_full_name(w)
        'conv1/weights'
    """
    info = getattr(var, "_save_slice_info", None)
    if info is not None:
        return info.full_name
    return var.op.name


def filter_variables(var_list, include_patterns=None, exclude_patterns=None, reg_search=True):
    """The variables of `var_list` whose op names match an include regex and no exclude
    regex.

    Args:
        var_list: a list of Variables.
        include_patterns: regexes; None keeps all.
        exclude_patterns: regexes; None drops none.
        reg_search: True: `re.search` (anywhere in the name); False: `re.match` (from the
            start).

    Returns:
        The filtered list.

    Example:
        >>> slim.filter_variables(tf.global_variables(), include_patterns=["Conv"],
        ...                       exclude_patterns=["biases"])
    """
    import re

    fn = re.search if reg_search else re.match
    out = []
    for var in var_list:
        name = var.op.name
        if include_patterns is not None and not any(fn(p, name) for p in include_patterns):
            continue
        if exclude_patterns is not None and any(fn(p, name) for p in exclude_patterns):
            continue
        out.append(var)
    return out


def local_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """A non-trainable Variable in LOCAL_VARIABLES only.

    Example:
        >>> count = slim.local_variable(0, name="count")
    """
    from flowexec.variables import Variable

    return Variable(initial_value, trainable=False, collections=[GraphKeys.LOCAL_VARIABLES],
                    validate_shape=validate_shape, name=name, use_resource=use_resource)


def global_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """A non-trainable Variable in GLOBAL_VARIABLES only.

    Example:
        >>> epoch = slim.global_variable(0, name="epoch")
    """
    from flowexec.variables import Variable

    return Variable(initial_value, trainable=False, collections=[GraphKeys.GLOBAL_VARIABLES],
                    validate_shape=validate_shape, name=name, use_resource=use_resource)


def zero_initializer(ref, use_locking=True, name="zero_initializer"):
    """An op assigning zeros of `ref`'s shape and dtype to `ref` (for variables created
    without an initial value run).

    Example:
        >>> sess.run(slim.zero_initializer(v))
    """
    from flowexec.ops import array_ops
    from flowexec.ops.state_ops import assign

    zeros = array_ops.zeros(ref.get_shape().as_list(), dtype=ref.dtype.base_dtype)
    return assign(ref, zeros, use_locking=use_locking, name=name)


def assert_or_get_global_step(graph=None, global_step_tensor=None):
    """`global_step_tensor` checked to be a valid global step, else the graph's.

    Returns:
        The global step tensor, or None when the graph has none.

    Raises:
        TypeError: global_step_tensor is not an integer scalar.

    Example:
        >>> step = slim.assert_or_get_global_step()
    """
    from flowexec.train import training_util

    if global_step_tensor is None:
        return training_util.get_global_step(graph)
    training_util.assert_global_step(global_step_tensor)
    return global_step_tensor


def _resolve_model_path(model_path):
    import os

    from flowexec.train.checkpoint_management import latest_checkpoint

    if os.path.isdir(model_path):
        found = latest_checkpoint(model_path)
        if found is None:
            raise ValueError("No checkpoint found in %s" % model_path)
        return found
    return model_path


def _placeholder_assign(var):
    from flowexec.ops.constant_op import placeholder

    ph = placeholder(dtype=var.dtype.base_dtype, shape=var.get_shape(),
                               name="placeholder/" + var.op.name)
    return var.assign(ph), ph


def _find_variable(var_name):
    found = graph_mod.get_collection(GraphKeys.GLOBAL_VARIABLES, var_name)
    if not found:
        raise ValueError("Variable %s wasn't found" % var_name)
    if len(found) == 1:
        return found[0]
    for v in found:
        if v.op.name == var_name:
            return v
    raise ValueError("Variable %s doesn't uniquely identify a variable" % var_name)


def assign_from_values(var_names_to_values):
    """An op and a feed dict that assign numpy values to the named global variables.

    Args:
        var_names_to_values: a dict from a variable's op name (a prefix match that must be
            unique or exact, as in TF) to a numpy value (reshaped to the variable's shape).

    Returns:
        `(assign_op, feed_dict)`: run `sess.run(assign_op, feed_dict)`.

    Raises:
        ValueError: a name matches no variable, or several without an exact one.

    Example:
        >>> op, feed = slim.assign_from_values({"fc/weights": w0})
        >>> sess.run(op, feed)
    """
    import numpy as np

    from flowexec.ops.constant_op import group

    ops, feed = [], {}
    for name in sorted(var_names_to_values):
        var = _find_variable(name)
        op, ph = _placeholder_assign(var)
        ops.append(op)
        feed[ph] = np.asarray(var_names_to_values[name]).reshape(var.get_shape().as_list())
    return group(*ops), feed


def assign_from_values_fn(var_names_to_values):
    """`assign_from_values` as a function `fn(session)` (e.g. a `train` `init_fn`).

    Example:
        >>> init_fn = slim.assign_from_values_fn({"fc/weights": w0})
        >>> init_fn(sess)
    """
    assign_op, feed = assign_from_values(var_names_to_values)

    def callback(session):
        return session.run(assign_op, feed)
    return callback


def _var_dict(var_list):
    if isinstance(var_list, dict):
        return dict(var_list)
    out = {}
    for var in var_list:
        name = get_variable_full_name(var)
        if getattr(var, "_save_slice_info", None) is not None:
            out.setdefault(name, []).append(var)
        else:
            out[name] = var
    return out


def assign_from_checkpoint(model_path, var_list, ignore_missing_vars=False):
    """An op and a feed dict that assign the checkpoint's values to `var_list`.

    Args:
        model_path: a checkpoint prefix (a directory: its latest checkpoint).
        var_list: a list of Variables (looked up by op name; partitions by full name) or a
            dict from checkpoint names to a Variable or a list of partitions.
        ignore_missing_vars: skip variables the checkpoint lacks instead of raising.

    Returns:
        `(assign_op, feed_dict)`.

    Raises:
        ValueError: a variable is missing from the checkpoint (and not ignored).

    Example:
        >>> op, feed = slim.assign_from_checkpoint(ckpt, slim.get_model_variables())
        >>> sess.run(op, feed)
    """
    from flowexec.graph_io.checkpoint_reader import NewCheckpointReader
    from flowexec.ops.constant_op import group

    model_path = _resolve_model_path(model_path)
    reader = NewCheckpointReader(model_path)
    ops, feed = [], {}
    for ckpt_name, target in _var_dict(var_list).items():
        if not reader.has_tensor(ckpt_name):
            if ignore_missing_vars:
                _log.warning("Variable %s missing in checkpoint %s", ckpt_name, model_path)
                continue
            raise ValueError("Checkpoint is missing variable [%s]" % ckpt_name)
        value = reader.get_tensor(ckpt_name)
        parts = target if isinstance(target, (list, tuple)) else [target]
        for var in parts:
            info = getattr(var, "_save_slice_info", None)
            piece = value
            if info is not None:
                piece = value[tuple(slice(o, o + s)
                                    for o, s in zip(info.var_offset, info.var_shape))]
            op, ph = _placeholder_assign(var)
            ops.append(op)
            feed[ph] = piece.reshape(var.get_shape().as_list())
    return group(*ops), feed


def assign_from_checkpoint_fn(model_path, var_list, ignore_missing_vars=False,
                              reshape_variables=False):
    """A function `fn(session)` restoring `var_list` from a checkpoint with a Saver (the
    usual `init_fn` of `slim.learning.train` for fine-tuning).

    Args:
        model_path: a checkpoint prefix (a directory: its latest checkpoint).
        var_list: a list of Variables or a dict from checkpoint names to Variables.
        ignore_missing_vars: drop the variables the checkpoint lacks (with a warning).
        reshape_variables: restore values of a different shape but the same size.

    Returns:
        The function, or None when no variable is left to restore.

    Raises:
        ValueError: var_list is empty.

    Example:
        >>> init_fn = slim.assign_from_checkpoint_fn(
        ...     ckpt, slim.get_variables_to_restore(exclude=["logits"]),
        ...     ignore_missing_vars=True)
        >>> init_fn(sess)
    """
    from flowexec.graph_io.checkpoint_reader import NewCheckpointReader
    from flowexec.train.saver import Saver

    if not var_list:
        raise ValueError("var_list cannot be empty")
    model_path = _resolve_model_path(model_path)
    if ignore_missing_vars:
        reader = NewCheckpointReader(model_path)
        if isinstance(var_list, dict):
            var_dict = var_list
        else:
            var_dict = {v.op.name: v for v in var_list}
        available = {}
        for name, var in var_dict.items():
            if reader.has_tensor(name):
                available[name] = var
            else:
                _log.warning("Variable %s missing in checkpoint %s", name, model_path)
        var_list = available
    if not var_list:
        _log.warning("No Variables to restore")
        return None
    saver = Saver(var_list, reshape=reshape_variables)

    def callback(session):
        saver.restore(session, model_path)
    return callback


class VariableDeviceChooser:
    """A device function placing variables round-robin on `num_tasks` ps tasks (use with
    `tf.device` or `slim.arg_scope([slim.variable], device=chooser)`).

    Args:
        num_tasks: the number of ps tasks (0: no job/task in the device).
        job_name: the job's name.
        device_type: "CPU" or "GPU".
        device_index: the device index.
        replica: an optional replica index.

    Example:
        >>> chooser = slim.VariableDeviceChooser(num_tasks=2)
        >>> chooser(w.op)
        '/job:ps/task:0/device:CPU:0'
    """

    def __init__(self, num_tasks=0, job_name="ps", device_type="CPU", device_index=0,
                 replica=None):
        self._job_name = job_name
        self._device_type = device_type
        self._device_index = device_index
        self._replica = replica
        self._num_tasks = num_tasks
        self._next_task_id = 0

    def __call__(self, op):
        parts = []
        if self._num_tasks > 0:
            task_id = self._next_task_id
            self._next_task_id = (self._next_task_id + 1) % self._num_tasks
            parts.append("/job:%s" % self._job_name)
            if self._replica is not None:
                parts.append("/replica:%d" % self._replica)
            parts.append("/task:%d" % task_id)
        parts.append("/device:%s:%d" % (self._device_type, self._device_index))
        return "".join(parts)
