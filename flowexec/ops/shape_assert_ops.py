"""`tf.debugging.assert_shapes`: checks that tensors' shapes agree with symbolic specs.

A spec lists one entry per dimension: an int (that exact size), a symbol (a string: every
dimension with the same symbol must have the same size, across tensors), or "." / "*" (any
size); a leading "..." allows any number of leading dimensions. Whatever the static shapes
decide is checked when the graph is built (ValueError); the rest becomes run-time assertions
(InvalidArgumentError when the op runs).
"""

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, check_ops, constant_op

__all__ = ["assert_shapes"]


def _specs(shapes):
    items = shapes.items() if isinstance(shapes, dict) else shapes
    out = []
    for x, spec in items:
        spec = list(spec)
        prefix = bool(spec) and spec[0] == "..."
        if prefix:
            spec = spec[1:]
        out.append((convert_to_tensor(x), spec, prefix))
    return out


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Asserts that tensors have the shapes of symbolic specs (see the module docstring).

    Args:
        shapes: a dict {tensor: spec} or a list of (tensor, spec) pairs.
        data, summarize: accepted as TF's (the messages name the tensors and sizes).
        message: a prefix for the error messages.
        name: name scope.

    Returns:
        An op that runs the run-time checks (a NoOp when the static shapes decided all).

    Raises:
        ValueError: the static shapes already contradict the specs.

    Example:
        >>> tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "D")), (b, ("D",))])
    """
    del data, summarize
    prefix_msg = f"{message}  " if message else ""
    with name_scope(name, "assert_shapes"):
        specs = _specs(shapes)
        sizes = {}  # symbol -> (static size or None, dynamic size tensor, tensor name)
        checks = []
        for x, spec, any_prefix in specs:
            rank = x.shape.ndims
            want = len(spec)
            if rank is not None:
                if (rank < want) if any_prefix else (rank != want):
                    raise ValueError(f"{prefix_msg}Specified by tensor {x.name} dimension "
                                     f"{'at least ' if any_prefix else ''}{want}. Tensor "
                                     f"{x.name} dimension {rank} must have rank "
                                     f"{'at least ' if any_prefix else ''}{want}. Received "
                                     f"shape: {x.shape}")
            elif any_prefix:
                checks.append(check_ops.assert_rank_at_least(x, want, message=message))
            else:
                checks.append(check_ops.assert_rank(x, want, message=message))
            dyn = array_ops.shape(x)
            static = x.shape.as_list() if rank is not None else None
            for i, sym in enumerate(spec):
                pos = i - want  # from the end, so a "..." prefix does not shift it
                s = static[pos] if static is not None else None
                d = dyn[pos]
                if sym in (".", "*"):
                    continue
                if isinstance(sym, int):
                    if s is not None:
                        if s != sym:
                            raise ValueError(f"{prefix_msg}Specified explicitly. Tensor "
                                             f"{x.name} dimension {pos} must have size {sym}. "
                                             f"Received size {s} at index {pos}.")
                    else:
                        checks.append(check_ops.assert_equal(
                            d, sym, message=f"{prefix_msg}Tensor {x.name} dimension {pos} "
                                            f"must have size {sym}"))
                    continue
                if sym not in sizes:
                    sizes[sym] = (s, d, x.name)
                    continue
                s0, d0, first = sizes[sym]
                if s is not None and s0 is not None:
                    if s != s0:
                        raise ValueError(f"{prefix_msg}Specified by tensor {first} dimension "
                                         f"for '{sym}'. Tensor {x.name} dimension {pos} must "
                                         f"have size {s0}. Received size {s} at index {pos}.")
                else:
                    checks.append(check_ops.assert_equal(
                        d, d0, message=f"{prefix_msg}Tensor {x.name} dimension {pos} must "
                                       f"match the size of '{sym}' in {first}"))
                    if s is not None:
                        sizes[sym] = (s, d, x.name)
        if not checks:
            return constant_op.no_op(name="assert_shapes")
        return constant_op.group(*[c for c in checks if c is not None])

