"""spectral_ops: discrete Fourier transforms over the innermost 1, 2 or 3 dimensions.

`fft`/`ifft` (and the 2-D, 3-D forms) take complex64/complex128 tensors; `rfft`/`irfft` map
real float32/float64 tensors to their non-redundant half spectrum and back, with an optional
`fft_length` that crops or zero-pads each transformed dimension as TF's RFFT/IRFFT do. The
kernels are the array module's `fft` (numpy.fft on CPU, cupy.fft on GPU); gradients are TF's
(the adjoint transforms), with TF's convention for complex gradients.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import complex_ops as _c
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns

_COMPLEX = (dtypes.complex64, dtypes.complex128)
_REAL_FOR = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}
_COMPLEX_FOR = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def _check_rank(op, rank):
    x = op.inputs[0]
    if x.shape.ndims is not None and x.shape.ndims < rank:
        raise shape_fns.shape_error(
            op, f"Shape must be at least rank {rank} but is rank {x.shape.ndims}")


def _complex_fft_infer(rank):
    def infer(op):
        shape_fns.check_dtype_in(op, _COMPLEX)
        _check_rank(op, rank)
        return [(op.inputs[0].dtype, op.inputs[0].shape)]
    return infer


def _axes(rank):
    return tuple(range(-rank, 0))


def _inner_size(t, rank):
    """The number of elements in the innermost `rank` dimensions of `t`, as t's real dtype."""
    inner = _a.shape(t)[-rank:]
    return _m.cast(_m.reduce_prod(inner), _REAL_FOR.get(t.dtype, t.dtype))


_FFT = {}


def _define_complex(rank, inverse):
    type_name = ("IFFT" if inverse else "FFT") + ("" if rank == 1 else f"{rank}D")

    @defop(type_name, infer=_complex_fft_infer(rank))
    def kernel(xp, input):
        fn = xp.fft.ifftn if inverse else xp.fft.fftn
        return fn(input, axes=_axes(rank)).astype(input.dtype)

    @kernel.gradient
    def grad(op, dy):
        size = _c.complex(_inner_size(dy, rank), _m.cast(0, _REAL_FOR[dy.dtype]))
        if inverse:
            return _transform(dy, rank, False) / size
        return _transform(dy, rank, True) * size

    _FFT[(rank, inverse)] = type_name
    return kernel


for _rank in (1, 2, 3):
    for _inverse in (False, True):
        _define_complex(_rank, _inverse)


def _transform(x, rank, inverse, name=None):
    return apply_op(_FFT[(rank, inverse)], x, name=name)


def _fft_length_infer(rank, inverse):
    def infer(op):
        x, length = op.inputs
        if inverse:
            shape_fns.check_dtype_in(op, _COMPLEX)
            out_dtype = op.attrs["Treal"]
        else:
            shape_fns.check_dtype_in(op, tuple(_COMPLEX_FOR))
            out_dtype = op.attrs["Tcomplex"]
        _check_rank(op, rank)
        n = shape_fns.constant_value(length)
        if x.shape.ndims is None:
            return [(out_dtype, TensorShape(None))]
        dims = x.shape.as_list()
        if n is None:
            inner = [None] * rank
        else:
            inner = [int(v) for v in n]
            if not inverse:
                inner[-1] = inner[-1] // 2 + 1
        return [(out_dtype, TensorShape(dims[:-rank] + inner))]
    return infer


def _define_real(rank, inverse):
    type_name = ("IRFFT" if inverse else "RFFT") + ("" if rank == 1 else f"{rank}D")

    if inverse:
        @defop(type_name, infer=_fft_length_infer(rank, True))
        def kernel(xp, input, fft_length, *, Treal=dtypes.float32):
            s = [int(v) for v in fft_length]
            return xp.fft.irfftn(input, s=s, axes=_axes(rank)).astype(Treal.np)

        @kernel.gradient
        def grad(op, dy):
            y, length = op.inputs
            g = _real_transform(dy, length, rank, False)
            n_last = length[-1]
            half = n_last // 2 + 1
            # 1 at k = 0 and (even n) k = n/2, 2 elsewhere: the Hermitian pairs irfft folds
            k = _a.range(half)
            ones = _m.logical_or(_m.equal(k, 0), _m.equal(k * 2, n_last))
            mask = _m.where(ones, _a.ones_like(k), 2 * _a.ones_like(k))
            real_dt = op.outputs[0].dtype
            scale = _m.cast(mask, real_dt) / _m.cast(_m.reduce_prod(length), real_dt)
            g = g * _c.complex(scale, _a.zeros_like(scale))
            return _fit_inner(g, _a.shape(y)[-rank:], rank), None
    else:
        @defop(type_name, infer=_fft_length_infer(rank, False))
        def kernel(xp, input, fft_length, *, Tcomplex=dtypes.complex64):
            s = [int(v) for v in fft_length]
            return xp.fft.rfftn(input, s=s, axes=_axes(rank)).astype(Tcomplex.np)

        @kernel.gradient
        def grad(op, dy):
            x, length = op.inputs
            padded = _fit_inner(dy, length, rank)  # the half spectrum, zero-padded to n
            size = _c.complex(_m.cast(_m.reduce_prod(length), x.dtype), _m.cast(0, x.dtype))
            g = _c.real(_transform(padded, rank, True) * size)
            return _fit_inner(g, _a.shape(x)[-rank:], rank), None

    _FFT[(rank, inverse, "real")] = type_name
    return kernel


for _rank in (1, 2, 3):
    for _inverse in (False, True):
        _define_real(_rank, _inverse)


def _real_transform(x, length, rank, inverse, name=None):
    type_name = _FFT[(rank, inverse, "real")]
    if inverse:
        return apply_op(type_name, x, length, name=name, Treal=_REAL_FOR[x.dtype])
    return apply_op(type_name, x, length, name=name, Tcomplex=_COMPLEX_FOR[x.dtype])


def _fit_inner(t, sizes, rank):
    """`t` with its innermost `rank` dimensions cropped or zero-padded to `sizes`."""
    shape = _a.shape(t)
    sizes = _m.cast(sizes, dtypes.int32)
    lead, inner = shape[:-rank], shape[-rank:]
    keep = _m.minimum(inner, sizes)
    cropped = _a.slice(t, _a.zeros_like(shape), _a.concat([lead, keep], 0))
    extra = _m.maximum(sizes - inner, 0)
    paddings = _a.stack([_a.zeros_like(shape), _a.concat([_a.zeros_like(lead), extra], 0)],
                        axis=1)
    return _a.pad(cropped, paddings)


# ----- public functions -----------------------------------------------------------------------
def _complex_fn(rank, inverse, default):
    def fn(input, name=None):
        with name_scope(name, default, [input]) as scope:
            x = convert_to_tensor(input, name="input")
            return _transform(x, rank, inverse, name=scope)
    what = "inverse " if inverse else ""
    dims = "innermost dimension" if rank == 1 else f"innermost {rank} dimensions"
    fn.__doc__ = (f"The {what}discrete Fourier transform over the {dims} of a complex64 or "
                  f"complex128 tensor (op type {_FFT[(rank, inverse)]}).")
    return fn


fft = _complex_fn(1, False, "FFT")
fft.__name__ = "fft"
ifft = _complex_fn(1, True, "IFFT")
ifft.__name__ = "ifft"
fft2d = _complex_fn(2, False, "FFT2D")
fft2d.__name__ = "fft2d"
ifft2d = _complex_fn(2, True, "IFFT2D")
ifft2d.__name__ = "ifft2d"
fft3d = _complex_fn(3, False, "FFT3D")
fft3d.__name__ = "fft3d"
ifft3d = _complex_fn(3, True, "IFFT3D")
ifft3d.__name__ = "ifft3d"


def _default_length(x, rank, inverse):
    inner = x.shape.as_list()[-rank:] if x.shape.ndims is not None else None
    if inner is not None and None not in inner:
        if inverse:
            inner[-1] = 2 * (inner[-1] - 1)
        return convert_to_tensor(inner, dtype=dtypes.int32, name="fft_length")
    dyn = _a.shape(x)[-rank:]
    if inverse:
        last = 2 * (dyn[-1] - 1)
        dyn = _a.concat([dyn[:-1], _a.reshape(last, [1])], 0)
    return dyn


def _real_fn(rank, inverse, default):
    def fn(input_tensor, fft_length=None, name=None):
        with name_scope(name, default, [input_tensor]) as scope:
            x = convert_to_tensor(input_tensor, name="input_tensor")
            if not inverse and x.dtype not in _COMPLEX_FOR and not x.dtype.is_complex:
                x = _m.cast(x, dtypes.float32)
            if fft_length is None:
                length = _default_length(x, rank, inverse)
            else:
                length = convert_to_tensor(fft_length, dtype=dtypes.int32, name="fft_length")
            if inverse and x.dtype not in _REAL_FOR or not inverse and x.dtype not in \
                    _COMPLEX_FOR:
                raise TypeError(f"{default} does not support inputs of type {x.dtype.name}")
            return _real_transform(x, length, rank, inverse, name=scope)
    if inverse:
        fn.__doc__ = (f"The real signal whose half spectrum is `input_tensor`, over the innermost "
                      f"{rank} dimension(s) (op type {_FFT[(rank, True, 'real')]}). "
                      "`fft_length` (default 2 * (inner - 1) for the last dimension) sets the "
                      "output length; the input is cropped or zero-padded to match.")
    else:
        fn.__doc__ = (f"The half spectrum (fft_length // 2 + 1 values in the last dimension) of "
                      f"a real tensor over its innermost {rank} dimension(s) (op type "
                      f"{_FFT[(rank, False, 'real')]}); the input is cropped or zero-padded to "
                      "`fft_length` (default: its own size).")
    return fn


rfft = _real_fn(1, False, "RFFT")
rfft.__name__ = "rfft"
irfft = _real_fn(1, True, "IRFFT")
irfft.__name__ = "irfft"
rfft2d = _real_fn(2, False, "RFFT2D")
rfft2d.__name__ = "rfft2d"
irfft2d = _real_fn(2, True, "IRFFT2D")
irfft2d.__name__ = "irfft2d"
rfft3d = _real_fn(3, False, "RFFT3D")
rfft3d.__name__ = "rfft3d"
irfft3d = _real_fn(3, True, "IRFFT3D")
irfft3d.__name__ = "irfft3d"

__all__ = ["fft", "fft2d", "fft3d", "fftnd", "ifft", "ifft2d", "ifft3d", "ifftnd", "irfft",
           "irfft2d", "irfft3d", "irfftnd", "rfft", "rfft2d", "rfft3d", "rfftnd"]


# ----- N-D transforms over any axes (TF's fftnd family), composed of 1-D transforms ----------
def _move_last(x, axis):
    rank = x.shape.ndims
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return _a.transpose(x, perm), perm


def _along(x, axis, fn):
    """fn applied to `x` with `axis` moved last (and moved back)."""
    rank = x.shape.ndims
    axis %= rank
    if axis == rank - 1:
        return fn(x)
    moved, perm = _move_last(x, axis)
    return _a.transpose(fn(moved), perm)


def _resize_axis(x, axis, n):
    """`x` cropped or zero-padded to length n along `axis` (n a static int)."""
    def resize(t):
        return _fit_inner(t, convert_to_tensor([n], dtype=dtypes.int32), 1)
    return _along(x, axis, resize)


def _nd_args(x, fft_length, axes, inverse_real=False):
    rank = x.shape.ndims
    if rank is None:
        raise ValueError("fftnd needs the rank of its input")
    if axes is None:
        k = len(fft_length) if fft_length is not None else rank
        axes = list(range(rank - k, rank))
    axes = [int(a) % rank for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"axes must be unique, got {axes}")
    if fft_length is None:
        dims = x.shape.as_list()
        lengths = [dims[a] for a in axes]
        if None in lengths:
            raise ValueError("fftnd needs fft_length or static sizes on the transformed axes")
        if inverse_real:
            lengths[-1] = 2 * (lengths[-1] - 1)
    else:
        lengths = [int(n) for n in fft_length]
        if len(lengths) != len(axes):
            raise ValueError(f"fft_length {lengths} and axes {axes} differ in length")
    return axes, lengths


def _norm_scale(norm, lengths, forward):
    n = 1
    for v in lengths:
        n *= v
    if norm in (None, "backward"):
        return None if forward else 1.0 / n
    if norm == "ortho":
        return 1.0 / n ** 0.5
    if norm == "forward":
        return 1.0 / n if forward else None
    raise ValueError(f"norm must be 'backward', 'ortho' or 'forward', got {norm!r}")


def _scaled(x, scale):
    if scale is None:
        return x
    real_dt = _REAL_FOR.get(x.dtype, x.dtype)
    s = convert_to_tensor(scale, dtype=real_dt)
    if x.dtype.is_complex:
        s = _c.complex(s, _m.cast(0, real_dt))
    return x * s


def _complex_nd(x, axes, lengths, inverse):
    for axis, n in zip(axes, lengths):
        x = _resize_axis(x, axis, n)
        x = _along(x, axis, lambda t: _transform(t, 1, inverse))
    return x


def fftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The N-dimensional discrete Fourier transform over `axes` (default: the last
    len(fft_length) axes, or all), each cropped or zero-padded to `fft_length`; `norm`
    "backward" (default), "ortho" or "forward" as in TF 2.

    Example:
        >>> fftnd(x, axes=[0, 2])  # numpy.fft.fftn(x, axes=(0, 2))
    """
    with name_scope(name, "FFTND", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        if not x.dtype.is_complex:
            raise TypeError(f"fftnd needs a complex input, got {x.dtype.name}")
        axes, lengths = _nd_args(x, fft_length, axes)
        # the inverse 1-D transforms undo TF's 1/n scaling: ifft(x) * n == unnormalized
        out = _complex_nd(x, axes, lengths, False)
        return _scaled(out, _norm_scale(norm, lengths, True))


def ifftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The inverse of `fftnd` (1/n scaling with the default norm)."""
    with name_scope(name, "IFFTND", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        if not x.dtype.is_complex:
            raise TypeError(f"ifftnd needs a complex input, got {x.dtype.name}")
        axes, lengths = _nd_args(x, fft_length, axes)
        out = _complex_nd(x, axes, lengths, True)  # each 1-D ifft divides by its length
        n = 1
        for v in lengths:
            n *= v
        scale = _norm_scale(norm, lengths, False)
        return _scaled(out, None if scale is None else scale * n)


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The N-D transform of a real tensor: the half spectrum along the last of `axes`
    (fft_length[-1] // 2 + 1 values), full along the others."""
    with name_scope(name, "RFFTND", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        if x.dtype not in _COMPLEX_FOR:
            x = _m.cast(x, dtypes.float32)
        axes, lengths = _nd_args(x, fft_length, axes)
        last = axes[-1]
        x = _along(x, last, lambda t: _real_transform(
            t, convert_to_tensor([lengths[-1]], dtype=dtypes.int32), 1, False))
        out = _complex_nd(x, axes[:-1], lengths[:-1], False)
        return _scaled(out, _norm_scale(norm, lengths, True))


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The real signal whose `rfftnd` is `input_tensor` (fft_length default: the input's
    sizes, 2 * (n - 1) along the last axis)."""
    with name_scope(name, "IRFFTND", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        if not x.dtype.is_complex:
            raise TypeError(f"irfftnd needs a complex input, got {x.dtype.name}")
        axes, lengths = _nd_args(x, fft_length, axes, inverse_real=True)
        x = _complex_nd(x, axes[:-1], lengths[:-1], True)
        out = _along(x, axes[-1], lambda t: _real_transform(
            t, convert_to_tensor([lengths[-1]], dtype=dtypes.int32), 1, True))
        n = 1
        for v in lengths:
            n *= v
        scale = _norm_scale(norm, lengths, False)
        return _scaled(out, None if scale is None else scale * n)
