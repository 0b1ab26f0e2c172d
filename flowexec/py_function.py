"""`tf.py_function`: a Python function as a graph op (TF's EagerPyFunc) that receives tensors
with values, computes eagerly, and is differentiable.

When the op runs, its function is called with one Tensor per input, each with its value
(`x.numpy()`, `float(x)`, numpy operations); flowexec ops applied to them run at once (a
scratch graph per call whose ops are evaluated as they are added, `framework.eager`), so the
function may mix TF ops, Python and numpy, as under TF's eager execution. Each result is
converted to its `Tout` dtype as TF's `convert_to_tensor` would (a tensor of another dtype is
an error, "Tensor conversion requested dtype ..."). The call keeps its scratch graph under
the op's token until the op's gradient runs: the gradient op differentiates the recorded TF
ops with the scratch graph's gradients (an input reached only through numpy gets a zero
gradient, as TF's tape gives; TF returns a scalar 0 there too).

Thread-safety: each call has its own scratch graph and session; two concurrent runs of one
op share the token, and the gradient takes the last forward call's record (as TF's
tape cache does).
"""

import threading

import numpy as np

from flowexec.framework import dtypes, eager, errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.tensor import Tensor
from flowexec.ops import script_ops

__all__ = ["py_function"]

_records = {}  # token -> (session, graph, inputs, outputs, input values) of the last call
_lock = threading.Lock()


def _convert(value, want, is_grad):
    if isinstance(value, Tensor):
        got = value.dtype.base_dtype
        if got != want:
            raise ValueError(f"Tensor conversion requested dtype {want.name} for Tensor with "
                             f"dtype {got.name}: {value!r}")
        return np.asarray(value.numpy())
    if value is None:
        if is_grad:
            return np.zeros((), dtype=want.as_numpy_dtype)
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor.")
    if want is dtypes.string:
        return script_ops._as_result(value)[0]
    arr = np.asarray(value)
    target = np.dtype(want.as_numpy_dtype)
    if arr.dtype != target and not (np.can_cast(arr.dtype, target, "same_kind")
                                    or (arr.dtype.kind in "iub" and target.kind in "iufc")):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {want.name}")
    return arr.astype(target)


class _EagerFunc:
    """The EagerPyFunc op's `func` attribute: runs the user's function eagerly."""

    def __init__(self, func, tout, token, is_grad=False):
        self._func = func
        self._tout = tout
        self.token = token
        self._is_grad = is_grad

    def gradient_function(self):
        return _GradFunc(self.token, script_ops.next_token())

    def __call__(self, *arrays):
        from flowexec.ops.constant_op import placeholder
        from flowexec.runtime.session import Session

        graph = graph_mod.Graph()
        with graph.as_default():
            inputs = [placeholder(dtypes.as_dtype(np.asarray(a).dtype) if np.asarray(a).dtype
                                  != object else dtypes.string, np.shape(a)) for a in arrays]
        for t, a in zip(inputs, arrays):
            eager.set_value(t, a)
        session = Session(graph=graph)

        def evaluate(op):
            feed = {t: eager.value_of(t) for t in op.inputs}
            if not op.outputs:
                session.run(op, feed)
                return
            for t, v in zip(op.outputs, session.run(list(op.outputs), feed)):
                eager.set_value(t, v)

        with graph.as_default(), eager.eager_scope(graph, evaluate):
            out = self._func(*inputs)
        values = [] if out is None and not self._tout else (
            list(out) if isinstance(out, (list, tuple)) else [out])
        if len(values) != len(self._tout):
            session.close()
            raise errors.InvalidArgumentError(
                None, None, f"{self.token} returns {len(values)} values, but expects to see "
                            f"{len(self._tout)} values.")
        arrays_out = [_convert(v, want, self._is_grad) for v, want in zip(values, self._tout)]
        if self._is_grad:
            session.close()
        else:
            outputs = [v if isinstance(v, Tensor) else None for v in values]
            with _lock:
                old = _records.pop(self.token, None)
                _records[self.token] = (session, graph, inputs, outputs, list(arrays))
            if old is not None:
                old[0].close()
        return arrays_out


class _GradFunc:
    """The gradient op's `func`: differentiates the forward call recorded under `token`."""

    def __init__(self, forward_token, token):
        self._forward = forward_token
        self.token = token

    def gradient_function(self):
        raise LookupError("tf.py_function's gradient is not differentiable (TF 1.x graph mode "
                          "has no second-order gradient through EagerPyFunc either).")

    def __call__(self, *dys):
        from flowexec.gradients import gradients
        from flowexec.ops.constant_op import placeholder

        with _lock:
            record = _records.pop(self._forward, None)
        if record is None:
            raise errors.UnknownError(
                None, None, f"KeyError: the forward call of {self._forward} has no record "
                "(its gradient runs once after each run of the op).")
        session, graph, inputs, outputs, values = record
        try:
            with graph.as_default():
                ys, grad_ys, feed = [], [], dict(zip(inputs, values))
                for out, dy in zip(outputs, dys):
                    if out is not None and out.dtype.is_floating:
                        ys.append(out)
                        grad_ys.append(placeholder(out.dtype, np.shape(dy)))
                        feed[grad_ys[-1]] = dy
                grads = gradients(ys, inputs, grad_ys=grad_ys) if ys else [None] * len(inputs)
            live = [g for g in grads if g is not None]
            got = iter(session.run(live, feed) if live else [])
        finally:
            session.close()
        return [np.zeros((), dtype=t.dtype.as_numpy_dtype) if g is None else np.asarray(next(got))
                for g, t in zip(grads, inputs)]


def py_function(func, inp, Tout, name=None):
    """Wraps a Python function into a graph op that runs it eagerly (TF's `tf.py_function`).

    Args:
        func: a Python function taking one Tensor per `inp` entry, each with its value
            (`x.numpy()`), and returning one value or Tensor per `Tout` entry (None when
            `Tout` is empty). flowexec ops applied to its inputs run immediately.
        inp: a list of Tensors (or values).
        Tout: a DType, or a list of DTypes ([] for none).
        name: the op's name (default "EagerPyFunc").

    Returns:
        A Tensor when `Tout` is one DType, else a list of Tensors (shapes unknown), or the
        Operation when `Tout` is empty.

    Raises:
        At run time: the function's exception as TF maps it (ValueError/TypeError:
        InvalidArgumentError, ...; a result of another dtype than `Tout` is
        InvalidArgumentError), naming the op.

    Example:
        >>> x = tf.placeholder(tf.float32, [3])
        >>> y = tf.py_function(lambda a: a * a + np.sum(a.numpy()), [x], tf.float32)
        >>> g = tf.gradients(y, x)   # 2 * x: the TF ops are differentiated, numpy is not
    """
    single = not isinstance(Tout, (list, tuple))
    tout = [dtypes.as_dtype(Tout)] if single else [dtypes.as_dtype(t) for t in Tout]
    wrapper = _EagerFunc(func, tout, script_ops.next_token())
    out = script_ops.eager_py_func(wrapper, list(inp), tout, name=name)
    if not tout or single:
        return out
    return [out] if len(tout) == 1 else list(out)
