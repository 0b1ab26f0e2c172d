"""`tf.train.warm_start` and `tf.train.VocabInfo` (TF's warm_starting_util): initialize a new
model's variables from an earlier checkpoint, by name, renamed, partitioned, or through a
vocabulary remapping.

A variable without a `VocabInfo` gets an initializer that assigns the checkpoint's tensor
(`init_from_checkpoint`; a partitioned variable's shards take their slices). A variable with
one gets TF's remapping initializer (`_load_and_remap_matrix_initializer`): the rows (axis 0)
or columns (axis 1) of the old tensor are matched to the new vocabulary by
GenerateVocabRemapping, and LoadAndRemapMatrix fills the entries without an old value, and the
OOV buckets, from `backup_initializer` (zeros by default). Object-based checkpoints
(`tf.train.Checkpoint`) are read through their object graph: a variable is found by its name
(the object graph's `full_name`). Nothing runs until the variables' initializers do.
"""

import collections
import logging
import os

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.partitioned_variables import PartitionedVariable, _PartitionInfo
from flowexec.variables import Variable

__all__ = ["VocabInfo", "warm_start"]

_log = logging.getLogger(__name__)


class VocabInfo(collections.namedtuple("VocabInfo", [
        "new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab", "old_vocab_size",
        "backup_initializer", "axis"])):
    """How a variable's rows or columns map between two vocabularies, for warm-starting
    (TF's `tf.train.VocabInfo`).

    Args:
        new_vocab: path of the new vocabulary file (one entry per line).
        new_vocab_size: how many entries of it the variable has.
        num_oov_buckets: how many out-of-vocabulary rows (columns) follow them.
        old_vocab: path of the checkpoint's vocabulary file.
        old_vocab_size: use only its first this many entries (-1: all).
        backup_initializer: initializes entries not in the old vocabulary and the OOV
            buckets (default: zeros). It is called with a shape that may be a Tensor.
        axis: 0 (rows: embeddings, linear weights) or 1 (columns: an output layer's classes).

    Raises:
        ValueError: `axis` is not 0 or 1.

    Example:
        >>> info = tf.train.VocabInfo("new_vocab.txt", 100, 1, "old_vocab.txt")
        >>> tf.train.warm_start("old_model", ".*", {"input_layer/emb": info})
    """

    def __new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size=-1,
                backup_initializer=None, axis=0):
        if axis not in (0, 1):
            raise ValueError("The only supported values for the axis argument are 0 and 1.  "
                             f"Provided axis: {axis}")
        return super().__new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab,
                               old_vocab_size, backup_initializer, axis)


def _is_variable(v):
    return isinstance(v, Variable)


def _var_name(var):
    """The checkpoint name of a variable, of a PartitionedVariable, or of a list of shards."""
    shards = list(var) if isinstance(var, (list, PartitionedVariable)) else [var]
    names = set()
    for v in shards:
        info = v._get_save_slice_info()
        names.add(info.full_name if info is not None else v.op.name)
    if len(names) > 1:
        raise TypeError(f"`var` = {var} passed as arg violates the constraints.  "
                        f"name_to_var_dict = {sorted(names)}")
    return names.pop()


def _shards(var):
    if _is_variable(var):
        return [var]
    if isinstance(var, list) and all(_is_variable(v) for v in var):
        return var
    if isinstance(var, PartitionedVariable):
        return var._get_variable_list()
    raise TypeError("var MUST be one of the following: a Variable, list of Variable or "
                    f"PartitionedVariable, but is {type(var)}")


def _checkpoint_filename(ckpt_dir_or_file):
    from flowexec.train.checkpoint_management import latest_checkpoint

    path = os.fsdecode(os.fspath(ckpt_dir_or_file))
    return latest_checkpoint(path) if os.path.isdir(path) else path


# ----- the remapping initializer (TF's training/checkpoint_ops.py) -----------------------------
def _load_and_remap_matrix(ckpt_path, old_tensor_name, new_row_vocab_offset, num_rows_to_load,
                           new_col_vocab_size, initializer, old_row_vocab_size=-1,
                           old_row_vocab_file=None, new_row_vocab_file=None,
                           old_col_vocab_file=None, new_col_vocab_file=None,
                           num_row_oov_buckets=0, num_col_oov_buckets=0,
                           max_rows_in_memory=-1):
    from flowexec.ops import array_ops, math_ops
    from flowexec.ops.checkpoint_remap_ops import generate_vocab_remapping, load_and_remap_matrix

    if num_row_oov_buckets < 0:
        raise ValueError(f"num_row_oov_buckets must be >= 0, but received {num_row_oov_buckets}")
    if num_col_oov_buckets < 0:
        raise ValueError(f"num_col_oov_buckets must be >= 0, but received {num_col_oov_buckets}")
    if bool(old_row_vocab_file) != bool(new_row_vocab_file):
        raise ValueError("old_row_vocab_file and new_row_vocab_file must both be specified or "
                         f"left unspecified. old_row_vocab_file='{old_row_vocab_file}', "
                         f"new_row_vocab_file='{new_row_vocab_file}'")
    if bool(old_col_vocab_file) != bool(new_col_vocab_file):
        raise ValueError("old_col_vocab_file and new_col_vocab_file must both be specified or "
                         f"left unspecified. old_col_vocab_file='{old_col_vocab_file}', "
                         f"new_col_vocab_file='{new_col_vocab_file}'")
    remap_rows = new_row_vocab_file and old_row_vocab_file
    remap_cols = new_col_vocab_file and old_col_vocab_file
    if not (remap_rows or remap_cols):
        raise ValueError("Must provide either row or column vocab files. If no remapping is "
                         "necessary, consider using `tf.train.init_from_checkpoint` instead.")
    num_rows_present = num_rows_to_load
    if remap_rows:
        row_remapping, num_rows_present = generate_vocab_remapping(
            new_row_vocab_file, old_row_vocab_file, new_row_vocab_offset, num_rows_to_load,
            old_vocab_size=old_row_vocab_size)
    else:
        row_remapping = array_ops.range(new_row_vocab_offset,
                                        new_row_vocab_offset + num_rows_to_load,
                                        dtype=dtypes.int64)
    col_remapping = []
    num_cols_present = new_col_vocab_size
    if remap_cols:
        col_remapping, num_cols_present = generate_vocab_remapping(
            new_col_vocab_file, old_col_vocab_file, 0, new_col_vocab_size)
    missing = (num_rows_to_load * new_col_vocab_size
               - math_ops.cast(num_rows_present, dtypes.int32)
               * math_ops.cast(num_cols_present, dtypes.int32))
    init_vals = initializer(array_ops.stack([missing, 1]))
    out = load_and_remap_matrix(ckpt_path, old_tensor_name, row_remapping, col_remapping,
                                array_ops.reshape(init_vals, [-1]), num_rows_to_load,
                                new_col_vocab_size, max_rows_in_memory=max_rows_in_memory)
    if num_row_oov_buckets > 0:
        out = array_ops.concat([out, initializer([num_row_oov_buckets, new_col_vocab_size])], 0)
    if num_col_oov_buckets > 0:
        out = array_ops.concat(
            [out, initializer([num_rows_to_load + num_row_oov_buckets, num_col_oov_buckets])],
            1)
    return out


def _load_and_remap_matrix_initializer(ckpt_path, old_tensor_name, new_row_vocab_size,
                                       new_col_vocab_size, old_row_vocab_size=-1,
                                       old_row_vocab_file=None, new_row_vocab_file=None,
                                       old_col_vocab_file=None, new_col_vocab_file=None,
                                       num_row_oov_buckets=0, num_col_oov_buckets=0,
                                       initializer=None, max_rows_in_memory=-1):
    """An initializer `(shape, dtype, partition_info)` loading a remapped matrix (TF's)."""
    from flowexec.init_ops import zeros_initializer

    if initializer is None:
        initializer = zeros_initializer()
    if not callable(initializer):
        raise TypeError(f"initializer must be callable, instead of being {initializer} of type "
                        f"{type(initializer)}.")

    def _initializer(shape, dtype=dtypes.float32, partition_info=None):
        if dtypes.as_dtype(dtype) != dtypes.float32:
            raise TypeError(f"Currently, only float32 is supported. Received dtype: {dtype}")
        if len(shape) != 2:
            raise ValueError(f"Expected 2-dim shape, but received: {shape}")
        if shape[0] <= 0:
            raise ValueError(f"Expected 1st dim of shape to be > 0, but received shape: {shape}")
        if shape[1] != new_col_vocab_size + num_col_oov_buckets:
            raise ValueError(
                f"Expected 2nd dim of shape to be new_col_vocab_size ({new_col_vocab_size}) + "
                f"num_col_oov_buckets ({num_col_oov_buckets}) = "
                f"{new_col_vocab_size + num_col_oov_buckets}, but received shape: {shape}")
        offset = partition_info.single_offset(shape) if partition_info is not None else 0
        if offset + shape[0] > new_row_vocab_size + num_row_oov_buckets:
            raise ValueError(
                f"Trying to initialize {shape[0]} additional rows after {offset} rows have "
                "already been initialized, which would exceed expected total row count of "
                f"new_row_vocab_size ({new_row_vocab_size}) + num_row_oov_buckets "
                f"({num_row_oov_buckets}) = {new_row_vocab_size + num_row_oov_buckets}.")
        row_oov = min(shape[0], max(0, offset + shape[0] - new_row_vocab_size))
        num_rows_to_load = shape[0] - row_oov
        if offset > new_row_vocab_size:
            if shape[0] != row_oov:
                raise ValueError("Partitioned variable offset is greater than new vocab size "
                                 "and not operating on OOV-only partition.")
            return initializer(shape)
        return _load_and_remap_matrix(
            ckpt_path, old_tensor_name, offset, num_rows_to_load, new_col_vocab_size,
            initializer, old_row_vocab_size, old_row_vocab_file, new_row_vocab_file,
            old_col_vocab_file, new_col_vocab_file, row_oov, num_col_oov_buckets,
            max_rows_in_memory)

    return _initializer


def _warm_start_var_with_vocab(var, current_vocab_path, current_vocab_size, prev_ckpt,
                               prev_vocab_path, previous_vocab_size=-1, current_oov_buckets=0,
                               prev_tensor_name=None, initializer=None, axis=0):
    from flowexec.framework.convert import convert_to_tensor
    from flowexec.ops import state_ops

    if not (current_vocab_path and current_vocab_size and prev_ckpt and prev_vocab_path):
        raise ValueError("Invalid args: Must provide all of [current_vocab_path, "
                         "current_vocab_size, prev_ckpt, prev_vocab_path}.")
    shards = _shards(var)
    if not prev_tensor_name:
        prev_tensor_name = _var_name(shards)
    total_rows = sum(v.get_shape().as_list()[0] for v in shards)
    for v in shards:
        v_shape = v.get_shape().as_list()
        info = v._get_save_slice_info()
        partition_info = None if info is None else _PartitionInfo(
            full_shape=list(info.full_shape), var_offset=list(info.var_offset))
        if len(v_shape) != 2:
            raise ValueError(f"Expected 2-dim shape, but received: {v_shape}")
        if axis == 0:
            rows = dict(new_row_vocab_size=current_vocab_size, new_col_vocab_size=v_shape[1],
                        old_row_vocab_size=previous_vocab_size,
                        old_row_vocab_file=prev_vocab_path,
                        new_row_vocab_file=current_vocab_path,
                        num_row_oov_buckets=current_oov_buckets)
        else:
            rows = dict(new_row_vocab_size=total_rows, new_col_vocab_size=current_vocab_size,
                        old_col_vocab_file=prev_vocab_path,
                        new_col_vocab_file=current_vocab_path,
                        num_col_oov_buckets=current_oov_buckets)
        init = _load_and_remap_matrix_initializer(
            ckpt_path=_checkpoint_filename(prev_ckpt), old_tensor_name=prev_tensor_name,
            initializer=initializer, **rows)
        graph = v.op.graph
        with graph.as_default(), graph.control_dependencies(None), \
                graph.name_scope(v.op.name + "/"):
            value = convert_to_tensor(init(shape=v_shape, partition_info=partition_info))
            v._initializer_op = state_ops.assign(v, value, name="Assign_warm_start").op


# ----- warm_start ----------------------------------------------------------------------------
def _grouped_variables(vars_to_warm_start):
    graph = graph_mod.get_default_graph()
    if isinstance(vars_to_warm_start, str) or vars_to_warm_start is None:
        _log.info("Warm-starting variables only in TRAINABLE_VARIABLES.")
        found = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=vars_to_warm_start)
    elif isinstance(vars_to_warm_start, list):
        if all(isinstance(v, str) for v in vars_to_warm_start):
            found = []
            for scope in vars_to_warm_start:
                found += graph.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope)
        elif all(_is_variable(v) for v in vars_to_warm_start):
            found = vars_to_warm_start
        else:
            raise ValueError("If `vars_to_warm_start` is a list, it must be all `Variable` or "
                             f"all `str`.  Given types are {[type(v) for v in vars_to_warm_start]}")
    else:
        raise ValueError("`vars_to_warm_start must be a `list` or `str`.  Given type is "
                         f"{type(vars_to_warm_start)}")
    grouped = {}
    for v in found:
        grouped.setdefault(_var_name(v), []).append(v)
    return grouped


def _object_checkpoint_renames(path, variable_names):
    from flowexec.framework import errors
    from flowexec.train.checkpoint import object_graph_key_mapping

    try:
        names_to_keys = object_graph_key_mapping(_checkpoint_filename(path))
    except errors.NotFoundError:
        return {}
    missing = set(variable_names) - set(names_to_keys)
    if missing:
        raise ValueError("Attempting to warm-start from an object-based checkpoint, but found "
                         "that the checkpoint did not contain values for all variables. The "
                         f"following variables were missing: {missing}")
    return {name: names_to_keys[name] for name in variable_names}


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None):
    """Makes variables initialize from a checkpoint (TF 1.x's `tf.train.warm_start`).

    Args:
        ckpt_to_initialize_from: a checkpoint prefix, or a directory (its latest checkpoint);
            name-based (`tf.train.Saver`) or object-based (`tf.train.Checkpoint`).
        vars_to_warm_start: a regular expression over TRAINABLE_VARIABLES (default ".*": all
            of them); a list of strings, each a scope regex over GLOBAL_VARIABLES; a list of
            Variables; or None: only the trainable variables in `var_name_to_vocab_info`.
        var_name_to_vocab_info: {variable name: `VocabInfo`} of variables whose rows or
            columns are remapped between vocabularies.
        var_name_to_prev_var_name: {variable name: its name in the checkpoint}.

    Raises:
        ValueError: a name in `var_name_to_vocab_info` or `var_name_to_prev_var_name` matches
            no warm-started variable, a bad `vars_to_warm_start`, or a variable missing from
            an object-based checkpoint.
        TypeError: a variable cannot be warm-started.

    Example:
        >>> emb = tf.get_variable("emb", [101, 16])
        >>> tf.train.warm_start("old_run", ".*", {"emb": tf.train.VocabInfo(
        ...     "vocab.txt", 100, 1, "old_vocab.txt")})
        >>> sess.run(tf.global_variables_initializer())   # emb's rows from old_run
    """
    from flowexec.graph_io.checkpoint_reader import init_from_checkpoint

    _log.info("Warm-starting from: %s", ckpt_to_initialize_from)
    grouped = _grouped_variables(vars_to_warm_start)
    var_name_to_vocab_info = var_name_to_vocab_info or {}
    if not var_name_to_prev_var_name:
        var_name_to_prev_var_name = _object_checkpoint_renames(ckpt_to_initialize_from,
                                                               grouped.keys())
    count = 0
    prev_used, vocab_used = set(), set()
    vocabless = {}
    for name, variable in grouped.items():
        prev_name = var_name_to_prev_var_name.get(name)
        if prev_name:
            prev_used.add(name)
        info = var_name_to_vocab_info.get(name)
        if info:
            vocab_used.add(name)
            count += 1
            _warm_start_var_with_vocab(
                variable, info.new_vocab, info.new_vocab_size, ckpt_to_initialize_from,
                info.old_vocab, info.old_vocab_size, info.num_oov_buckets, prev_name,
                info.backup_initializer, info.axis)
        elif vars_to_warm_start:
            count += 1
            if len(variable) == 1:
                variable = variable[0]
            tensor_name = prev_name or _var_name(_shards(variable))
            if tensor_name in vocabless:  # one tensor for two variables: flush first
                init_from_checkpoint(ckpt_to_initialize_from, vocabless)
                vocabless.clear()
            vocabless[tensor_name] = variable
    if vocabless:
        init_from_checkpoint(ckpt_to_initialize_from, vocabless)
    _log.info("Warm-started %d variables.", count)
    unused_prev = set(var_name_to_prev_var_name) - prev_used
    if unused_prev:
        raise ValueError("You provided the following variables in var_name_to_prev_var_name "
                         f"that were not used: {unused_prev}.  Perhaps you misspelled them?  "
                         f"Here is the list of viable variable names: {grouped.keys()}")
    unused_vocab = set(var_name_to_vocab_info) - vocab_used
    if unused_vocab:
        raise ValueError("You provided the following variables in var_name_to_vocab_info that "
                         f"were not used: {unused_vocab}.  Perhaps you misspelled them?  Here is "
                         f"the list of viable variable names: {grouped.keys()}")
