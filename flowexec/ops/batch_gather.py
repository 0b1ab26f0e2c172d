"""`tf.batch_gather` (deprecated in TF 1.x): `gather` within each batch, the leading
`rank(indices) - 1` dimensions of `params` and `indices` being batch dimensions.

Built as TF builds it (`array_ops._batch_gather`): the batch positions are folded into the
indices (`indices + b * params.shape[1]` ...), params flattened over its batch dimensions and
one GatherV2 taken, so its gradient is Gather's and, as in TF, an index past
`params.shape[batch_dims]` is not an error as long as the flattened index is in range (it
reads the next batch's rows).

Example:
    >>> batch_gather([[1, 2, 3], [4, 5, 6]], [[2, 0], [1, 1]])  # [[3, 1], [5, 5]]
"""

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops.array_ops import concat, gather, ones, reshape, shape, stack, zeros
from flowexec.ops.array_ops import range as range_
from flowexec.ops.math_ops import cast, reduce_prod


def batch_gather(params, indices, name=None):
    """Gathers `params[b..., indices[b..., j]]` for each batch position `b...`.

    Args:
        params: a Tensor of rank >= rank(indices).
        indices: an int32/int64 Tensor of known rank; its last dimension indexes
            `params.shape[rank(indices) - 1]`.
        name: name scope (default "BatchGather").

    Returns:
        A Tensor of `params`' dtype, shape `indices.shape + params.shape[rank(indices):]`.

    Raises:
        ValueError: `indices` has an unknown shape ("batch_gather does not allow indices with
            unknown shape."), `params` has no more dimensions than the batch ones, or the
            batch dimensions of the two do not match.
    """
    with name_scope(name, "BatchGather", [params, indices]):
        indices = convert_to_tensor(indices, name="indices")
        params = convert_to_tensor(params, name="params")
        if indices.shape.ndims is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        return _batch_gather(params, indices, indices.shape.ndims - 1)


def _batch_gather(params, indices, batch_dims):
    indices_ndims = indices.shape.ndims
    if batch_dims < 0 or batch_dims >= indices_ndims:
        raise ValueError(f"Argument `batch_dims` = {batch_dims} must be less than "
                         f"rank(`indices`) = {indices_ndims}")
    if params.shape.ndims is not None and batch_dims >= params.shape.ndims:
        raise ValueError(f"Argument `batch_dims` = {batch_dims} must be less than "
                         f"rank(`params`) = {params.shape.ndims}")
    indices_shape = shape(indices)
    params_shape = shape(params)
    batch_indices = indices
    indices_dtype = indices.dtype.base_dtype
    accum_dim_value = ones((), dtype=indices_dtype)
    casted_params_shape = cast(params_shape, indices_dtype)
    for dim in range(batch_dims, 0, -1):
        dim_value = casted_params_shape[dim - 1]
        accum_dim_value *= casted_params_shape[dim]
        dim_indices = range_(zeros((), dtype=indices_dtype), dim_value,
                             ones((), dtype=indices_dtype))
        dim_indices *= accum_dim_value
        dim_shape = stack([1] * (dim - 1) + [dim_value] + [1] * (indices_ndims - dim), axis=0)
        batch_indices += reshape(dim_indices, dim_shape)
    flat_indices = reshape(batch_indices, [-1])
    outer_shape = params_shape[batch_dims + 1:]
    flat_inner_shape = reduce_prod(params_shape[:batch_dims + 1], [0], False)
    flat_params = reshape(params, concat([[flat_inner_shape], outer_shape], axis=0))
    flat_result = gather(flat_params, flat_indices)
    result = reshape(flat_result, concat([indices_shape, outer_shape], axis=0))
    final_shape = indices.shape[:batch_dims].merge_with(params.shape[:batch_dims])
    final_shape = final_shape.concatenate(indices.shape[batch_dims:])
    final_shape = final_shape.concatenate(params.shape[batch_dims + 1:])
    result.set_shape(final_shape)
    return result


__all__ = ["batch_gather"]
