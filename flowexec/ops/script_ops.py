"""script_ops: `py_func`, a graph op that calls a Python function on numpy values.

PyFunc (stateful, TF's default) and PyFuncStateless share one kernel: it copies GPU arrays to
the host (`.get()`), calls the function and hands the results back in the device's array
module. Results are converted as TF does, without casting: each becomes `np.asarray(value)`
(str and bytes become string tensors), and one whose dtype is not its `Tout` entry is
InvalidArgumentError "0-th value returned by pyfunc_3 is double, but expects float" (so a
Python float for a float32 output is an error, as in TF; return `np.float32(x)`). The
function returns one value per `Tout` entry: a list or tuple of them, a single value when
there is one, None when there are none. Each op has TF's `token` attribute, "pyfunc_<n>",
numbered in creation order in this process; messages name it. Exceptions raised by the
function become the error TF maps them to (ValueError/TypeError: InvalidArgumentError,
StopIteration/IndexError: OutOfRangeError, NotImplementedError: UnimplementedError,
MemoryError: ResourceExhaustedError, anything else: UnknownError); the executor adds the
op's name and the line that created it. Neither op is differentiable. The function runs on
the calling thread and holds the GIL, like any Python code.
"""

import itertools
import traceback

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape

_TOKENS = itertools.count()  # TF numbers its py_funcs per process: "pyfunc_0", ...
_ERRORS = (
    ((ValueError, TypeError), errors.InvalidArgumentError),
    ((StopIteration, IndexError), errors.OutOfRangeError),
    ((NotImplementedError,), errors.UnimplementedError),
    ((MemoryError,), errors.ResourceExhaustedError),
)


def _py_func_infer(op):
    return [(dt, TensorShape(None)) for dt in op.attrs["Tout"]]


def _to_host(x):
    return x.get() if hasattr(x, "get") else x


# numpy types that no TF dtype holds, by the name TF's messages give them.
_UNSUPPORTED_NUMPY = {"M": "NPY_DATETIME", "m": "NPY_TIMEDELTA", "g": "NPY_LONGDOUBLE",
                      "G": "NPY_CLONGDOUBLE"}


def _to_bytes(item):
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode("utf-8")
    raise errors.InternalError(None, None, f"Unsupported object type {type(item).__name__}")


def _as_result(value):
    """One returned value as TF converts it: (array, DType), never cast to `Tout`."""
    if isinstance(value, (bytes, str)):  # np.asarray would drop trailing NUL bytes
        value = np.array(value, dtype=object)
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype.kind in "SUO":  # strings: an object array of bytes, as string tensors are
        flat = [_to_bytes(x.item() if isinstance(x, np.generic) else x)
                for x in arr.reshape(-1)]
        out = np.empty(arr.shape, dtype=object)
        out.reshape(-1)[:] = flat
        return out, dtypes.string
    if arr.dtype.char in _UNSUPPORTED_NUMPY:
        raise errors.InternalError(
            None, None, f"Unsupported numpy type: {_UNSUPPORTED_NUMPY[arr.dtype.char]}")
    try:
        return arr, dtypes.as_dtype(arr.dtype)
    except TypeError:
        raise errors.InternalError(None, None, "Unexpected numpy data type") from None


def _call(xp, inputs, func, Tout, token):
    try:
        out = func(*[_to_host(x) for x in inputs])
    except Exception as e:  # every failure is reported as TF's error
        cls = next((c for types, c in _ERRORS if isinstance(e, types)), errors.UnknownError)
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        raise cls(None, None, f"{type(e).__name__}: {e}\n{tb}") from e
    if out is None:
        values = []
    elif isinstance(out, (list, tuple)):
        values = list(out)
    else:
        values = [out]
    results = [_as_result(v) for v in values]
    if len(results) != len(Tout):
        raise errors.InvalidArgumentError(
            None, None, f"{token} returns {len(results)} values, but expects to see "
                        f"{len(Tout)} values.")
    for i, ((_, got), want) in enumerate(zip(results, Tout)):
        if got is not want:
            raise errors.InvalidArgumentError(
                None, None, f"{i}-th value returned by {token} is {got.proto_name}, but "
                            f"expects {want.proto_name}")
    arrays = [a if dt is dtypes.string or xp is np else xp.asarray(a) for a, dt in results]
    if not arrays:
        return ()
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


# The callable lives only in this process (TF's registry keyed by `token`); importing a
# PyFunc node would run whatever a file names, so import refuses it.
_PY_FUNC_FORM = NodeDefForm(local_attrs=("func",), importable=False, reason=(
    "it calls a Python function registered in the process that wrote the graph; importing a "
    "graph runs no code"))


@defop("PyFunc", infer=_py_func_infer, stateful=True, device_types=("CPU",),
       node_def=_PY_FUNC_FORM)
def _py_func(xp, *input, func, Tout, token):
    return _call(xp, input, func, Tout, token)


@defop("PyFuncStateless", infer=_py_func_infer, device_types=("CPU",), node_def=_PY_FUNC_FORM)
def _py_func_stateless(xp, *input, func, Tout, token):
    return _call(xp, input, func, Tout, token)


_py_func.not_differentiable()
_py_func_stateless.not_differentiable()


@defop("EagerPyFunc", infer=_py_func_infer, stateful=True, device_types=("CPU",),
       node_def=_PY_FUNC_FORM)
def _eager_py_func(xp, *input, func, Tin, Tout, token, is_async=False):
    """`func` (flowexec.py_function's wrapper) gets host arrays and returns one array per
    `Tout` entry, already converted and checked."""
    try:
        arrays = func(*[_to_host(x) for x in input])
    except errors.OpError:
        raise
    except Exception as e:  # every failure is reported as TF's error
        cls = next((c for types, c in _ERRORS if isinstance(e, types)), errors.UnknownError)
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        raise cls(None, None, f"{type(e).__name__}: {e}\n{tb}") from e
    arrays = [a if a.dtype == object or xp is np else xp.asarray(a) for a in arrays]
    if not arrays:
        return ()
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


@_eager_py_func.gradient
def _eager_py_func_grad(op, *dys):
    """TF's _EagerPyFuncGrad: another EagerPyFunc, run after the forward one, differentiates
    what the function computed (the forward call keeps its ops for it, under `token`)."""
    from flowexec.ops import array_ops

    grad_func = op.attrs["func"].gradient_function()
    dys = [array_ops.zeros_like(out) if dy is None else dy for out, dy in zip(op.outputs, dys)]
    tout = [t.dtype.base_dtype for t in op.inputs]
    with op.graph.control_dependencies(list(op.outputs)):
        grads = apply_op("EagerPyFunc", *dys, name="EagerPyFunc",
                         func=grad_func, Tin=[d.dtype.base_dtype for d in dys], Tout=tout,
                         token=grad_func.token, is_async=False)
    grads = [grads] if isinstance(grads, Tensor) else list(grads) if tout else []
    return grads


def eager_py_func(func, inp, Tout, name=None):
    """The EagerPyFunc op of `flowexec.py_function`: `func` is its host-side wrapper (it has a
    `token` and a `gradient_function()`), `Tout` a list of DTypes."""
    with name_scope(name, "EagerPyFunc", [t for t in inp if isinstance(t, Tensor)]) as scope:
        tensors = [convert_to_tensor(x, name="input") for x in inp]
        return apply_op("EagerPyFunc", *tensors, name=scope, func=func,
                        Tin=[t.dtype.base_dtype for t in tensors], Tout=list(Tout),
                        token=func.token, is_async=False)


def next_token():
    """The next "pyfunc_<n>" token (py_func and py_function number them together, as TF)."""
    return f"pyfunc_{next(_TOKENS)}"


def py_func(func, inp, Tout, stateful=True, name=None):
    """Wraps a Python function as a graph op: `func(*numpy inputs)` runs when the op runs.

    Args:
        func: a Python function taking numpy arrays (one per `inp`) and returning one array
            (or value) per `Tout` entry, of exactly that dtype (no cast is made), or None
            when `Tout` is empty.
        inp: a list of Tensors (or values).
        Tout: a DType or a list of DTypes: the outputs' types.
        stateful: False for a pure function (op type PyFuncStateless).
        name: op name (default "PyFunc").

    Returns:
        A Tensor when `Tout` is one DType, else a list of Tensors (shape unknown), or the
        Operation when `Tout` is an empty list.

    Raises:
        At run time, the function's exception as TF maps it (e.g. ValueError ->
        InvalidArgumentError, other exceptions -> UnknownError), naming the op;
        InvalidArgumentError when it returns another number of values than `Tout` has or
        a value of another dtype; InternalError for a value no TF dtype holds.

    Example:
        >>> y = py_func(lambda a: np.sort(a), [constant([3.0, 1.0])], float32)  # [1.0, 3.0]
    """
    single = not isinstance(Tout, (list, tuple))
    tout = [dtypes.as_dtype(Tout)] if single else [dtypes.as_dtype(t) for t in Tout]
    inp = list(inp)
    op_type = "PyFunc" if stateful else "PyFuncStateless"
    with name_scope(name, op_type, [t for t in inp if isinstance(t, Tensor)]) as scope:
        tensors = [convert_to_tensor(x, name="input") for x in inp]
        out = apply_op(op_type, *tensors, name=scope, func=func, Tout=tout,
                       token=f"pyfunc_{next(_TOKENS)}")
    if not tout:
        return out
    if single:
        return out
    return [out] if len(tout) == 1 else list(out)


__all__ = ["numpy_function", "py_func"]


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """`py_func` under its TF 2 name: `func` receives numpy arrays and returns numpy values.

    Example:
        >>> y = numpy_function(lambda a: a * 2, [constant([1.0])], float32)  # [2.0]
    """
    return py_func(func, inp, Tout, stateful=stateful, name=name)
