"""`tf.train.Checkpoint` as TF 1.x has it (TF's CheckpointV1, graph mode): object-based
checkpoints of variables, optimizers, layers, modules and nested Checkpoints.

A Checkpoint depends on the objects given to it (keyword arguments, later attribute
assignments) and, once created, on its `save_counter`; `trackable` walks that object graph.
`write` evaluates every variable of the graph in one `Session.run` and writes TF's V2 bundle
(`bundle_checkpoint`, crash-safe as the Saver's) with the values under TF's keys
(`model/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE`, slot variables under
`.../.OPTIMIZER_SLOT/...`) and the serialized `TrackableObjectGraph` under
`_CHECKPOINTABLE_OBJECT_GRAPH`, as TF writes them, so TF restores flowexec's checkpoints and
flowexec TF's.

`restore(save_path)` reads the object graph and matches its nodes to Python objects by the
local names of their dependencies, from the root, and slot variables through their
optimizer and variable. Each match of a variable builds its restore ops (RestoreV2 and an
Assign, not run; TF's graph mode). Matching is repeated by each method of the returned status,
so that objects created after `restore` (an optimizer's slots made by `minimize`, a layer
built later) are matched then, as TF's deferred restorations match them when they are
created. An object restored by a later `restore` is not assigned by an earlier one (restore
uids, as TF).

Thread-safety: as TF's, a Checkpoint and its statuses are not thread-safe; `Session.run`
calls they make may run concurrently with other steps.
"""

import inspect
import itertools
import logging
import os
import weakref

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.default_session import get_default_session
from flowexec.train import bundle_checkpoint, checkpoint_management, trackable
from flowexec.train.object_graph import OBJECT_GRAPH_PROTO_KEY, TrackableObjectGraph

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointOptions",
           "InitializationOnlyStatus", "NameBasedSaverStatus", "object_graph_key_mapping"]

_log = logging.getLogger(__name__)
_uids = itertools.count(1)  # TF's ops.uid(): orders restores


class CheckpointOptions:
    """Options for `Checkpoint.save`, `write` and `restore` (TF's `tf.train.CheckpointOptions`).

    Args:
        experimental_io_device: the device that reads and writes the files; flowexec always
            does its file I/O on the host, so any value is accepted.
        experimental_enable_async_checkpoint, enable_async: accepted; TF 1.x's Checkpoint
            writes synchronously whatever they say, and so does flowexec's.
        experimental_write_callbacks: callables run after each `write`, with the checkpoint
            path when they take one argument.
        experimental_skip_slot_variables: neither save nor restore optimizer slot variables.
        experimental_sharding_callback: not supported (flowexec writes one data file).

    Raises:
        AssertionError: a write callback takes more than one parameter (TF asserts it).
        NotImplementedError: `experimental_sharding_callback` given.

    Example:
        >>> opts = tf.train.CheckpointOptions(experimental_write_callbacks=[print])
        >>> ckpt.write("train/ckpt", session=sess, options=opts)   # prints the path
    """

    __slots__ = ("experimental_io_device", "experimental_enable_async_checkpoint",
                 "experimental_write_callbacks", "enable_async",
                 "experimental_sharding_callback", "experimental_skip_slot_variables")

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False,
                 experimental_skip_slot_variables=False, experimental_sharding_callback=None):
        self.experimental_io_device = experimental_io_device
        self.enable_async = bool(experimental_enable_async_checkpoint or enable_async)
        self.experimental_enable_async_checkpoint = self.enable_async
        if experimental_write_callbacks is not None:
            for callback in experimental_write_callbacks:
                assert len(inspect.signature(callback).parameters) <= 1  # noqa: S101 - as TF
        self.experimental_write_callbacks = experimental_write_callbacks
        self.experimental_skip_slot_variables = experimental_skip_slot_variables
        if experimental_sharding_callback is not None:
            raise NotImplementedError("experimental_sharding_callback is not supported: "
                                      "flowexec writes every checkpoint as one data file.")
        self.experimental_sharding_callback = None


def _session(session, action):
    session = session if session is not None else get_default_session()
    if session is None:
        raise RuntimeError(f"Unable to {action} in graph mode without a default session. "
                           "Please use `with tf.Session():` to create a session.")
    return session


def _update_uid(obj):
    return getattr(obj, "_checkpoint_update_uid", 0)


def _set_update_uid(obj, uid):
    try:
        obj._checkpoint_update_uid = uid
    except AttributeError:  # a list, tuple or dict: nothing to restore in it
        pass


def _restore_ops(save_path, pairs):
    """One RestoreV2 of the keys of `pairs` [(key, Variable)] and an Assign per variable,
    colocated with it; returns the Assign ops."""
    from flowexec.ops import checkpoint_ops, constant_op, state_ops

    graph = pairs[0][1].op.graph
    with graph.as_default(), graph.control_dependencies(None), \
            graph.name_scope("checkpoint_restore"), graph.device("/device:CPU:0"):
        def strings(values, name):
            return constant_op.constant(np.array([v.encode("utf-8") for v in values],
                                                 dtype=object), dtype=dtypes.string, name=name)
        prefix = constant_op.constant(np.array(save_path.encode("utf-8"), dtype=object),
                                      dtype=dtypes.string, name="prefix")
        restored = checkpoint_ops.restore_v2(
            prefix, strings([k for k, _ in pairs], "tensor_names"),
            strings([""] * len(pairs), "shape_and_slices"),
            [v.dtype.base_dtype for _, v in pairs])
    restored = restored if isinstance(restored, (list, tuple)) else [restored]
    ops = []
    for (_, var), value in zip(pairs, restored):
        with graph.as_default(), graph.control_dependencies(None), \
                graph.name_scope("checkpoint_restore"), state_ops.colocate(var.op):
            ops.append(state_ops.assign(var, value,
                                        validate_shape=var.shape.is_fully_defined()).op)
    return ops


class _Restoration:
    """What one `restore` of an object-based checkpoint has matched and built."""

    def __init__(self, root, proto, save_path, options):
        self.root = root
        self.proto = proto
        self.save_path = save_path
        self.options = options
        self.restore_uid = next(_uids)
        self.object_by_proto_id = {}
        self.restore_ops = []
        self.unused_attributes = {}

    def _bind(self, node_id, obj, pending):
        self.object_by_proto_id[node_id] = obj
        node = self.proto.nodes[node_id]
        restorable = trackable.is_variable(obj)
        for attr in node.attributes:
            if restorable and attr.name == trackable.VARIABLE_VALUE:
                if _update_uid(obj) < self.restore_uid:
                    pending.append((attr.checkpoint_key, obj))
            else:
                self.unused_attributes.setdefault(node_id, []).append(attr.name)
        if _update_uid(obj) < self.restore_uid:
            _set_update_uid(obj, self.restore_uid)

    def match(self):
        """Matches the objects that exist now; builds restore ops for the new matches.

        The newer restorations of the same root match first, so that an object appearing
        after several restores takes the newest one's value (TF restores deferred
        dependencies highest restore uid first)."""
        for ref in reversed(getattr(self.root, "_restorations", [])):
            newer = ref()
            if newer is not None and newer.restore_uid > self.restore_uid:
                newer._match_own()
        self._match_own()

    def _match_own(self):
        pending = []
        if 0 not in self.object_by_proto_id:
            self._bind(0, self.root, pending)
        queue, seen = [0], {0}
        for node_id in queue:
            obj = self.object_by_proto_id[node_id]
            python_children = dict(trackable.children(obj))
            for ref in self.proto.nodes[node_id].children:
                child = python_children.get(ref.local_name)
                if child is None or ref.node_id >= len(self.proto.nodes):
                    continue
                if ref.node_id not in self.object_by_proto_id:
                    self._bind(ref.node_id, child, pending)
                if ref.node_id not in seen:
                    seen.add(ref.node_id)
                    queue.append(ref.node_id)
        if not self.options.experimental_skip_slot_variables:
            for node_id in list(self.object_by_proto_id):
                opt = self.object_by_proto_id[node_id]
                for ref in self.proto.nodes[node_id].slot_variables:
                    if ref.slot_variable_node_id in self.object_by_proto_id:
                        continue
                    var = self.object_by_proto_id.get(ref.original_variable_node_id)
                    if var is None or not trackable.is_variable(var) or \
                            not callable(getattr(opt, "get_slot", None)):
                        continue
                    slot = opt.get_slot(var, ref.slot_name)
                    if slot is not None:
                        self._bind(ref.slot_variable_node_id, slot, pending)
        if pending:
            self.restore_ops += _restore_ops(self.save_path, pending)


class _LoadStatus:
    """The base of the statuses `Checkpoint.restore` returns."""

    def expect_partial(self):
        """Silences warnings about an incomplete restore (flowexec gives none); returns self."""
        return self


class CheckpointLoadStatus(_LoadStatus):
    """The status of restoring an object-based checkpoint (TF's CheckpointLoadStatus).

    Each method first matches the objects that exist now (see the module docstring), so
    objects created after `restore` are restored too.
    """

    def __init__(self, restoration):
        self._restoration = restoration

    def _names(self):
        return self._restoration.proto.node_names()

    def assert_consumed(self):
        """Asserts that every object of the checkpoint and of the program was matched.

        Returns:
            self.

        Raises:
            AssertionError: a Python object with a value has none in the checkpoint, a
                checkpointed object with values has no Python object ("Unresolved object in
                checkpoint ..."), or an attribute in the checkpoint was not restored.
        """
        r = self._restoration
        self.assert_existing_objects_matched()
        skip = set()
        if r.options.experimental_skip_slot_variables:
            skip = {s.slot_variable_node_id for n in r.proto.nodes for s in n.slot_variables}
        names = self._names()
        for node_id, node in enumerate(r.proto.nodes):
            if node.attributes and node_id not in skip and node_id not in r.object_by_proto_id:
                raise AssertionError(
                    f"Unresolved object in checkpoint {names.get(node_id)}: {node}")
        if r.unused_attributes:
            lines = "\n".join(f"{names.get(node_id)} ({r.object_by_proto_id[node_id]}): {attrs}"
                              for node_id, attrs in r.unused_attributes.items())
            raise AssertionError("Unused attributes in these objects (the attributes exist in "
                                 f"the checkpoint but were not restored):\n{lines}")
        return self

    def assert_existing_objects_matched(self):
        """Asserts that every variable that exists now in the object graph was matched
        (values in the checkpoint without a Python object are allowed).

        Returns:
            self.

        Raises:
            AssertionError: "Found N Python objects that were not bound to checkpointed
                values, ...".
        """
        r = self._restoration
        r.match()
        matched = {id(o) for o in r.object_by_proto_id.values()}
        objects = trackable.traverse(r.root, r.options.experimental_skip_slot_variables).objects
        unused = [o for o in objects if trackable.is_variable(o) and id(o) not in matched]
        if unused:
            shown = min(10, len(unused))
            raise AssertionError(
                f"Found {len(unused)} Python objects that were not bound to checkpointed "
                "values, likely due to changes in the Python program. Showing "
                f"{shown} of {len(unused)} unmatched objects: {unused[:shown]}")
        return self

    def assert_nontrivial_match(self):
        """Asserts that something besides the root was matched.

        Raises:
            AssertionError: only the root matched.
        """
        r = self._restoration
        r.match()
        if len(r.object_by_proto_id) <= 1:
            matched = {id(o) for o in r.object_by_proto_id.values()}
            unused = [o for o in trackable.traverse(r.root).objects
                      if trackable.is_variable(o) and id(o) not in matched]
            if unused:
                raise AssertionError(
                    "Nothing except the root object matched a checkpointed value. Typically "
                    "this means that the checkpoint does not match the Python program. The "
                    f"following objects have no matching checkpointed value: {unused}")
            raise AssertionError(f"Nothing to load. No dependencies have been added to "
                                 f"{r.root} yet.")
        return self

    def run_restore_ops(self, session=None):
        """Runs the restore ops of every object matched so far, in `session` (default: the
        default session)."""
        r = self._restoration
        r.match()
        session = _session(session, "restore a checkpoint")
        if r.restore_ops:
            session.run(r.restore_ops)

    def initialize_or_restore(self, session=None):
        """Restores the matched objects and runs the initializers of the other variables of
        the object graph (unless a later `restore` restores them).

        Example:
            >>> status = ckpt.restore(tf.train.latest_checkpoint("train"))
            >>> status.initialize_or_restore(sess)
        """
        r = self._restoration
        r.match()
        session = _session(session, "restore a checkpoint")
        matched = {id(o) for o in r.object_by_proto_id.values()}
        inits = [o.initializer for o in trackable.traverse(r.root).objects
                 if trackable.is_variable(o) and id(o) not in matched
                 and _update_uid(o) < r.restore_uid]
        self.run_restore_ops(session)
        if inits:
            session.run(inits)


class InitializationOnlyStatus(_LoadStatus):
    """What `restore(None)` returns: `initialize_or_restore` initializes the variables; the
    assertions always fail (TF's InitializationOnlyStatus)."""

    def __init__(self, root, restore_uid):
        self._root = root
        self._restore_uid = restore_uid

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def run_restore_ops(self, session=None):
        raise AssertionError("No checkpoint specified, so no restore ops are available "
                             "(save_path=None to Saver.restore).")

    def initialize_or_restore(self, session=None):
        """Runs the initializers of the object graph's variables (those not restored by a
        later `restore`)."""
        session = _session(session, "initialize variables")
        inits = [o.initializer for o in trackable.traverse(self._root).objects
                 if trackable.is_variable(o) and _update_uid(o) < self._restore_uid]
        if inits:
            session.run(inits)


class NameBasedSaverStatus(_LoadStatus):
    """The status of restoring a `tf.train.Saver` checkpoint (no object graph): variables
    are matched by their names (`var.op.name`). A variable the checkpoint lacks is left
    alone and reported by `assert_consumed`; the Checkpoint's own `save_counter` may be
    missing, as in TF's eager restore (TF 1.x's graph mode fails on it instead)."""

    def __init__(self, root, save_path, reader):
        self._root = root
        self._save_path = save_path
        self._reader = reader
        self._restore_uid = next(_uids)
        self._optionally_restored = []
        self._unused_attributes = {}

    def add_to_optionally_restored(self, var):
        """Ignores `var` in the assertions when the checkpoint lacks it."""
        self._optionally_restored.append(var)

    def assert_consumed(self):
        """Raises AssertionError when a variable was not restored (its name is not in the
        checkpoint, or `run_restore_ops` has not run yet); returns self."""
        optional = {id(v) for v in self._optionally_restored}
        unused = [(o, a) for o, a in self._unused_attributes.values() if id(o) not in optional]
        if unused:
            text = "".join(f"\n    {o}: {a}" for o, a in unused)
            raise AssertionError(f"Some objects had attributes which were not restored: {text}")
        for obj in trackable.traverse(self._root).objects:
            if trackable.is_variable(obj) and id(obj) not in optional and \
                    _update_uid(obj) < self._restore_uid:
                raise AssertionError(f"Object not restored: {obj}")
        return self

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def run_restore_ops(self, session=None):
        """Restores, by name, every variable of the object graph that the checkpoint has."""
        session = _session(session, "restore a checkpoint")
        pairs = []
        for obj in trackable.traverse(self._root).objects:
            if not trackable.is_variable(obj) or _update_uid(obj) >= self._restore_uid:
                continue
            name = obj.op.name
            if self._reader.has_tensor(name):
                _set_update_uid(obj, self._restore_uid)
                pairs.append((name, obj))
            else:
                self._unused_attributes[id(obj)] = (obj, [trackable.VARIABLE_VALUE])
        if pairs:
            session.run(_restore_ops(self._save_path, pairs))

    initialize_or_restore = run_restore_ops


_INTERNAL = frozenset(("_deps", "_restorations", "_save_counter", "_save_assign_op",
                       "_checkpoint_update_uid"))


class Checkpoint:
    """Groups trackable objects and saves and restores them (TF 1.x's `tf.train.Checkpoint`).

    Args:
        **kwargs: the objects to save, by name: Variables, optimizers, `tf.layers` layers,
            `tf.Module`s, other Checkpoints, and lists, tuples and dicts of them. They become
            attributes; assigning another trackable attribute later adds it too.

    Raises:
        ValueError: a value is not trackable.

    Example:
        >>> ckpt = tf.train.Checkpoint(optimizer=opt, model=model)
        >>> status = ckpt.restore(tf.train.latest_checkpoint("train"))
        >>> train_op = opt.minimize(loss)
        >>> with tf.Session() as sess:
        ...     status.initialize_or_restore(sess)
        ...     sess.run(train_op)
        ...     ckpt.save("train/ckpt", session=sess)
        'train/ckpt-1'
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_deps", {})
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_save_assign_op", None)
        object.__setattr__(self, "_restorations", [])  # weak references, oldest first
        for k, v in sorted(kwargs.items(), key=lambda item: item[0]):
            setattr(self, k, v)
            if not trackable.is_trackable(v):
                raise ValueError(
                    "`Checkpoint` was expecting a trackable object (an object derived from "
                    f"`Trackable`), got {v}. If you believe this object should be trackable "
                    "(i.e. it is part of the TensorFlow Python API and manages state), please "
                    "open an issue.")

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name in _INTERNAL:
            return
        if trackable.is_trackable(value):
            self._deps[name] = value
        else:
            self._deps.pop(name, None)

    def __delattr__(self, name):
        object.__delattr__(self, name)
        self._deps.pop(name, None)

    def _trackable_children(self):
        return list(self._deps.items())

    # ----- the save counter ---------------------------------------------------------------
    def _maybe_create_save_counter(self):
        if self._save_counter is None:
            from flowexec.variables import Variable

            graph = graph_mod.get_default_graph()
            with graph.control_dependencies(None), graph.device("/cpu:0"):
                counter = Variable(0, name="save_counter", dtype=dtypes.int64, trainable=False)
            object.__setattr__(self, "_save_counter", counter)
            self._deps["save_counter"] = counter

    @property
    def save_counter(self):
        """An int64 variable, 0 at first, incremented by `save`; numbers the checkpoints."""
        self._maybe_create_save_counter()
        return self._save_counter

    # ----- saving -------------------------------------------------------------------------
    def write(self, file_prefix, session=None, options=None):
        """Writes a checkpoint at `file_prefix` (no numbering, no state file, no
        `save_counter` increment; `save` and `CheckpointManager` build on it).

        Args:
            file_prefix: the checkpoint's prefix; its directory is created if missing.
            session: the Session to read the variables in (default: the default session).
            options: a `CheckpointOptions`.

        Returns:
            `file_prefix`, as a str.

        Raises:
            RuntimeError: no session.
            FailedPreconditionError: a variable is uninitialized in the session.
        """
        options = options or CheckpointOptions()
        file_prefix = os.fsdecode(os.fspath(file_prefix))
        session = _session(session, f'save checkpoint to "{file_prefix}"')
        traversal = trackable.traverse(self, options.experimental_skip_slot_variables)
        proto, variables = traversal.to_proto()
        values = session.run(list(variables.values())) if variables else []
        tensors = dict(zip(variables, values))
        tensors[OBJECT_GRAPH_PROTO_KEY] = np.array(proto.serialize(), dtype=object)
        directory = os.path.dirname(file_prefix)
        if directory:
            os.makedirs(directory, exist_ok=True)
        bundle_checkpoint.write_bundle_checkpoint(file_prefix, [tensors])
        for callback in options.experimental_write_callbacks or ():
            if len(inspect.signature(callback).parameters) == 1:
                callback(file_prefix)
            else:
                callback()
        return file_prefix

    def save(self, file_prefix, session=None, options=None):
        """Increments `save_counter`, writes the checkpoint `<file_prefix>-<counter>` and
        records it in the directory's "checkpoint" state file (for `latest_checkpoint`).

        Args:
            file_prefix: the prefix before the number, e.g. "train/ckpt".
            session: the Session (default: the default session).
            options: a `CheckpointOptions`.

        Returns:
            The checkpoint's path, e.g. "train/ckpt-3".

        Raises:
            RuntimeError: no session.
        """
        file_prefix = os.fsdecode(os.fspath(file_prefix))
        session = _session(session, f'save checkpoint to "{file_prefix}"')
        if self._save_counter is None:
            session.run(self.save_counter.initializer)
        if self._save_assign_op is None:
            from flowexec.ops import state_ops

            counter = self.save_counter
            graph = counter.op.graph
            with graph.as_default(), graph.control_dependencies(None), \
                    state_ops.colocate(counter.op):
                object.__setattr__(self, "_save_assign_op", counter.assign_add(1))
        number = int(session.run(self._save_assign_op))
        path = self.write(f"{file_prefix}-{number}", session=session, options=options)
        checkpoint_management.update_checkpoint_state_internal(
            save_dir=os.path.dirname(file_prefix), model_checkpoint_path=path,
            all_model_checkpoint_paths=[path], save_relative_paths=True)
        return path

    # ----- restoring ----------------------------------------------------------------------
    def restore(self, save_path, options=None):
        """Restores this Checkpoint's objects from `save_path` (restore ops are built now
        and as objects appear, and run by the returned status).

        Args:
            save_path: a checkpoint path (from `save` or `tf.train.latest_checkpoint`), or
                None: the status then only initializes (`initialize_or_restore`). A
                `tf.train.Saver` checkpoint (no object graph) is restored by variable names.
            options: a `CheckpointOptions`.

        Returns:
            A `CheckpointLoadStatus`, `InitializationOnlyStatus` (save_path None) or
            `NameBasedSaverStatus` (a name-based checkpoint).

        Raises:
            NotFoundError: no checkpoint at `save_path`.
            DataLossError: the checkpoint or its object graph is damaged.

        Example:
            >>> ckpt.restore("train/ckpt-3").assert_consumed().run_restore_ops(sess)
        """
        from flowexec.graph_io.checkpoint_reader import CheckpointReader

        options = options or CheckpointOptions()
        if save_path is None:
            status = InitializationOnlyStatus(self, next(_uids))
            self._maybe_create_save_counter()
            return status
        save_path = os.fsdecode(os.fspath(save_path))
        reader = CheckpointReader(save_path)
        if not reader.has_tensor(OBJECT_GRAPH_PROTO_KEY):
            _log.warning("Restoring a name-based tf.train.Saver checkpoint using the "
                         "object-based restore API: variables are matched by their names.")
            status = NameBasedSaverStatus(self, save_path, reader)
            self._maybe_create_save_counter()
            status.add_to_optionally_restored(self.save_counter)
            return status
        proto = TrackableObjectGraph.parse(reader.get_tensor(OBJECT_GRAPH_PROTO_KEY),
                                           f"checkpoint {save_path}")
        self._maybe_create_save_counter()
        restoration = _Restoration(self, proto, save_path, options)
        self._restorations.append(weakref.ref(restoration))
        restoration.match()
        return CheckpointLoadStatus(restoration)


def object_graph_key_mapping(checkpoint_path):
    """{variable name: checkpoint key} of an object-based checkpoint, from its object graph
    (TF's saver.object_graph_key_mapping): "dense/kernel" ->
    "model/kernel/.ATTRIBUTES/VARIABLE_VALUE".

    Raises:
        NotFoundError: no checkpoint, or a name-based one ("Key _CHECKPOINTABLE_OBJECT_GRAPH
            not found in checkpoint").
    """
    from flowexec.graph_io.checkpoint_reader import CheckpointReader

    data = CheckpointReader(checkpoint_path).get_tensor(OBJECT_GRAPH_PROTO_KEY)
    proto = TrackableObjectGraph.parse(data, f"checkpoint {checkpoint_path}")
    return {a.full_name: a.checkpoint_key for node in proto.nodes for a in node.attributes}
