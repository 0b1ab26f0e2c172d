"""N-D pooling as TF builds it: `tf.nn.pool` (MAX/AVG over 1-3 spatial dimensions with
strides or a dilation rate), `tf.nn.with_space_to_batch` (an op on a dilated input computed
as space_to_batch_nd -> op -> batch_to_space_nd, TF's `_WithSpaceToBatch`), and
`tf.nn.max_pool_v2` / `avg_pool_v2` (TF 2's `max_pool`/`avg_pool`: 1-, 2- or 3-D by the
input's rank). They call the pooling ops of pooling_ops.py; gradients are theirs and those of
the space-to-batch reshapes.

A dilated pool with rate r is an ordinary pool on the r^N interleaved sub-grids of the input,
which space_to_batch_nd moves into the batch dimension: with VALID padding the input is
padded at the end to a multiple of r and the extra outputs are cropped away after.
flowexec's space_to_batch_nd needs its paddings at graph construction, so a dilated pool
needs the input's spatial shape then (TF also computes them at run time).
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, manip_ops, pooling_ops, shape_fns, window


# ----- with_space_to_batch ---------------------------------------------------------------
def _base_paddings(filter_shape, rate):
    """TF's SAME padding of a dilated filter: (k - 1) * rate cells, half before."""
    extra = (np.asarray(filter_shape[:len(rate)]) - 1) * rate
    start = extra // 2
    return np.stack([start, extra - start], axis=1)


def _adjust(orig, fill, spatial_dims):
    """`orig` (one row per spatial dim) spread over dims 1..max(spatial_dims) with `fill`
    rows for the dimensions in between (TF's `_with_space_to_batch_adjust`)."""
    rows = []
    for dim in range(1, spatial_dims[-1] + 1):
        if dim in spatial_dims:
            rows.append(orig[spatial_dims.index(dim)])
        else:
            rows.append(np.full(np.shape(orig)[1:], fill, dtype=np.asarray(orig).dtype))
    return np.stack(rows)


def _required_paddings(in_sizes, base, block):
    """(paddings, crops) making each padded size a multiple of its block (TF's
    `required_space_to_batch_paddings`)."""
    full = np.asarray(in_sizes) + base[:, 0] + base[:, 1]
    extra = (block - full % block) % block
    paddings = np.stack([base[:, 0], base[:, 1] + extra], axis=1)
    crops = np.stack([np.zeros_like(extra), extra], axis=1)
    return paddings, crops


def _static_rate(dilation_rate):
    rate_t = convert_to_tensor(dilation_rate, dtype=dtypes.int32, name="dilation_rate")
    if rate_t.shape.ndims not in (None, 1):
        raise ValueError(f"`dilation_rate.shape.rank` must be 1. Received: "
                         f"dilation_rate={rate_t} of rank {rate_t.shape.ndims}")
    if not rate_t.shape.is_fully_defined():
        raise ValueError(f"`dilation_rate.shape` must be fully defined. Received: "
                         f"dilation_rate={rate_t} with shape {rate_t.shape}")
    rate = shape_fns.constant_value(rate_t)
    if rate is None:
        raise ValueError("with_space_to_batch needs dilation_rate known when the graph is "
                         "built")
    return np.asarray(rate, dtype=np.int32).reshape(-1)


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None,
                        spatial_dims=None, data_format=None):
    """Runs `op` on a dilated view of `input`: `op(converted_input, num_spatial_dims,
    padding)` sees the input's `prod(dilation_rate)` interleaved sub-grids stacked in the
    batch dimension (space_to_batch_nd), and its result is moved back (batch_to_space_nd).

    With all rates 1, `op(input, num_spatial_dims, padding)` is called directly.

    Args:
        input: Tensor of rank at least `max(spatial_dims) + 1`.
        dilation_rate: N positive ints.
        padding: "VALID" or "SAME" ("SAME" needs `filter_shape`; `op` then gets "VALID"
            and the input is padded as a SAME convolution with the dilated filter would be).
        op: `fn(converted_input, num_spatial_dims, padding) -> Tensor`.
        filter_shape: the filter's spatial shape (at least N ints), for "SAME".
        spatial_dims: N increasing positive ints, the spatial dimensions (default
            1..N, or 2..N+1 when `data_format` starts with "NC").
        data_format: None or a format string ("NC..." = channels first).

    Returns:
        `op`'s result with the dilation undone.

    Raises:
        ValueError: TF's errors for bad rates, paddings, spatial dims or ranks.

    Example:
        >>> y = tf.nn.with_space_to_batch(x, [2, 2], "VALID",
        ...     lambda i, n, p: tf.nn.max_pool(i, [1, 2, 2, 1], [1, 1, 1, 1], p))
    """
    input = convert_to_tensor(input, name="input")
    rate = _static_rate(dilation_rate)
    n = len(rate)
    start = 2 if data_format is not None and data_format.startswith("NC") else 1
    if spatial_dims is None:
        spatial_dims = range(start, n + start)
    orig = list(spatial_dims)
    spatial_dims = sorted(set(int(d) for d in orig))
    if spatial_dims != orig or any(d < 1 for d in spatial_dims):
        raise ValueError(f"`spatial_dims` must be a monotonically increasing sequence of "
                         f"positive integers. Received: spatial_dims={orig}")
    rank_needed = spatial_dims[-1] + (0 if start == 2 else 1)
    shape = input.shape
    if shape.ndims is not None and shape.ndims < rank_needed:
        raise ValueError(f"`input.shape.rank` must be at least {rank_needed}. Received: "
                         f"input.shape={shape} with rank {shape.ndims}")
    if np.any(rate < 1):
        raise ValueError(f"`dilation_rate` must be positive. Received: dilation_rate={rate}")
    if np.all(rate == 1):
        return op(input, n, padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError(f"`filter_shape` must be specified for `padding='SAME'`. "
                             f"Received: filter_shape={filter_shape} and padding={padding}")
        fs = shape_fns.constant_value(convert_to_tensor(filter_shape, name="filter_shape"))
        if fs is None:
            raise ValueError("with_space_to_batch needs filter_shape known when the graph is "
                             "built")
        base = _base_paddings(np.asarray(fs).reshape(-1), rate)
    elif padding == "VALID":
        base = np.zeros([n, 2], np.int32)
    else:
        raise ValueError(f"`padding` must be one of 'SAME' or 'VALID'. Received: "
                         f"padding={padding}")
    in_sizes = [shape[d] if shape.ndims is not None else None for d in spatial_dims]
    if None in in_sizes:
        raise ValueError(f"with_space_to_batch needs the spatial dimensions {spatial_dims} "
                         f"of the input known when the graph is built, got {shape}")
    paddings, crops = _required_paddings(in_sizes, base, rate)
    block = _adjust(rate, 1, spatial_dims)
    converted = manip_ops.space_to_batch_nd(input, block.tolist(),
                                            _adjust(paddings, 0, spatial_dims).tolist())
    result = op(converted, n, "VALID")
    return manip_ops.batch_to_space_nd(result, block.tolist(),
                                       _adjust(crops, 0, spatial_dims).tolist())


# ----- pool ------------------------------------------------------------------------------
def _positive_ints(values, n, what):
    """`values` (None = all 1) as an int32 array of n positive values, TF's errors."""
    if values is None:
        values = [1] * n
    elif len(values) != n:
        raise ValueError(f"`len({what})` should be {n}. Received: {what}={values} of length "
                         f"{len(values)}")
    values = np.array(values, dtype=np.int32)
    if np.any(values < 1):
        raise ValueError(f"all values of `{what}` must be positive. Received: "
                         f"{what}={values}")
    return values


def _strides_and_rate(n, strides, dilation_rate):
    """TF's `_get_strides_and_dilation_rate`: int32 arrays of n values, checked."""
    dilation_rate = _positive_ints(dilation_rate, n, "dilation_rate")
    strides = _positive_ints(strides, n, "strides")
    if np.any(strides > 1) and np.any(dilation_rate > 1):
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > "
                         f"1`. Received: strides={strides} and dilation_rate={dilation_rate}")
    return strides, dilation_rate


_POOL_FNS = {"MAX": (pooling_ops.max_pool, pooling_ops.max_pool, pooling_ops.max_pool3d),
             "AVG": (pooling_ops.avg_pool, pooling_ops.avg_pool, pooling_ops.avg_pool3d)}


def pool(input, window_shape, pooling_type, padding, dilation_rate=None, strides=None,
         name=None, data_format=None, dilations=None):
    """N-D max or average pooling (N = 1, 2, 3) with strides or a dilation rate.

    `output[b, x, c] = reduce over w of input[b, x * strides + w * dilation_rate, c]`
    (`reduce` = max or mean, over the window positions inside the padded input).

    Args:
        input: `[batch] + spatial + [channels]` (or channels first when `data_format`
            starts with "NC").
        window_shape: N ints, the window's size.
        pooling_type: "MAX" or "AVG".
        padding: "SAME" or "VALID" ("SAME" only without dilation, as TF).
        dilation_rate: N ints (default 1); with any rate > 1 the strides must be 1.
        strides: N ints (default 1), at most `window_shape`.
        name: name scope (default "max_pool" / "avg_pool").
        data_format: None (channels last), or "NWC"/"NCW", "NHWC"/"NCHW", "NDHWC"/"NCDHW".
        dilations: TF2 alias of `dilation_rate`.

    Returns:
        A Tensor of the input's type.

    Raises:
        ValueError: TF's errors for the window, strides, rates, padding or type.

    Example:
        >>> y = tf.nn.pool(x, [2, 2], "MAX", "VALID", dilation_rate=[2, 2])
    """
    if dilations is not None:
        if dilation_rate is not None:
            raise ValueError("Cannot specify both 'dilation_rate' and 'dilations'")
        dilation_rate = dilations
    with name_scope(name, f"{pooling_type.lower()}_pool", [input]) as scope:
        input = convert_to_tensor(input, name="input")
        n = len(window_shape)
        if n < 1 or n > 3:
            raise ValueError(f"`len(window_shape)` must be 1, 2, or 3. Received: "
                             f"window_shape={window_shape} of length {len(window_shape)}")
        input.shape.with_rank(n + 2)
        strides, dilation_rate = _strides_and_rate(n, strides, dilation_rate)
        if padding == "SAME" and np.any(dilation_rate > 1):
            raise ValueError(f"pooling with 'SAME' padding is not implemented for "
                             f"`dilation_rate` > 1. Received: padding={padding} and "
                             f"dilation_rate={dilation_rate}")
        if np.any(strides > window_shape):
            raise ValueError(f"`strides` > `window_shape` not supported due to inconsistency "
                             f"between CPU and GPU implementations. Received: "
                             f"strides={strides} and window_shape={window_shape}")
        if pooling_type not in _POOL_FNS:
            raise ValueError(f"{n}-D {pooling_type} pooling is not supported.")
        pool_fn = _POOL_FNS[pooling_type][n - 1]
        channels_first = data_format is not None and data_format.startswith("NC")
        if channels_first:
            ksize, steps = [1, 1] + list(window_shape), [1, 1] + strides.tolist()
            spatial_dims = list(range(2, n + 2))
        else:
            ksize, steps = [1] + list(window_shape) + [1], [1] + strides.tolist() + [1]
            spatial_dims = list(range(1, n + 1))
        kwargs = {} if data_format is None else {"data_format": data_format}
        if n == 1:
            if data_format is None or data_format == "NWC":
                kwargs = {"data_format": "NHWC"}
            elif data_format == "NCW":
                kwargs = {"data_format": "NCHW"}
            else:
                raise ValueError(f"data_format must be either 'NWC' or 'NCW'. Received: "
                                 f"data_format={data_format}")
            ksize, steps = [1] + ksize, [1] + steps

        def op(converted, _, converted_padding):
            if n == 1:
                converted = array_ops.expand_dims(converted, spatial_dims[0])
            result = pool_fn(converted, ksize, steps, converted_padding, name=scope,
                             **kwargs)
            if n == 1:
                result = array_ops.squeeze(result, [spatial_dims[0]])
            return result

        return with_space_to_batch(input, dilation_rate.tolist(), padding, op,
                                   filter_shape=list(window_shape),
                                   spatial_dims=spatial_dims)


# ----- max_pool_v2 / avg_pool_v2 ---------------------------------------------------------
def _nd_pool(kind, input, ksize, strides, padding, data_format, name):
    input = convert_to_tensor(input, name="input")
    if input.shape.ndims is None:  # TF takes len(input.shape) first, data_format or not
        raise ValueError("Cannot take the length of shape with unknown rank.")
    n = input.shape.ndims - 2
    if not 1 <= n <= 3:
        raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: "
                         f"input.shape={input.shape} of rank {n + 2}.")
    if isinstance(padding, (list, tuple)):
        raise ValueError(f"explicit padding is not supported by {kind} pooling in flowexec. "
                         f"Received: padding={padding}")
    fmt = data_format or window.SPATIAL_FORMATS[n][0]
    ksize = window.expand_sequence(ksize, n, fmt, "ksize")
    strides = window.expand_sequence(strides, n, fmt, "strides")
    if n == 1:
        fn = pooling_ops.max_pool1d if kind == "max" else pooling_ops.avg_pool1d
    elif n == 2:
        fn = pooling_ops.max_pool2d if kind == "max" else pooling_ops.avg_pool2d
    else:
        fn = pooling_ops.max_pool3d if kind == "max" else pooling_ops.avg_pool3d
    return fn(input, ksize, strides, padding, data_format=fmt, name=name)


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    """Max pooling over 1, 2 or 3 spatial dimensions, by the rank of `input` (TF 2's
    `tf.nn.max_pool`).

    Args:
        input: rank 3, 4 or 5 Tensor, channels last unless `data_format` starts with "NC".
        ksize: an int or a list of 1, N or N + 2 ints.
        strides: an int or a list of 1, N or N + 2 ints.
        padding: "SAME" or "VALID".
        data_format: "NWC"/"NHWC"/"NDHWC" (default by rank) or the channels-first forms.
        name: op name.

    Returns:
        A Tensor of the input's type.

    Raises:
        ValueError: an input of unknown rank or a rank other than 3, 4, 5.

    Example:
        >>> y = tf.nn.max_pool_v2(volumes, 2, 2, "SAME")  # 5-D input: MaxPool3D
    """
    return _nd_pool("max", input, ksize, strides, padding, data_format, name)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    """Average pooling over 1, 2 or 3 spatial dimensions, by the rank of `input` (TF 2's
    `tf.nn.avg_pool`); arguments as `max_pool_v2`.

    Example:
        >>> y = tf.nn.avg_pool_v2(images, [2, 2], [2, 2], "VALID")  # AvgPool
    """
    return _nd_pool("avg", input, ksize, strides, padding, data_format, name)


__all__ = ["avg_pool_v2", "max_pool_v2", "pool", "with_space_to_batch"]
