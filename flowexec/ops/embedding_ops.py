"""embedding_ops: `embedding_lookup` over one table or a list of partitioned tables, and TF
1.x's `embedding_lookup_sparse` / `safe_embedding_lookup_sparse` over SparseTensor ids.

A composite over GatherV2. With several partitions, TF1 splits the ids with DynamicPartition,
gathers from each table and stitches the rows back; flowexec computes the same rows by
mapping each id to its row in the tables concatenated along axis 0 (TF's 'mod' or 'div'
assignment, then the partition's offset) and gathering once. An id outside its partition is
mapped to row -1, so the gather reports it as TF's per-partition gather would.

`embedding_lookup_sparse(params, sp_ids, sp_weights, combiner)` combines the rows of each
row of `sp_ids` (a [batch, k] SparseTensor in row-major order) by 'sum', 'mean' or 'sqrtn',
weighted by `sp_weights` when given, built as TF 1.x builds it: Unique ids, one lookup, then
SparseSegmentSum/Mean/SqrtN (no weights) or SegmentSum of the weighted rows (divided with
div_no_nan, as TF's later 1.x releases, so an empty row in the middle is 0, not NaN).
`safe_embedding_lookup_sparse` first drops negative ids (and non-positive weights unless
'sum'), fills empty rows, and gives them zeros (or the `default_id` row), for ids of any
rank >= 2.
"""

import numbers

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import colocate_with, name_scope
from flowexec.framework.tensor import Tensor
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor_shape import TensorShape, dimension_value
from flowexec.ops import array_ops, clip_ops, division_ops, math_ops, search_ops, segment_ops
from flowexec.ops import sparse_segment_ops, sparse_structure_ops
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


def embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy="mod", name=None,
                            combiner=None, max_norm=None):
    """Per row of `sp_ids`, the combination of the embeddings of its ids.

    Args:
        params: an embedding table, a list of partitioned tables, or a PartitionedVariable.
        sp_ids: an int SparseTensor [batch, k] of ids, in row-major order.
        sp_weights: None (every weight 1) or a float SparseTensor with `sp_ids`' indices.
        partition_strategy: 'mod' or 'div', as `embedding_lookup`.
        name: a name scope.
        combiner: 'sum', 'mean' (the default) or 'sqrtn' (sum / sqrt(sum of weights^2)).
        max_norm: clip each looked-up row to this L2 norm.

    Returns:
        A dense Tensor [batch rows up to the last non-empty one, embedding dims...].

    Raises:
        ValueError: an unknown combiner, or weights whose static shapes do not fit.
        TypeError: `sp_ids` (or `sp_weights`) not a SparseTensor.

    Example:
        >>> ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1, 3, 0], [2, 2])
        >>> tf.nn.embedding_lookup_sparse(table, ids, None, combiner="sum")
        >>> # [table[1] + table[3], table[0]]
    """
    if combiner is None:
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    if hasattr(params, "_get_variable_list"):
        params = list(params)
    if not isinstance(params, list):
        params = [params]
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError(f"sp_ids must be SparseTensor, got {type(sp_ids)}")
    ignore_weights = sp_weights is None
    if not ignore_weights:
        if not isinstance(sp_weights, SparseTensor):
            raise TypeError(f"sp_weights must be either None or SparseTensor,got "
                            f"{type(sp_weights)}")
        sp_ids.values.shape.assert_is_compatible_with(sp_weights.values.shape)
        sp_ids.indices.shape.assert_is_compatible_with(sp_weights.indices.shape)
        sp_ids.dense_shape.shape.assert_is_compatible_with(sp_weights.dense_shape.shape)
    values = [p for p in params if isinstance(p, Tensor)] + [sp_ids.values]
    with name_scope(name, "embedding_lookup_sparse", values) as name:
        segment_ids = sp_ids.indices[:, 0]
        if segment_ids.dtype != dtypes.int32:
            segment_ids = math_ops.cast(segment_ids, dtypes.int32)
        ids, idx = search_ops.unique(sp_ids.values)
        embeddings = embedding_lookup(params, ids, partition_strategy=partition_strategy,
                                      max_norm=max_norm)
        if embeddings.dtype in (dtypes.float16, dtypes.bfloat16):
            embeddings = math_ops.cast(embeddings, dtypes.float32)
        if ignore_weights:
            reduce = {"sum": sparse_segment_ops.sparse_segment_sum,
                      "mean": sparse_segment_ops.sparse_segment_mean,
                      "sqrtn": sparse_segment_ops.sparse_segment_sqrt_n}[combiner]
            return reduce(embeddings, idx, segment_ids, name=name)
        weights = sp_weights.values
        if weights.dtype != embeddings.dtype:
            weights = math_ops.cast(weights, embeddings.dtype)
        embeddings = array_ops.gather(embeddings, idx)
        ones = array_ops.fill(array_ops.expand_dims(array_ops.rank(embeddings) - 1, 0), 1)
        bcast_weights_shape = array_ops.concat([array_ops.shape(weights), ones], 0)
        orig_weights_shape = weights.shape
        weights = array_ops.reshape(weights, bcast_weights_shape)
        if embeddings.shape.ndims is not None:
            weights.set_shape(orig_weights_shape.concatenate(
                [1] * (embeddings.shape.ndims - 1)))
        embeddings = embeddings * weights
        if combiner == "sum":
            return segment_ops.segment_sum(embeddings, segment_ids, name=name)
        embeddings = segment_ops.segment_sum(embeddings, segment_ids)
        if combiner == "mean":
            weight_sum = segment_ops.segment_sum(weights, segment_ids)
            return division_ops.div_no_nan(embeddings, weight_sum, name=name)
        weight_sum = segment_ops.segment_sum(math_ops.pow(weights, 2), segment_ids)
        return division_ops.div_no_nan(embeddings, math_ops.sqrt(weight_sum), name=name)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, name=None,
                                 partition_strategy="div", max_norm=None):
    """`embedding_lookup_sparse` that tolerates invalid ids and empty rows, for ids of any
    rank >= 2 ([d0, ..., dn, k]; the result is [d0, ..., dn, embedding dims...]).

    Negative ids are dropped (and entries with weight <= 0 unless `combiner` is 'sum');
    a row left with no ids gives zeros, or the embedding of `default_id` when given.

    Raises:
        ValueError: no embedding_weights.

    Example:
        >>> ids = tf.SparseTensor([[0, 0], [2, 0]], [1, -1], [3, 1])
        >>> tf.nn.safe_embedding_lookup_sparse(table, ids)  # [table[1], 0, 0]
    """
    if embedding_weights is None:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    if hasattr(embedding_weights, "_get_variable_list"):
        embedding_weights = list(embedding_weights)
    if not isinstance(embedding_weights, list):
        embedding_weights = [embedding_weights]
    if len(embedding_weights) < 1:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    dtype = sparse_weights.dtype if sparse_weights is not None else None
    embedding_weights = [convert_to_tensor(w, dtype=dtype) for w in embedding_weights]
    with name_scope(name, "embedding_lookup", embedding_weights) as scope:
        original_shape = sparse_ids.dense_shape
        original_rank_dim = dimension_value(sparse_ids.dense_shape.shape[0])
        original_rank = (array_ops.size(original_shape) if original_rank_dim is None
                         else original_rank_dim)
        sparse_ids = sparse_structure_ops.sparse_reshape(sparse_ids, array_ops.stack([
            math_ops.reduce_prod(array_ops.slice(original_shape, [0], [original_rank - 1])),
            array_ops.gather(original_shape, original_rank - 1)]))
        if sparse_weights is not None:
            sparse_weights = SparseTensor(sparse_ids.indices, sparse_weights.values,
                                          sparse_ids.dense_shape)
        sparse_ids, sparse_weights = _prune_invalid_ids(sparse_ids, sparse_weights)
        if combiner != "sum":
            sparse_ids, sparse_weights = _prune_invalid_weights(sparse_ids, sparse_weights)
        sparse_ids, is_row_empty = sparse_structure_ops.sparse_fill_empty_rows(
            sparse_ids, default_id or 0)
        if sparse_weights is not None:
            sparse_weights, _ = sparse_structure_ops.sparse_fill_empty_rows(sparse_weights,
                                                                            1.0)
        result = embedding_lookup_sparse(
            embedding_weights, sparse_ids, sparse_weights, combiner=combiner,
            partition_strategy=partition_strategy,
            name=None if default_id is None else scope, max_norm=max_norm)
        if default_id is None:
            is_row_empty = array_ops.tile(array_ops.reshape(is_row_empty, [-1, 1]),
                                          array_ops.stack([1, array_ops.shape(result)[1]]))
            result = math_ops.where(is_row_empty, array_ops.zeros_like(result), result,
                                    name=scope)
        final = array_ops.reshape(result, array_ops.concat([
            array_ops.slice(math_ops.cast(original_shape, dtypes.int32), [0],
                            array_ops.reshape(original_rank - 1, [1])),
            array_ops.slice(array_ops.shape(result), [1], [-1])], 0))
        lead = TensorShape(None if original_rank_dim is None else
                           [None] * (original_rank_dim - 1))
        final.set_shape(lead.concatenate(result.shape[1:]) if result.shape.ndims is not None
                        else TensorShape(None))
        return final


def _prune_invalid_ids(sparse_ids, sparse_weights):
    is_id_valid = math_ops.greater_equal(sparse_ids.values, 0)
    if sparse_weights is not None:
        is_id_valid = math_ops.logical_and(
            is_id_valid, array_ops.ones_like(sparse_weights.values, dtype=dtypes.bool))
    sparse_ids = sparse_structure_ops.sparse_retain(sparse_ids, is_id_valid)
    if sparse_weights is not None:
        sparse_weights = sparse_structure_ops.sparse_retain(sparse_weights, is_id_valid)
    return sparse_ids, sparse_weights


def _prune_invalid_weights(sparse_ids, sparse_weights):
    if sparse_weights is not None:
        is_weights_valid = math_ops.greater(sparse_weights.values, 0)
        sparse_ids = sparse_structure_ops.sparse_retain(sparse_ids, is_weights_valid)
        sparse_weights = sparse_structure_ops.sparse_retain(sparse_weights, is_weights_valid)
    return sparse_ids, sparse_weights


__all__ = ["embedding_lookup", "embedding_lookup_sparse", "safe_embedding_lookup_sparse"]
