"""Tensors kept in a Session between runs: GetSessionHandle, GetSessionTensor,
DeleteSessionTensor, `tf.get_session_handle` / `get_session_tensor` / `delete_session_tensor`
and the `TensorHandle` a fetched handle becomes (TF 1.x's session_ops).

`GetSessionHandle(data)` keeps `data`'s value in its session and outputs a handle string,
TF's `"<op name>;<id>;<device>"` (`id` counts per session from 0); `Session.run` returns it
as a `TensorHandle`. Feeding that string to the placeholder of `get_session_tensor` gives the
kept value back, in any later run; `DeleteSessionTensor` (or `TensorHandle.delete()`) frees
it. A `TensorHandle` fed as the value of any tensor feeds the value it keeps.

State: the session's resource dict holds a `_Store` at `STORE` (values by handle, the id
counter, dead handles). Kept values live in host memory: the ops have a string input or
output, so they run on a CPU (of the task of `data`, the task the handle names); TF keeps
the value on the device that computed it. A TensorHandle
that is garbage collected marks its value dead; every `DEAD_HANDLES_THRESHOLD` dead values
are freed together (TF frees them in batches of 10 too), unless `get_raw_handle()` took
ownership. The store is locked: kernels of concurrent runs share it.
"""

import threading
import weakref

import numpy as np

from devices.spec import DeviceSpec
from flowexec.framework import dtypes, errors
from flowexec.framework.graph import device as device_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape, unknown_shape
from flowexec.ops.constant_op import placeholder

STORE = "session_tensors"   # key of the `_Store` in a session's resource dict
DEAD_HANDLES_THRESHOLD = 10


class _Store:
    """The tensors a session keeps by handle (see the module docstring)."""

    def __init__(self):
        self.lock = threading.RLock()   # RLock: a collected TensorHandle may free under it
        self.values = {}
        self.dead = []
        self._ids = 0

    def add(self, op_name, device, value):
        with self.lock:
            handle = f"{op_name};{self._ids};{device}"
            self._ids += 1
            self.values[handle] = value
        return handle


def _store(state):
    store = state.get(STORE)
    if store is None:
        store = state.setdefault(STORE, _Store())
    return store


def _handle_string(value):
    """A fed handle (bytes, str, or a 0-d object array of either) as a str."""
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size == 1 else value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    raise errors.InvalidArgumentError(
        None, None, f"A session tensor handle must be a scalar string, got {value!r}")


def _not_in_store(handle):
    return errors.InvalidArgumentError(
        None, None, f"The tensor with handle '{handle}' is not in the session store.")


# ----- GetSessionHandle ----------------------------------------------------------------------
def _fetch_as_handle(op, value, session):
    return TensorHandle(value, op.inputs[0].dtype, session)


@defop("GetSessionHandle", infer=lambda op: [(dtypes.string, TensorShape(()))],
       stateful=True, needs_ctx=True, fetch_as=_fetch_as_handle)
def _get_session_handle(ctx, xp, value, *, T=None):
    handle = _store(ctx.state).add(ctx.op.name, ctx.session.device_name_of(ctx.runtime),
                                   value)
    return np.array(handle.encode("utf-8"), dtype=object)


_get_session_handle.not_differentiable()


# ----- GetSessionTensor ----------------------------------------------------------------------
@defop("GetSessionTensor", infer=lambda op: [(op.attrs["dtype"], unknown_shape())],
       stateful=True, needs_ctx=True)
def _get_session_tensor(ctx, xp, handle, *, dtype):
    name = _handle_string(handle)
    store = _store(ctx.state)
    with store.lock:
        if name not in store.values:
            raise _not_in_store(name)
        value = store.values[name]
    held = dtypes.as_dtype(value.dtype) if hasattr(value, "dtype") else None
    if held is not None and held is not dtype and held.is_numpy_compatible:
        raise errors.InternalError(
            None, None, f"Output 0 of type {held.proto_name} does not match declared output "
            f"type {dtype.proto_name} for node {{{{node {ctx.op.name}}}}}")
    return value


_get_session_tensor.not_differentiable()


# ----- DeleteSessionTensor -------------------------------------------------------------------
@defop("DeleteSessionTensor", infer=lambda op: [], stateful=True, needs_ctx=True)
def _delete_session_tensor(ctx, xp, handle):
    name = _handle_string(handle)
    store = _store(ctx.state)
    with store.lock:
        if name not in store.values:
            raise errors.InvalidArgumentError(
                None, None, f"Failed to delete a tensor with handle '{name}' in the session "
                "store.")
        del store.values[name]


_delete_session_tensor.not_differentiable()


# ----- the public API ------------------------------------------------------------------------
def _handle_device(handle):
    """The device a handle string names (its last ';'-separated part)."""
    return str(handle).split(";")[-1]


def get_session_handle(data, name=None):
    """Keeps the value of `data` in the session; its handle is what a run fetches.

    Args:
        data: the Tensor whose value to keep.
        name: optional name of the op.

    Returns:
        A scalar string Tensor; `Session.run` returns its value as a `TensorHandle`.

    Raises:
        TypeError: `data` is not a Tensor.

    Example:
        >>> h = sess.run(tf.get_session_handle(a * b))
        >>> p, x = tf.get_session_tensor(h.handle, tf.float32)
        >>> sess.run(x * 10, feed_dict={p: h.handle})
    """
    if not isinstance(data, Tensor):
        raise TypeError("`data` must be of type Tensor.")
    # TF colocates the op with `data` and keeps the handle string in host memory; here a
    # string lives on the host (place.op_supports), so the op runs on the CPU of data's task.
    spec = DeviceSpec.from_string(data.device or None)
    if spec.device_type not in (None, "CPU"):
        spec = spec.replace(device_type="CPU", device_index=0)
    with data.graph.device(None), data.graph.device(spec.to_string() or None):
        return apply_op("GetSessionHandle", data, name=name, T=data.dtype)


def get_session_tensor(handle, dtype, name=None):
    """The tensor a handle keeps, read by feeding the handle string to a placeholder.

    Args:
        handle: a handle string (`TensorHandle.handle`); its device places the reader.
        dtype: the kept tensor's dtype.
        name: optional name of the reading op.

    Returns:
        `(holder, tensor)`: a string placeholder to feed a handle to, and the kept value.
    """
    dtype = dtypes.as_dtype(dtype)
    with device_scope(_handle_device(handle)):
        holder = placeholder(dtypes.string)
        tensor = apply_op("GetSessionTensor", holder, name=name, dtype=dtype)
    return holder, tensor


def delete_session_tensor(handle, name=None):
    """An op that frees the tensor of the handle fed to its placeholder.

    Args:
        handle: a handle string; its device places the deleter.
        name: optional name of the deleting op.

    Returns:
        `(holder, deleter)`: a string placeholder, and the Operation to run.
    """
    with device_scope(_handle_device(handle)):
        holder = placeholder(dtypes.string)
        deleter = apply_op("DeleteSessionTensor", holder, name=name)
    return holder, deleter


_SUBGRAPHS = weakref.WeakKeyDictionary()   # graph -> {key: the eval/delete ops it reuses}


def _subgraph(graph, key, make):
    cache = _SUBGRAPHS.setdefault(graph, {})
    found = cache.get(key)
    if found is None:
        with graph.as_default():
            found = cache[key] = make()
    return found


class TensorHandle:
    """A tensor kept in a session, as `Session.run` returns a fetched `get_session_handle`.

    Attributes:
        handle: the handle string, TF's `"<op name>;<id>;<device>"`.
    """

    def __init__(self, handle, dtype, session):
        if isinstance(handle, np.ndarray):
            handle = handle.reshape(-1)[0]
        self._handle = handle.decode("utf-8") if isinstance(handle, bytes) else str(handle)
        self._dtype = dtypes.as_dtype(dtype)
        self._session = session
        self._auto_gc_enabled = True

    def __del__(self):
        if getattr(self, "_auto_gc_enabled", False):
            _register_dead_handle(self._session, self._handle)

    def __str__(self):
        return self._handle

    def __repr__(self):
        return f"<TensorHandle {self._handle!r} dtype={self._dtype.name}>"

    @property
    def handle(self):
        """The handle string."""
        return self._handle

    def _check_live(self):
        if not self._auto_gc_enabled:
            raise TypeError(f"Persistent tensor {self._handle} may have already been deleted.")

    def eval(self):
        """The kept value (a run of the session that kept it).

        Raises:
            TypeError: `delete()` or `get_raw_handle()` was called.
            InvalidArgumentError: the value is no longer in the session.
        """
        self._check_live()
        key = ("read", _handle_device(self._handle), self._dtype)
        holder, reader = _subgraph(self._session.graph, key,
                                   lambda: get_session_tensor(self._handle, self._dtype))
        return self._session.run(reader, feed_dict={holder: self._handle})

    def delete(self):
        """Frees the kept value now.

        Raises:
            TypeError: `delete()` or `get_raw_handle()` was called before.
        """
        self._check_live()
        self._auto_gc_enabled = False
        holder, deleter = _subgraph(self._session.graph,
                                    ("delete", _handle_device(self._handle)),
                                    lambda: delete_session_tensor(self._handle))
        self._session.run(deleter, feed_dict={holder: self._handle})

    def get_raw_handle(self):
        """The handle string; the value is no longer freed when this object is collected
        (the caller frees it, with `delete_session_tensor`)."""
        self._auto_gc_enabled = False
        return self._handle

    def _feed_value(self):
        """What feeding this handle as a value feeds: the kept value (numpy)."""
        return self.eval()


def _register_dead_handle(session, handle):
    """A collected TensorHandle: its value is freed with the next batch of dead ones."""
    state = getattr(session, "_state", None)
    store = state.get(STORE) if state else None
    if store is None:
        return
    with store.lock:
        store.dead.append(handle)
        if len(store.dead) >= DEAD_HANDLES_THRESHOLD:
            for h in store.dead:
                store.values.pop(h, None)
            store.dead = []
