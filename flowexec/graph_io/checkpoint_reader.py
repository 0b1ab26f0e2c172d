"""Reading checkpoints by name: `tf.train.NewCheckpointReader`, `load_checkpoint`,
`list_variables`, `init_from_checkpoint`, for TensorFlow's V2 bundles and flowexec's own
format alike (told apart by the index file's bytes: a TF index is an sstable)."""

import os

from flowexec.framework import errors
from flowexec.graph_io import bundle

__all__ = ["CheckpointReader", "NewCheckpointReader", "init_from_checkpoint", "list_variables",
           "load_checkpoint", "read_tensors"]


def read_tensors(prefix, names, check=None):
    """{name: value} of the tensors `names` of the checkpoint at `prefix`, of either format.

    `check(records, index_path)`, when given, sees {name: {"dtype": name, "shape": list}} of
    every tensor in the index before any value is read (the Saver checks its variables
    there). A checkpoint replaced by a concurrent save while it is read is read again.

    Raises:
        flowexec.errors.NotFoundError: no checkpoint, a missing name ("Key <name> not found
            in checkpoint ..."), or a missing data file.
        flowexec.errors.DataLossError: damaged files (named).
    """
    from flowexec.train import bundle_checkpoint, checkpoint_format

    for attempt in range(3):
        if bundle.is_bundle(prefix):
            reader = bundle.BundleReader(prefix)
            records = {name: {"dtype": e["dtype"].name, "shape": list(e["shape"])}
                       for name, e in reader.entries.items()}
            _check_present(records, names, reader.index_path, check)
            try:
                return {name: reader.get(name) for name in names}
            except errors.NotFoundError:
                # A data file is gone: if a concurrent save replaced the checkpoint (its
                # index counts other shards now), read the new one.
                if attempt == 2 or bundle_checkpoint.index_num_shards(prefix) == \
                        reader.num_shards:
                    raise
        else:
            index, records = checkpoint_format.read_index(prefix)
            _check_present(records, names, prefix + checkpoint_format.INDEX_SUFFIX, check)
            if not names:
                return {}
            try:
                return checkpoint_format.load_values(prefix, index,
                                                     [records[n] for n in names])
            except checkpoint_format.DataFileReplacedError:
                if attempt == 2:
                    raise
    return None  # not reached: the last attempt returns or raises


def _check_present(records, names, index_path, check):
    if check is not None:
        check(records, index_path)
    for name in names:
        if name not in records:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint "
                                       f"{index_path}")


class CheckpointReader:
    """The tensors of one checkpoint (TF's `CheckpointReader`).

    Raises (from the constructor):
        flowexec.errors.NotFoundError: no checkpoint at the prefix.
        flowexec.errors.DataLossError: the index is damaged (names the file).
    """

    def __init__(self, prefix):
        from flowexec.train import checkpoint_format

        self._prefix = os.fsdecode(os.fspath(prefix))
        if bundle.is_bundle(self._prefix):
            self._bundle = bundle.BundleReader(self._prefix)
            self._meta = {n: (e["dtype"], list(e["shape"]))
                          for n, e in self._bundle.entries.items()}
        else:
            self._bundle = None
            try:
                self._index, self._records = checkpoint_format.read_index(self._prefix)
            except checkpoint_format.NotAValidCheckpointError:
                raise errors.NotFoundError(
                    None, None, "Unsuccessful TensorSliceReader constructor: Failed to find "
                    f"any matching files for {self._prefix}") from None
            from flowexec.framework import dtypes

            self._meta = {n: (dtypes.as_dtype(r["dtype"]), list(r["shape"]))
                          for n, r in self._records.items()}

    def has_tensor(self, name):
        return name in self._meta

    def get_tensor(self, name):
        """The value of tensor `name` (numpy array, or numpy scalar for a scalar).

        Raises:
            flowexec.errors.NotFoundError: "Key <name> not found in checkpoint".
        """
        if name not in self._meta:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        if self._bundle is not None:
            value = self._bundle.get(name)
        else:
            from flowexec.train import checkpoint_format

            value = checkpoint_format.load_values(self._prefix, self._index,
                                                  [self._records[name]])[name]
        return value[()] if value.ndim == 0 else value

    def get_variable_to_shape_map(self):
        return {n: list(shape) for n, (_, shape) in self._meta.items()}

    def get_variable_to_dtype_map(self):
        return {n: dt for n, (dt, _) in self._meta.items()}

    def debug_string(self):
        return "".join(f"{n} ({dt.name}) {shape}\n"
                       for n, (dt, shape) in sorted(self._meta.items())).encode()


def NewCheckpointReader(filepattern):
    """A `CheckpointReader` of the checkpoint at prefix `filepattern`."""
    return CheckpointReader(filepattern)


def _prefix(ckpt_dir_or_file):
    from flowexec.train.checkpoint_management import latest_checkpoint

    path = os.fsdecode(os.fspath(ckpt_dir_or_file))
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {path}")
        return latest
    return path


def load_checkpoint(ckpt_dir_or_file):
    """A `CheckpointReader` of a checkpoint prefix, or of a directory's latest checkpoint.

    Raises:
        ValueError: a directory without checkpoints.
    """
    return CheckpointReader(_prefix(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file):
    """[(name, shape)] of every tensor of a checkpoint, sorted by name."""
    reader = load_checkpoint(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


def init_from_checkpoint(ckpt_dir_or_scope, assignment_map):
    """Makes variables initialize from a checkpoint (TF's `tf.train.init_from_checkpoint`):
    each variable's initializer assigns the checkpoint's value instead of its initial value.

    Args:
        ckpt_dir_or_scope: a checkpoint prefix or directory.
        assignment_map: {checkpoint name: variable, variable name, a PartitionedVariable
            or the list of its shards (each shard takes its slice)}, or
            {"scope/": "scope/"} to map every checkpoint tensor under a scope to the variable
            of the same name under the other scope.

    Raises:
        ValueError: a checkpoint tensor or variable is missing, or the shapes differ.
    """
    from flowexec.framework import graph as graph_mod

    reader = load_checkpoint(ckpt_dir_or_scope)
    graph = graph_mod.get_default_graph()
    variables = {v.op.name: v for v in graph.get_collection(graph_mod.GraphKeys.GLOBAL_VARIABLES)}
    pairs = []
    for src, dst in assignment_map.items():
        if isinstance(dst, str) and src.endswith("/") and dst.endswith("/"):
            for name in reader.get_variable_to_shape_map():
                if name.startswith(src) and dst + name[len(src):] in variables:
                    pairs.append((name, variables[dst + name[len(src):]]))
            continue
        var = variables.get(dst) if isinstance(dst, str) else dst  # or a list of shards
        if var is None:
            raise ValueError(f"Tensor {dst} is not found in the graph's variables")
        if not reader.has_tensor(src):
            raise ValueError(f"Tensor {src} is not found in {ckpt_dir_or_scope} checkpoint "
                             f"{reader.get_variable_to_shape_map()}")
        pairs.append((src, var))
    for name, var in pairs:
        value = reader.get_tensor(name)
        if isinstance(var, (list, tuple)) or hasattr(var, "_get_variable_list"):
            _init_shards(list(var), name, value, graph)
            continue
        if not var.shape.is_compatible_with(value.shape if hasattr(value, "shape") else ()):
            raise ValueError(f"Shape of variable {var.op.name} ({var.shape}) doesn't match "
                             f"with shape of tensor {name} ({list(getattr(value, 'shape', ()))})"
                             " from checkpoint reader.")
        _set_initial_value(var, value, graph)


def _set_initial_value(var, value, graph):
    from flowexec.ops import constant_op, state_ops

    with graph.as_default(), graph.name_scope(var.op.name + "/"):
        init = constant_op.constant(value, dtype=var.dtype.base_dtype,
                                    name="checkpoint_initializer")
        var._initializer_op = state_ops.assign(var, init, name="Assign_ckpt").op


def _init_shards(shards, name, value, graph):
    """Each shard of a partitioned variable initializes from its slice of `value`."""
    import numpy as np

    value = np.asarray(value)
    for shard in shards:
        info = shard._get_save_slice_info()
        if info is None or list(info.full_shape) != list(value.shape):
            raise ValueError(f"Shape of variable {shard.op.name} (a slice of "
                             f"{getattr(info, 'full_shape', None)}) doesn't match with shape "
                             f"of tensor {name} ({list(value.shape)}) from checkpoint reader.")
        piece = value[tuple(slice(o, o + n) for o, n in zip(info.var_offset, info.var_shape))]
        _set_initial_value(shard, piece, graph)
