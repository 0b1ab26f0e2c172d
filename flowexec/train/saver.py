"""`tf.train.Saver`: saves the values of a graph's variables as checkpoints and restores them.

The files are written and read by `bundle_checkpoint` (TensorFlow's V2 tensor bundle, the
default), `checkpoint_format` (flowexec's own format, `write_version=SaverDef.V1`) and
`checkpoint_management` (the directory's "checkpoint" state file and the helpers TF keeps in
its checkpoint_management module, re-exported here as TF 1.x's `saver.py` does). Restoring
tells the formats apart by the index file's bytes, so either restores whatever was written.

Objects that are not variables (a `SaveableObject`, flowexec/train/saveable.py, e.g. a
tf.data iterator's) save their specs' tensors under the specs' names and restore through
their own `restore` op, grouped into `restore_all` with the variables' assigns.

A save reads every variable in one `Session.run`, writes the checkpoint, then the state file,
and only then deletes checkpoints beyond `max_to_keep`; a crash at any point leaves every
earlier checkpoint intact.

The Saver builds TF's saver subgraph once, under its name scope ("save"): the filename
tensor `save/Const` (a PlaceholderWithDefault), `save/SaveV2` and `save/control_dependency`
(the save tensor), `save/RestoreV2` and one Assign per variable, colocated with it (so a
variable on a GPU is written on its GPU), grouped by `save/restore_all`. `saver_def` names
them, as TF's SaverDef does, and `Saver.save` writes it into the `.meta` file, so TF's
`import_meta_graph` gets a working Saver and so does flowexec's. Restoring reads the index,
checks that every variable is present with the expected dtype and shape before anything is
assigned, then runs `restore_all` with the prefix fed (RestoreV2 reads either format and
checks the checksums before any Assign runs). Saving runs the variables and writes the
files itself (crash-safe; sharded; either format); `save/SaveV2` writes the same one-shard
bundle when run directly.

Thread-safety: a Saver, like TF's, is not thread-safe; call `save` from one thread at a time.
`Session.run` calls made by `save`/`restore` may run concurrently with other steps.
"""

import logging
import numbers
import os
import threading
import time

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.framework.tensor_shape import TensorShape
from flowexec.framework import tensor_slice
from flowexec.graph_io import bundle, checkpoint_reader
from flowexec.ops import array_ops, checkpoint_ops, constant_op, state_ops
from flowexec.train import (
    bundle_checkpoint,
    checkpoint_format,
    checkpoint_management,
    training_util,
)
from flowexec.train.atomic_file import os_error
from flowexec.train.checkpoint_format import SaverDef
from flowexec.train.checkpoint_management import (
    CheckpointState,
    checkpoint_exists,
    get_checkpoint_mtimes,
    get_checkpoint_state,
    latest_checkpoint,
    meta_graph_filename,
    remove_checkpoint,
    update_checkpoint_state,
)
from flowexec.partitioned_variables import PartitionedVariable
from flowexec.variables import Variable

_log = logging.getLogger(__name__)


def _is_variable(var):
    return isinstance(var, Variable) or getattr(getattr(var, "op", None), "type", None) == \
        "VariableV2"


def _slice_info(var):
    get = getattr(var, "_get_save_slice_info", None)
    return get() if get is not None else None


def _is_saveable(obj):
    """A SaveableObject (TF's BaseSaverBuilder.SaveableObject): `specs` and `restore`."""
    return hasattr(obj, "specs") and callable(getattr(obj, "restore", None)) and \
        not _is_variable(obj)


class _SpecOf:
    """One SaveSpec of a SaveableObject, standing where a variable would in a Saver's dict."""

    def __init__(self, saveable, spec):
        self.saveable, self.spec = saveable, spec
        self.tensor = spec.tensor
        self.op = self.tensor.op


def _add_saveable(names, saveable):
    for spec in saveable.specs:
        if spec.name in names:
            raise ValueError(f"At least two variables have the same name: {spec.name}")
        names[spec.name] = _SpecOf(saveable, spec)


def _op_list_to_dict(var_list):
    """{checkpoint name: variable, or the list of a partitioned variable's shards, or a
    SaveableObject's spec} (TF's op_list_to_dict: a shard is saved under its full variable's
    name, a saveable's tensors under their specs' names)."""
    if not isinstance(var_list, (list, tuple, set)):
        raise TypeError(f"Variables to save should be passed in a dict or a list: {var_list}")
    names = {}
    for saveable in [v for v in var_list if _is_saveable(v)]:
        _add_saveable(names, saveable)
    var_list = [v for v in var_list if not _is_saveable(v)]
    for var in sorted(var_list, key=lambda v: v.name):
        if isinstance(var, PartitionedVariable):
            if var.name in names:
                raise ValueError(f"At least two variables have the same name: {var.name}")
            names[var.name] = list(var)
            continue
        if not _is_variable(var):
            raise TypeError(f"Variable to save is not a Variable: {var}")
        info = _slice_info(var)
        if info is not None:
            shards = names.setdefault(info.full_name, [])
            if not isinstance(shards, list):
                raise ValueError(f"Mixing slices and non-slices with the same name: "
                                 f"{info.full_name}")
            shards.append(var)
            continue
        name = var.op.name
        if name in names:
            raise ValueError(f"At least two variables have the same name: {name}")
        names[name] = var
    return names


def _checked_dict(names_to_vars):
    seen = {}
    out = {}
    for name, var in names_to_vars.items():
        if not isinstance(name, str):
            raise TypeError(f"Names of variables to save must be strings, got {name!r}")
        if _is_saveable(var):  # saved under its specs' names, as TF
            _add_saveable(out, var)
            continue
        shards = list(var) if isinstance(var, (PartitionedVariable, list, tuple)) else None
        for v in shards if shards is not None else [var]:
            if not _is_variable(v):
                raise TypeError("names_to_saveables must be a dict mapping string names to "
                                f"Tensors/Variables. Not a variable: {v}")
            if shards is not None and _slice_info(v) is None:
                raise ValueError(f"Slice variable without save_slice_info: {v.name}")
            if v.op in seen:
                raise ValueError(f"The same saveable will be restored with two names: {v}")
            seen[v.op] = name
        out[name] = shards if shards is not None else var
    return out


def _check_session(sess):
    from flowexec.runtime.session import BaseSession

    if not isinstance(sess, BaseSession):
        raise TypeError(f"'sess' must be a Session; {sess}")


class _Entry:
    """One saved variable: its checkpoint name, the variable, and its slice spec ("" for a
    whole tensor; a shard's spec in its full tensor)."""

    __slots__ = ("info", "name", "saveable", "spec", "tensor", "var")

    def __init__(self, name, var, sliced=False):
        self.name = name
        if isinstance(var, _SpecOf):  # a SaveableObject's tensor
            self.var, self.saveable, self.tensor = None, var.saveable, var.tensor
            self.info, self.spec = None, var.spec.slice_spec or ""
            return
        self.var, self.saveable = var, None
        self.tensor = var.op.outputs[0]
        self.info = _slice_info(var) if sliced else None
        self.spec = self.info.spec if self.info is not None else ""

    @property
    def fetch(self):
        """What a save reads: the variable, or the saveable's tensor."""
        return self.var if self.var is not None else self.tensor

    @property
    def label(self):
        """The name errors give: the variable's op, or the saveable's."""
        return self.var.op.name if self.var is not None else self.saveable.name

    @property
    def device(self):
        return self.var.op.device if self.var is not None else (self.tensor.op.device or "")


def _string_vector(values, name):
    return constant_op.constant(np.array([v.encode("utf-8") for v in values], dtype=object),
                                dtype=dtypes.string, name=name)


class Saver:
    """Saves and restores variables (TF1's `tf.train.Saver`).

    Args:
        var_list: the variables: None for every global variable (and SAVEABLE_OBJECTS),
            a list (saved under `var.op.name`), or a dict {checkpoint name: variable}.
        reshape: allow restoring a value of another shape with as many elements.
        sharded: with the V2 format, write one data file per device that holds variables
            (`<prefix>.data-<i>-of-<n>`, devices in sorted order, as TF's sharded saves do)
            beside one index; otherwise one data file.
        max_to_keep: how many recent checkpoints to keep; older ones are deleted. None or 0
            keeps all (and does not track them).
        keep_checkpoint_every_n_hours: additionally keep one checkpoint per this many hours.
        name: name scope of the restore ops (default "save").
        restore_sequentially: accepted for TF compatibility; values are assigned in one step.
        saver_def: a SaverDef proto (e.g. `other_saver.saver_def`, or a meta graph's) whose
            ops are in the graph: this Saver then saves and restores by running them
            (`save_tensor_name`, `restore_op_name`, fed through `filename_tensor_name`), as
            TF's does, and takes `max_to_keep`, `keep_checkpoint_every_n_hours`, `sharded`
            and `version` from it. Saving this way writes TF's V2 format, one shard.
        builder: not supported (flowexec has no saver builders); must be None.
        defer_build: build the restore ops in `build()` instead of now.
        allow_empty: with no variables, make save/restore do nothing instead of raising.
        write_version: the format of the files written (restoring reads both):
            SaverDef.V2 (the default, as in TF 1.x): TensorFlow's tensor bundle,
            `<prefix>.index` + `<prefix>.data-00000-of-00001`, byte for byte what TF writes
            for the same values (numbers, bools, strings), so TF restores it and flowexec
            restores TF's. It keeps flowexec's crash-safety guarantee: a checkpoint is
            replaced only by the atomic rename of its index, so a crash at any moment leaves
            the previous checkpoint or the new one, also when saving over one prefix again
            and again. Because TF's data file names are fixed by the prefix and shard count,
            such a re-save writes one empty extra shard when the old checkpoint has the
            count it needs (`-of-00002` after `-of-00001`, then back), so that no file of
            the old checkpoint is overwritten before the switch; TF reads either.
            SaverDef.V1 (or LEGACY): flowexec's own format (a JSON index and an npz data
            file with a fresh name per save; see checkpoint_format), which TF does not read.
            TF's deprecated V1 files are not written.
        pad_step_number: zero-pad the global step in names ("model-00000100").
        save_relative_paths: also write paths outside the state file's directory relative to
            it (paths inside it are always written relative).
        filename: accepted for TF compatibility (the default path of TF's save op).

    Raises:
        ValueError: duplicate names, no variables without `allow_empty`, `var_list` with
            `defer_build`, or `saver_def`/`builder` given.
        TypeError: `var_list` holds something that is not a variable.

    Example:
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> saver = tf.train.Saver(max_to_keep=3)
        >>> with tf.Session() as sess:
        ...     sess.run(tf.global_variables_initializer())
        ...     path = saver.save(sess, "train/model.ckpt", global_step=100)
        >>> path
        'train/model.ckpt-100'
        >>> with tf.Session() as sess:
        ...     saver.restore(sess, tf.train.latest_checkpoint("train"))
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=SaverDef.V2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if defer_build and var_list:
            raise ValueError("If `var_list` is provided then build cannot be deferred. Either "
                             "set defer_build=False or var_list=None.")
        if builder is not None:
            raise ValueError("builder is not supported: flowexec has no saver builders; pass "
                             "var_list or saver_def instead.")
        if saver_def is not None:
            max_to_keep = saver_def.max_to_keep
            keep_checkpoint_every_n_hours = saver_def.keep_checkpoint_every_n_hours
            sharded = saver_def.sharded
            write_version = saver_def.version or SaverDef.V1
        if write_version not in (SaverDef.LEGACY, SaverDef.V1, SaverDef.V2):
            raise ValueError(f"write_version must be SaverDef.V1 or SaverDef.V2, got "
                             f"{write_version!r}")
        self._var_list = var_list
        self._save_lock = threading.Lock()
        self._reshape = bool(reshape)
        self._sharded = bool(sharded)
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._name = name
        self._restore_sequentially = restore_sequentially
        self._allow_empty = allow_empty
        self._write_version = write_version
        self._bundle = write_version == SaverDef.V2
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._filename = filename
        self._is_built = False
        self._is_empty = None
        self._entries = []
        self._saver_def = saver_def
        self._ops = None  # (filename tensor, save tensor, restore op) of the saver subgraph
        self._last_checkpoints = []          # [(prefix, save time)], oldest first
        self._checkpoints_to_be_deleted = []
        self._next_checkpoint_time = None
        if saver_def is not None:
            self._from_saver_def(saver_def)
        elif not defer_build:
            self.build()

    def build(self):
        """Collects the variables and builds the restore ops (once; later calls do nothing).

        Raises:
            ValueError: no variables (without `allow_empty`), duplicate names, or variables
                of several graphs.
        """
        if self._is_built:
            return
        var_list = self._var_list
        if var_list is None:
            graph = graph_mod.get_default_graph()
            var_list = (graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
                        + graph.get_collection(GraphKeys.SAVEABLE_OBJECTS))
        names_to_vars = (_checked_dict(var_list) if isinstance(var_list, dict)
                         else _op_list_to_dict(var_list))
        self._next_checkpoint_time = time.time() + self._keep_checkpoint_every_n_hours * 3600
        if not names_to_vars:
            if not self._allow_empty:
                raise ValueError("No variables to save")
            self._is_empty = True
            self._is_built = True
            return
        graphs = {v.op.graph for var in names_to_vars.values()
                  for v in (var if isinstance(var, list) else [var])}
        if len(graphs) != 1:
            raise ValueError("The variables of one Saver must all be in one graph.")
        graph = graphs.pop()
        self._entries = []
        for name in sorted(names_to_vars):
            var = names_to_vars[name]
            if isinstance(var, list):
                shards = sorted(var, key=lambda v: _slice_info(v).var_offset)
                self._entries += [_Entry(name, v, sliced=True) for v in shards]
            else:
                self._entries.append(_Entry(name, var))
        self._build_ops(graph)
        self._is_empty = False
        self._is_built = True

    def _build_ops(self, graph):
        """TF's saver subgraph (names as TF gives them; see the module docstring)."""
        entries = self._entries
        names = [e.name for e in entries]
        specs = [e.spec for e in entries]
        with graph.as_default(), graph.control_dependencies(None), \
                graph.name_scope(self._name or "save") as scope, graph.device(None):
            default = constant_op.constant(np.array(b"model", dtype=object),
                                           dtype=dtypes.string, name="filename/input")
            filename = constant_op.placeholder_with_default(default, [], name="filename")
            filename = constant_op.placeholder_with_default(filename, [], name="Const")
            save = checkpoint_ops.save_v2(
                filename, _string_vector(names, "SaveV2/tensor_names"),
                _string_vector(specs, "SaveV2/shape_and_slices"),
                [e.tensor for e in entries], name="SaveV2")
            with graph.control_dependencies([save]), state_ops.colocate(filename.op):
                save_tensor = constant_op.identity(filename, name="control_dependency")
            with graph.device("/device:CPU:0"):
                restored = checkpoint_ops.restore_v2(
                    filename, _string_vector(names, "RestoreV2/tensor_names"),
                    _string_vector(specs, "RestoreV2/shape_and_slices"),
                    [e.tensor.dtype.base_dtype for e in entries], name="RestoreV2")
            assigns, saveables = [], {}
            for e, value in zip(entries, restored):
                if e.saveable is not None:
                    saveables.setdefault(id(e.saveable), (e.saveable, {}))[1][e.name] = value
                    continue
                shape = e.tensor.shape
                with state_ops.colocate(e.var.op):
                    if self._reshape and shape.is_fully_defined():
                        value = array_ops.reshape(value, shape.as_list())
                    assigns.append(state_ops.assign(
                        e.var, value, validate_shape=shape.is_fully_defined(), name="Assign"))
            for saveable, values in saveables.values():
                assigns.append(saveable.restore([values[spec.name] for spec in saveable.specs],
                                                None))
            restore_op = constant_op.group(*assigns, name="restore_all")
        self._ops = (filename, save_tensor, restore_op)
        self._scope = scope.rstrip("/")

    def _from_saver_def(self, saver_def):
        """Uses the graph's saver ops that `saver_def` names (TF's Saver(saver_def=...))."""
        graph = graph_mod.get_default_graph()
        try:
            self._ops = (graph.as_graph_element(saver_def.filename_tensor_name),
                         graph.as_graph_element(saver_def.save_tensor_name),
                         graph.as_graph_element(saver_def.restore_op_name))
        except (KeyError, ValueError) as e:
            raise ValueError(f"The graph has no ops of this SaverDef: {e}") from e
        if saver_def.version != SaverDef.V2:
            raise ValueError("A SaverDef of version V1 names TF's V1 save ops, which flowexec "
                             "does not have; use a Saver over the variables instead.")
        self._scope = saver_def.filename_tensor_name.split("/")[0]
        self._next_checkpoint_time = time.time() + self._keep_checkpoint_every_n_hours * 3600
        self._is_empty = False
        self._is_built = True

    @property
    def saver_def(self):
        """TF's SaverDef proto naming this Saver's ops and settings (written into `.meta`
        files), or None when the Saver is empty or not built.

        Example:
            >>> sd = saver.saver_def
            >>> sess.run(sd.restore_op_name, {sd.filename_tensor_name: "train/model.ckpt"})
        """
        if self._ops is None:
            return None
        from flowexec.graph_io import protos

        filename, save_tensor, restore_op = self._ops
        sd = protos.proto_class("SaverDef")()
        sd.filename_tensor_name = filename.name
        sd.save_tensor_name = save_tensor.name
        sd.restore_op_name = restore_op.name
        sd.max_to_keep = self._max_to_keep or 0
        sd.sharded = self._sharded
        sd.keep_checkpoint_every_n_hours = self._keep_checkpoint_every_n_hours
        sd.version = self._write_version
        return sd

    def as_saver_def(self):
        """The `saver_def` proto (TF 1.x's method)."""
        return self.saver_def

    # ----- bookkeeping of recent checkpoints ----------------------------------------------
    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints this Saver keeps, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints):
        """Deprecated: sets the kept checkpoints (never deleted: their time is +inf).

        Raises:
            TypeError: `last_checkpoints` is not a list.
        """
        if not isinstance(last_checkpoints, list):
            raise TypeError(f"last_checkpoints must be a list, got {last_checkpoints!r}")
        self._last_checkpoints = [(p, np.inf) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        """Sets the kept checkpoints as [(prefix, save time in seconds)], oldest first.

        Raises:
            TypeError: the argument is not a list.

        Example:
            >>> saver.set_last_checkpoints_with_time([("train/m-1", 1700000000.0)])
        """
        if not isinstance(last_checkpoints_with_time, list):
            raise TypeError("last_checkpoints_with_time must be a list, got "
                            f"{last_checkpoints_with_time!r}")
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths):
        """Tracks the existing ones of `checkpoint_paths` (with their file times), e.g. after
        a restart, so that `max_to_keep` deletes them in turn.

        Example:
            >>> ckpt = tf.train.get_checkpoint_state("train")
            >>> saver.recover_last_checkpoints(ckpt.all_model_checkpoint_paths)
        """
        with_times = []
        for path in checkpoint_paths:
            mtime = get_checkpoint_mtimes([path])
            if mtime:
                with_times.append((path, mtime[0]))
        self.set_last_checkpoints_with_time(with_times)

    def _record_last_checkpoint(self, path):
        if not self._max_to_keep:
            return
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != path]
        self._last_checkpoints.append((path, time.time()))
        if len(self._last_checkpoints) > self._max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix):
        if not self._checkpoints_to_be_deleted:
            return
        path, saved_at = self._checkpoints_to_be_deleted.pop(0)
        if saved_at > self._next_checkpoint_time:  # keep one per keep_checkpoint_every_n_hours
            self._next_checkpoint_time += self._keep_checkpoint_every_n_hours * 3600
            return
        try:
            remove_checkpoint(path, self._write_version, meta_graph_suffix)
        except OSError as e:
            _log.warning("Ignoring: %s", e)

    # ----- save / restore -----------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Saves the variables' values in `sess` as a checkpoint; returns its prefix.

        Args:
            sess: the Session whose values are saved.
            save_path: the checkpoint's prefix, e.g. "train/model.ckpt".
            global_step: an int, or an integer Tensor/Variable evaluated in `sess`, appended
                to the prefix ("train/model.ckpt-100").
            latest_filename: the state file's name (default "checkpoint").
            meta_graph_suffix: the suffix of the meta graph file ("<prefix>.meta").
            write_meta_graph: also write the graph's MetaGraphDef there, as TF does (needs
                the tensorboard package; a graph with a flowexec-only op, or without the
                package, is saved without it and a warning says why).
            strip_default_attrs, save_debug_info: accepted for TF compatibility.
            write_state: record the checkpoint in the state file and apply `max_to_keep`.

        Returns:
            The checkpoint's prefix (for `restore`), or None when the Saver is empty.

        Raises:
            RuntimeError: `build()` was deferred and not called.
            TypeError: `sess` is not a Session.
            ValueError: the directory does not exist, or `latest_filename` has a directory
                or collides with `save_path`.
            FailedPreconditionError: a variable is uninitialized in `sess`.
            UnimplementedError: a string variable holds a value the format cannot store.
            ResourceExhaustedError, PermissionDeniedError, UnknownError: writing failed; the
                earlier checkpoints are intact and nothing partial is left.

        Example:
            >>> saver.save(sess, "train/model.ckpt", global_step=step)
            'train/model.ckpt-100'
        """
        # One save at a time: a checkpoint thread's save and a final save must not interleave
        # their state-file updates (the later save's checkpoint stays the latest).
        with self._save_lock:
            return self._save(sess, save_path, global_step, latest_filename,
                              meta_graph_suffix, write_meta_graph, write_state)

    def _save(self, sess, save_path, global_step, latest_filename, meta_graph_suffix,
              write_meta_graph, write_state):
        if not self._is_built:
            raise RuntimeError("`build()` should be called before save if defer_build==True")
        if latest_filename is None:
            latest_filename = "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fsdecode(os.fspath(save_path))
        if global_step is not None:
            if not isinstance(global_step, (numbers.Integral, np.integer)):
                global_step = training_util.global_step(sess, global_step)
            step = f"{int(global_step):08d}" if self._pad_step_number else str(int(global_step))
            checkpoint_file = f"{save_path}-{step}"
        else:
            checkpoint_file = save_path
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError(f"'latest_filename' collides with 'save_path': "
                                 f"'{latest_filename}' and '{save_path}'")
        _check_session(sess)
        if self._is_empty:
            return None
        save_dir = os.path.dirname(save_path)
        if not os.path.isdir(save_dir or "."):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        try:
            if self._entries:
                self._write(checkpoint_file, sess.run([e.fetch for e in self._entries]))
            else:  # a Saver of a SaverDef: its SaveV2 op writes the files
                filename, save_tensor, _ = self._ops
                sess.run(save_tensor, {filename: checkpoint_file})
            if write_meta_graph:
                self._write_meta_graph(sess, checkpoint_file + "." + meta_graph_suffix)
            if write_state:
                self._record_last_checkpoint(checkpoint_file)
                checkpoint_management.update_checkpoint_state_internal(
                    save_dir, checkpoint_file, self.last_checkpoints, latest_filename,
                    self._save_relative_paths)
                self._maybe_delete_old_checkpoints(meta_graph_suffix)
        except OSError as e:
            raise os_error(e, f"Failed to save checkpoint {checkpoint_file}") from e
        return checkpoint_file

    def _write(self, checkpoint_file, values):
        if not self._bundle:
            checkpoint_format.write_checkpoint(checkpoint_file, self._whole_values(values))
            return
        shards = {}
        for e, v in zip(self._entries, values):
            device = e.device if self._sharded else ""
            shard = shards.setdefault(device, {})
            if e.info is None:
                shard[e.name] = v
                continue
            piece = bundle.Slices(e.info.full_shape, [(e.info.var_offset, v)])
            shard[e.name] = piece if e.name not in shard else shard[e.name].merged(piece)
        bundle_checkpoint.write_bundle_checkpoint(
            checkpoint_file, [shards[d] for d in sorted(shards)])

    def _whole_values(self, values):
        """[(name, DType, value)] with each partitioned variable's shards put together (the
        format of `write_version=V1` stores whole tensors)."""
        out, full = [], {}
        for e, v in zip(self._entries, values):
            if e.info is None:
                out.append((e.name, e.tensor.dtype, v))
                continue
            if e.name not in full:
                full[e.name] = np.zeros(e.info.full_shape, dtype=np.asarray(v).dtype)
                out.append((e.name, e.tensor.dtype, full[e.name]))
            tensor_slice.place(full[e.name], e.info.var_offset, np.asarray(v))
        return out

    def _write_meta_graph(self, sess, path):
        from flowexec.graph_io import meta_graph

        try:
            meta_graph.export_meta_graph(path, graph=sess.graph, saver_def=self.saver_def)
        except (ImportError, ValueError) as e:
            _log.warning("The meta graph %s is not written: %s", path, e)

    def restore(self, sess, save_path):
        """Restores the variables in `sess` from the checkpoint at `save_path`.

        Every variable is checked (present, dtype, shape, checksum) before any is assigned,
        so a failed restore changes nothing. Restoring also initializes the variables.

        Args:
            sess: the Session to restore into.
            save_path: a prefix returned by `save` or `latest_checkpoint`.

        Raises:
            ValueError: `save_path` is None.
            NotFoundError: no checkpoint at `save_path` ("The passed save_path is not a valid
                checkpoint: ..."; the error is also a ValueError, which TF 1.x raises), a
                variable is not in it ("Key <name> not found in checkpoint ..."), or its
                data file is gone.
            InvalidArgumentError: a variable's dtype or shape differs from the graph's.
            DataLossError: the index or data file is corrupt or truncated, or a checksum
                does not match; the message names the file and the variable.
            RuntimeError: `build()` was deferred and not called.
            TypeError: `sess` is not a Session.

        Example:
            >>> saver.restore(sess, "train/model.ckpt-100")
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if not self._is_built:
            raise RuntimeError("`build()` should be called before restore if "
                               "defer_build==True")
        prefix = os.fsdecode(os.fspath(save_path))
        if not checkpoint_exists(prefix):
            raise checkpoint_format.NotAValidCheckpointError(
                None, None, "The passed save_path is not a valid checkpoint: " + prefix)
        _check_session(sess)
        _log.info("Restoring parameters from %s", prefix)
        if self._entries:  # check the index first, so that a failing restore assigns nothing
            checkpoint_reader.read_tensors(prefix, [], self._check_entries)
        filename, _, restore_op = self._ops
        sess.run(restore_op, {filename: prefix})

    def _check_entries(self, records, index_path):
        """Every variable is in the index with the graph's dtype and a compatible shape."""
        for e in self._entries:
            if e.name not in records:
                raise errors.NotFoundError(
                    None, None, "Restoring from checkpoint failed. This is most likely due to "
                    "a Variable name or other graph key that is missing from the checkpoint. "
                    f"Key {e.name} not found in checkpoint {index_path}")
            rec = records[e.name]
            if e.info is not None and list(rec["shape"]) != list(e.info.full_shape):
                raise errors.InvalidArgumentError(
                    None, None, f"Restoring variable '{e.var.op.name}' (a slice of {e.name}) "
                    f"from checkpoint {index_path} failed: {e.name} has shape "
                    f"{list(e.info.full_shape)} in the graph but {list(rec['shape'])} in the "
                    "checkpoint.")
            if rec["dtype"] != e.tensor.dtype.name:
                raise errors.InvalidArgumentError(
                    None, None, "Expected to restore a tensor of type "
                    f"{e.tensor.dtype.proto_name}, got a tensor of type "
                    f"{dtypes.as_dtype(rec['dtype']).proto_name} instead: tensor_name = "
                    f"{e.name} (variable '{e.label}', checkpoint {index_path})")
            if e.info is None:
                self._check_shape(e, rec["shape"], index_path)

    def _check_shape(self, entry, shape, index_path):
        var_shape = entry.tensor.shape
        if var_shape.is_compatible_with(TensorShape(shape)):
            return
        if self._reshape and var_shape.is_fully_defined() and \
                var_shape.num_elements() == int(np.prod(shape, dtype=np.int64)):
            return
        lhs, rhs = var_shape.proto_str(), TensorShape(shape).proto_str()
        raise errors.InvalidArgumentError(
            None, None, f"Restoring variable '{entry.label}' (key {entry.name}) from "
            f"checkpoint {index_path} failed: it has shape {lhs} in the graph but {rhs} in "
            f"the checkpoint. Assign requires shapes of both tensors to match. lhs shape= "
            f"{lhs} rhs shape= {rhs}")


__all__ = [
    "CheckpointState",
    "Saver",
    "SaverDef",
    "checkpoint_exists",
    "get_checkpoint_mtimes",
    "get_checkpoint_state",
    "latest_checkpoint",
    "meta_graph_filename",
    "remove_checkpoint",
    "update_checkpoint_state",
]
