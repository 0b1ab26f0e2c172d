"""embedding_ops: `embedding_lookup` over one table or a list of partitioned tables.

A composite over GatherV2. With several partitions, TF1 splits the ids with DynamicPartition,
gathers from each table and stitches the rows back; flowexec computes the same rows by
mapping each id to its row in the tables concatenated along axis 0 (TF's 'mod' or 'div'
assignment, then the partition's offset) and gathering once. An id outside its partition is
mapped to row -1, so the gather reports it as TF's per-partition gather would.
"""

import numbers

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import colocate_with, name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, clip_ops, math_ops
from flowexec.ops.constant_op import constant, identity


def _clip(result, ids, max_norm):
    if max_norm is None:
        return result
    ids_rank, rank = ids.shape.ndims, result.shape.ndims
    if ids_rank is None or rank is None:
        raise ValueError("embedding_lookup with max_norm needs ids and params of known rank")
    return clip_ops.clip_by_norm(result, max_norm, axes=list(range(ids_rank, rank)))


def _dim0_sizes(params, dtype):
    """The tables' first dimensions: a list of ints when all are known, else a Tensor."""
    static = [p.shape[0] if p.shape.ndims else None for p in params]
    if all(isinstance(d, numbers.Integral) for d in static):
        return [int(d) for d in static]
    parts = []
    for p, d in zip(params, static):
        if d is None:
            with colocate_with(p.op):
                parts.append(math_ops.cast(array_ops.shape(p)[0], dtype))
        else:
            parts.append(constant(d, dtype))
    return array_ops.stack(parts)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """Looks up the rows `ids` in the embedding table `params` (one Tensor or a list).

    With a list of `n` tables, id `i` lives in table `i % n` at row `i // n` ('mod'), or, for
    'div', in contiguous blocks: the first `total % n` tables hold `total // n + 1` ids each,
    the others `total // n`.

    Args:
        params: a Tensor, a Variable, a list of them (same trailing dimensions), or a
            PartitionedVariable (its shards).
        ids: an int32/int64 Tensor of any shape.
        partition_strategy: 'mod' or 'div' (only matters for a list of several tables).
        name: name scope (default "embedding_lookup").
        validate_indices: accepted for TF compatibility.
        max_norm: when given, each looked-up row is clipped to this L2 norm.

    Returns:
        A Tensor shaped `ids.shape + params.shape[1:]`.

    Raises:
        ValueError: no params, or an unknown partition strategy.

    Example:
        >>> table = constant([[0.0, 0.1], [1.0, 1.1], [2.0, 2.1]])
        >>> embedding_lookup(table, [2, 0])  # [[2.0, 2.1], [0.0, 0.1]]
    """
    del validate_indices
    if hasattr(params, "_get_variable_list"):  # a PartitionedVariable: its shards
        params = list(params)
    if params is None or (isinstance(params, (list, tuple)) and not params):
        raise ValueError("Need at least one param")
    if not isinstance(params, (list, tuple)):
        params = [params]
    params = list(params)
    values = [p for p in params + [ids] if isinstance(p, Tensor)]
    with name_scope(name, "embedding_lookup", values) as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            with colocate_with(params[0].op):
                result = _clip(array_ops.gather(params[0], ids, name=scope), ids, max_norm)
            return identity(result)
        if partition_strategy not in ("mod", "div"):
            raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
        np_ = len(params)
        sizes = _dim0_sizes(params, ids.dtype)
        if partition_strategy == "mod":
            p_assignments = ids % np_
            new_ids = ids // np_
        else:
            if isinstance(sizes, list):
                total = constant(sum(sizes), ids.dtype)
            else:
                total = math_ops.reduce_sum(sizes)
            ids_per_partition = total // np_
            extras = total % np_
            p_assignments = math_ops.maximum(ids // (ids_per_partition + 1),
                                             (ids - extras) // ids_per_partition)
            new_ids = math_ops.where(p_assignments < extras, ids % (ids_per_partition + 1),
                                     (ids - extras) % ids_per_partition)
        if isinstance(sizes, list):
            offsets = constant([sum(sizes[:i]) for i in range(np_)], ids.dtype)
            sizes = constant(sizes, ids.dtype)
        else:
            offsets = math_ops.cumsum(sizes, exclusive=True)
        p_assignments = math_ops.cast(p_assignments, dtypes.int32)
        p_safe = clip_ops.clip_by_value(p_assignments, 0, np_ - 1)
        inside = math_ops.logical_and(
            math_ops.equal(p_safe, p_assignments),
            math_ops.logical_and(new_ids >= 0, new_ids < array_ops.gather(sizes, p_safe)))
        rows = math_ops.where(inside, array_ops.gather(offsets, p_safe) + new_ids,
                              array_ops.fill(array_ops.shape(ids), constant(-1, ids.dtype)))
        table = array_ops.concat(params, 0)
        result = _clip(array_ops.gather(table, rows), ids, max_norm)
        return identity(result, name=scope)


__all__ = ["embedding_lookup"]
