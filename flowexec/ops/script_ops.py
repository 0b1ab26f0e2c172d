"""script_ops: `py_func`, a graph op that calls a Python function on numpy values.

PyFunc (stateful, TF's default) and PyFuncStateless share one kernel: it copies GPU arrays to
the host (`.get()`), calls the function, converts each result to its declared dtype and hands
it back in the device's array module. Exceptions raised by the function become the error TF
maps them to (ValueError/TypeError: InvalidArgumentError, StopIteration/IndexError:
OutOfRangeError, NotImplementedError: UnimplementedError, MemoryError:
ResourceExhaustedError, anything else: UnknownError); the executor adds the op's name and the
line that created it. Neither op is differentiable. The function runs on the calling thread
and holds the GIL, like any Python code.
"""

import traceback

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape

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


def _result(value, dtype):
    if dtype is dtypes.string:
        return np.asarray(value, dtype=object)
    try:
        return np.asarray(value, dtype=dtype.np)
    except (TypeError, ValueError) as e:
        raise errors.InvalidArgumentError(
            None, None, f"Could not convert a value returned by the Python function to "
                        f"{dtype.name}: {e}") from None


def _call(xp, inputs, func, Tout):
    try:
        out = func(*[_to_host(x) for x in inputs])
    except Exception as e:  # every failure is reported as TF's error
        cls = next((c for types, c in _ERRORS if isinstance(e, types)), errors.UnknownError)
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        raise cls(None, None, f"{type(e).__name__}: {e}\n{tb}") from e
    if not Tout:
        return ()
    if len(Tout) == 1 and not isinstance(out, (list, tuple)):
        out = [out]
    if not isinstance(out, (list, tuple)) or len(out) != len(Tout):
        n = len(out) if isinstance(out, (list, tuple)) else 1
        raise errors.InvalidArgumentError(
            None, None, f"The Python function returns {n} values, but expects to see "
                        f"{len(Tout)} values.")
    results = [_result(v, dt) for v, dt in zip(out, Tout)]
    if xp is not np:
        results = [r if dt is dtypes.string else xp.asarray(r) for r, dt in zip(results, Tout)]
    return results[0] if len(results) == 1 else tuple(results)


@defop("PyFunc", infer=_py_func_infer, stateful=True, device_types=("CPU",))
def _py_func(xp, *input, func, Tout):
    return _call(xp, input, func, Tout)


@defop("PyFuncStateless", infer=_py_func_infer, device_types=("CPU",))
def _py_func_stateless(xp, *input, func, Tout):
    return _call(xp, input, func, Tout)


_py_func.not_differentiable()
_py_func_stateless.not_differentiable()


def py_func(func, inp, Tout, stateful=True, name=None):
    """Wraps a Python function as a graph op: `func(*numpy inputs)` runs when the op runs.

    Args:
        func: a Python function taking numpy arrays (one per `inp`) and returning one array
            (or value) per `Tout` entry.
        inp: a list of Tensors (or values).
        Tout: a DType or a list of DTypes: the outputs' types.
        stateful: False for a pure function (op type PyFuncStateless).
        name: op name (default "PyFunc").

    Returns:
        A Tensor when `Tout` is one DType, else a list of Tensors (shape unknown), or the
        Operation when `Tout` is an empty list.

    Raises:
        At run time, the function's exception as TF maps it (e.g. ValueError ->
        InvalidArgumentError, other exceptions -> UnknownError), naming the op.

    Example:
        >>> y = py_func(lambda a: np.sort(a), [constant([3.0, 1.0])], float32)  # [1.0, 3.0]
    """
    single = not isinstance(Tout, (list, tuple))
    tout = [dtypes.as_dtype(Tout)] if single else [dtypes.as_dtype(t) for t in Tout]
    inp = list(inp)
    op_type = "PyFunc" if stateful else "PyFuncStateless"
    with name_scope(name, op_type, [t for t in inp if isinstance(t, Tensor)]) as scope:
        tensors = [convert_to_tensor(x, name="input") for x in inp]
        out = apply_op(op_type, *tensors, name=scope, func=func, Tout=tout)
    if not tout:
        return out
    if single:
        return out
    return [out] if len(tout) == 1 else list(out)


__all__ = ["py_func"]
