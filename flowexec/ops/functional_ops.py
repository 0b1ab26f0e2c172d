"""`tf.map_fn`, `tf.scan`, `tf.foldl`, `tf.foldr`: a `tf.while_loop` over TensorArrays.

Each unstacks its (nested) `elems` into TensorArrays, runs one While whose body reads
element i, calls `fn` once (traced once, like any loop body) and writes the result into
output TensorArrays that are stacked after the loop, as TF 1.x builds them. Gradients flow
through the While (its gradient) and the list ops (list_ops.py).
"""

from flowexec.framework import dtypes, nest
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops
from flowexec.ops.tensor_array_ops import TensorArray
from flowexec.ops.while_loop import while_loop


def _check_fn(fn):
    if not callable(fn):
        raise TypeError("fn must be callable.")


def _flat_elems(elems):
    flat = [e if isinstance(e, Tensor) else convert_to_tensor(e, name="elem")
            for e in nest.flatten(elems)]
    if not flat:
        raise ValueError("elems must be a Tensor or a (possibly nested) sequence of Tensors, "
                         "got an empty structure")
    for e in flat:
        if e.shape.ndims == 0:
            raise ValueError(f"Elements in elems must be 1+ dimensional Tensors, not scalars; "
                             f"got {e.name} of shape ()")
    return flat


def _length(flat):
    n = flat[0].shape[0]
    if n is not None:
        return convert_to_tensor(int(n), dtype=dtypes.int32, name="n"), int(n)
    return array_ops.shape(flat[0], out_type=dtypes.int32)[0], None


def _unstacked(flat):
    return [TensorArray(dtype=e.dtype, size=_length(flat)[0], dynamic_size=False,
                        infer_shape=True).unstack(e) for e in flat]


def _stacked(arrays, n_static):
    results = [ta.stack() for ta in arrays]
    for r in results:
        if r.shape.ndims is not None:
            r.set_shape(TensorShape([n_static]).concatenate(r.shape[1:]))
    return results


def _as_value(v, dtype=None):
    return v if isinstance(v, Tensor) else convert_to_tensor(v, dtype=dtype)


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None):
    """Applies `fn` to each element of `elems` (unpacked along dimension 0) and stacks.

    Args:
        fn: a callable taking one element (the structure of `elems`, each tensor without its
            first dimension) and returning a structure like `dtype` (or like `elems`).
        elems: a tensor or a (nested) structure of tensors, all with the same first
            dimension.
        dtype: the dtypes of `fn`'s results (a structure) when they differ from `elems`'.
        parallel_iterations, swap_memory: accepted (iterations run in order).
        back_prop: whether gradients may flow (the While's setting).
        infer_shape: the results' element shapes must agree (TensorArray's infer_shape).
        name: name scope (default "map").

    Returns:
        `fn`'s results stacked along a new first dimension, in `dtype`'s structure.

    Raises:
        TypeError: `fn` is not callable; a result of another dtype than `dtype`.
        ValueError: scalar elems; a result with another structure than `dtype`.

    Example:
        >>> tf.map_fn(lambda x: x * x, tf.constant([1., 2., 3.]))  # [1., 4., 9.]
    """
    _check_fn(fn)
    if parallel_iterations is None:
        parallel_iterations = 10
    with name_scope(name, "map", [e for e in nest.flatten(elems) if isinstance(e, Tensor)]):
        flat = _flat_elems(elems)
        n, n_static = _length(flat)
        out_dtypes = [d for d in nest.flatten(dtype)] if dtype is not None else \
            [e.dtype for e in flat]
        out_structure = dtype if dtype is not None else elems
        elems_ta = _unstacked(flat)
        accs = [TensorArray(dtype=d, size=n, dynamic_size=False, infer_shape=infer_shape)
                for d in out_dtypes]

        def compute(i, tas):
            packed = nest.pack_sequence_as(elems, [ta.read(i) for ta in elems_ta])
            result = fn(packed)
            nest.assert_same_structure(out_structure, result)
            values = [_as_value(v, d) for v, d in zip(nest.flatten(result), out_dtypes)]
            return i + 1, [ta.write(i, v) for ta, v in zip(tas, values)]

        _, out = while_loop(lambda i, _: i < n, compute,
                            (convert_to_tensor(0, dtype=dtypes.int32, name="i"), accs),
                            parallel_iterations=parallel_iterations, back_prop=back_prop,
                            swap_memory=swap_memory, maximum_iterations=n)
        return nest.pack_sequence_as(out_structure, _stacked(out, n_static))


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """The running results of `a = fn(a, x)` over the elements `x` of `elems`, stacked.

    Args:
        fn: a callable `(accumulator, element) -> accumulator`, structures like
            `initializer` (or `elems` without one) and `elems`.
        elems: a tensor or a (nested) structure of tensors with one first dimension.
        initializer: the first accumulator; without one, the first element is, and `fn`
            runs from the second element on.
        parallel_iterations, swap_memory: accepted (iterations run in order).
        back_prop: whether gradients may flow.
        infer_shape: the accumulators' shapes must agree.
        reverse: scan from the last element to the first (results stay in elems' order).
        name: name scope (default "scan").

    Returns:
        The accumulators after each element, stacked along a new first dimension.

    Example:
        >>> tf.scan(lambda a, x: a + x, tf.constant([1, 2, 3]))  # [1, 3, 6]
    """
    _check_fn(fn)
    with name_scope(name, "scan", [e for e in nest.flatten(elems) if isinstance(e, Tensor)]):
        flat = _flat_elems(elems)
        n, n_static = _length(flat)
        elems_ta = _unstacked(flat)
        if initializer is None:
            start = n - 1 if reverse else convert_to_tensor(0, dtype=dtypes.int32)
            a_flat = [ta.read(start) for ta in elems_ta]
            structure = elems
            i = n - 2 if reverse else convert_to_tensor(1, dtype=dtypes.int32, name="i")
        else:
            a_flat = [_as_value(v) for v in nest.flatten(initializer)]
            structure = initializer
            i = n - 1 if reverse else convert_to_tensor(0, dtype=dtypes.int32, name="i")
        accs = [TensorArray(dtype=a.dtype, size=n, dynamic_size=False,
                            element_shape=a.shape, infer_shape=infer_shape) for a in a_flat]
        if initializer is None:
            accs = [ta.write(start, a) for ta, a in zip(accs, a_flat)]

        def compute(i, a_flat, tas):
            packed_elems = nest.pack_sequence_as(elems, [ta.read(i) for ta in elems_ta])
            packed_a = nest.pack_sequence_as(structure, list(a_flat))
            a_out = fn(packed_a, packed_elems)
            nest.assert_same_structure(structure, a_out)
            values = [_as_value(v, a.dtype) for v, a in zip(nest.flatten(a_out), a_flat)]
            tas = [ta.write(i, v) for ta, v in zip(tas, values)]
            return (i - 1 if reverse else i + 1), values, tas

        def cond(i, a, tas):
            return i >= 0 if reverse else i < n

        _, _, out = while_loop(cond, compute, (i, a_flat, accs),
                               parallel_iterations=parallel_iterations, back_prop=back_prop,
                               swap_memory=swap_memory, maximum_iterations=n)
        return nest.pack_sequence_as(structure, _stacked(out, n_static))


def _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name, scope,
          reverse):
    _check_fn(fn)
    with name_scope(name, scope, [e for e in nest.flatten(elems) if isinstance(e, Tensor)]):
        flat = _flat_elems(elems)
        n, _ = _length(flat)
        elems_ta = _unstacked(flat)
        if initializer is None:
            first = n - 1 if reverse else convert_to_tensor(0, dtype=dtypes.int32)
            a = nest.pack_sequence_as(elems, [ta.read(first) for ta in elems_ta])
            i = n - 2 if reverse else convert_to_tensor(1, dtype=dtypes.int32, name="i")
        else:
            a = nest.map_structure(_as_value, initializer)
            i = n - 1 if reverse else convert_to_tensor(0, dtype=dtypes.int32, name="i")

        def compute(i, a):
            packed = nest.pack_sequence_as(elems, [ta.read(i) for ta in elems_ta])
            return (i - 1 if reverse else i + 1), fn(a, packed)

        _, result = while_loop(lambda i, a: i >= 0 if reverse else i < n, compute, (i, a),
                               parallel_iterations=parallel_iterations, back_prop=back_prop,
                               swap_memory=swap_memory, maximum_iterations=n)
        return result


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`fn(...fn(fn(initializer, x0), x1)..., xn-1)` over the elements of `elems`.

    Without `initializer` the first element starts the fold. Arguments as `scan`'s.

    Example:
        >>> tf.foldl(lambda a, x: a + x, tf.constant([1, 2, 3]))  # 6
    """
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 "foldl", False)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`fn(...fn(fn(initializer, xn-1), xn-2)..., x0)`: a fold from the last element.

    Without `initializer` the last element starts the fold. Arguments as `scan`'s.

    Example:
        >>> tf.foldr(lambda a, x: a * 10 + x, tf.constant([1, 2, 3]))  # 321
    """
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name,
                 "foldr", True)


__all__ = ["map_fn", "scan", "foldl", "foldr"]
