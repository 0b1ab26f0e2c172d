"""TF's checkpoint ops: SaveV2 and RestoreV2, the ops a `tf.train.Saver` graph (and its
SaverDef) names, so that `sess.run(saver_def.restore_op_name, {filename_tensor_name: path})`
works as in TF, in graphs flowexec builds and in meta graphs TF wrote.

SaveV2 writes TF's V2 tensor bundle crash-safely (`train.bundle_checkpoint`); RestoreV2
reads either format (TF's bundle or flowexec's own). Host-only, stateful (they touch the file
system), not differentiable. A `shape_and_slices` entry other than "" is a slice spec
(`framework.tensor_slice`): SaveV2 writes the tensors of one name as the slices of one full
tensor, as TF does for a partitioned variable; RestoreV2 reads the slice out of the full
tensor (saved whole or as any other slices).
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import apply_op, defop
from flowexec.framework import tensor_slice
from flowexec.framework.tensor_shape import TensorShape


def _text(value):
    value = value.tolist() if hasattr(value, "tolist") else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _names(tensor_names, shape_and_slices, op_type):
    """(names, [(full shape, offsets, lengths) or None per name])."""
    names = [_text(n) for n in tensor_names.reshape(-1)]
    slices = [_text(s) for s in shape_and_slices.reshape(-1)]
    if len(slices) != len(names):
        raise errors.InvalidArgumentError(
            None, None, f"{op_type}: tensor_names and shape_and_slices must have the same "
            f"number of elements, got {len(names)} and {len(slices)}")
    specs = []
    for name, spec in zip(names, slices):
        try:
            specs.append(tensor_slice.parse_slice_spec(spec) if spec else None)
        except ValueError as e:
            raise errors.InvalidArgumentError(
                None, None, f"{op_type}: bad shape_and_slices for tensor {name}: {e}") from e
    return names, specs


def _grouped(op_type, names, specs, tensors):
    """{name: array or bundle.Slices} of SaveV2's inputs."""
    from flowexec.graph_io import bundle

    out = {}
    for name, spec, value in zip(names, specs, tensors):
        if spec is None:
            if name in out:
                raise errors.InvalidArgumentError(
                    None, None, f"{op_type}: tensor {name} is given twice")
            out[name] = value
            continue
        full, offsets, lengths = spec
        want = [d if n is None else n for d, n in zip(full, lengths)]
        if list(value.shape) != want:
            raise errors.InvalidArgumentError(
                None, None, f"{op_type}: the slice of tensor {name} at {offsets} has shape "
                f"{list(value.shape)}, its spec says {want}")
        piece = bundle.Slices(full, [(offsets, value)])
        prev = out.get(name)
        if prev is not None and not isinstance(prev, bundle.Slices):
            raise errors.InvalidArgumentError(
                None, None, f"{op_type}: tensor {name} is given whole and as slices")
        try:
            out[name] = piece if prev is None else prev.merged(piece)
        except ValueError as e:
            raise errors.InvalidArgumentError(None, None, f"{op_type}: {e}") from e
    return out


def _save_infer(op):
    return []


@defop("SaveV2", infer=_save_infer, stateful=True, device_types=("CPU",))
def _save_v2(xp, prefix, tensor_names, shape_and_slices, *tensors, dtypes):
    from flowexec.train import bundle_checkpoint
    from flowexec.train.atomic_file import os_error

    names, specs = _names(tensor_names, shape_and_slices, "SaveV2")
    if len(names) != len(tensors):
        raise errors.InvalidArgumentError(
            None, None, f"SaveV2: got {len(names)} tensor names for {len(tensors)} tensors")
    path = _text(prefix)
    grouped = _grouped("SaveV2", names, specs, tensors)
    try:
        bundle_checkpoint.write_bundle_checkpoint(path, [grouped])
    except OSError as e:
        raise os_error(e, f"Failed to save checkpoint {path}") from e
    return None


_save_v2.not_differentiable()


def _restore_infer(op):
    return [(dt, TensorShape(None)) for dt in op.attrs["dtypes"]]


@defop("RestoreV2", infer=_restore_infer, stateful=True, device_types=("CPU",))
def _restore_v2(xp, prefix, tensor_names, shape_and_slices, *, dtypes):
    from flowexec.graph_io.checkpoint_reader import read_tensors

    names, specs = _names(tensor_names, shape_and_slices, "RestoreV2")
    if len(names) != len(dtypes):
        raise errors.InvalidArgumentError(
            None, None, f"RestoreV2: got {len(names)} tensor names for {len(dtypes)} dtypes")
    path = _text(prefix)

    def check(records, index_path):
        for name, dt in zip(names, dtypes):
            rec = records.get(name)
            if rec is not None and rec["dtype"] != dt.name:
                raise errors.InvalidArgumentError(
                    None, None, f"Expected to restore a tensor of type {dt.proto_name}, got a "
                    f"tensor of type {_dtype(rec['dtype']).proto_name} instead: tensor_name = "
                    f"{name} (checkpoint {index_path})")
            spec = specs[names.index(name)] if rec is not None else None
            if spec is not None and list(rec["shape"]) != spec[0]:
                raise errors.InvalidArgumentError(
                    None, None, f"Requested a slice of tensor {name} of full shape {spec[0]}, "
                    f"the checkpoint has shape {list(rec['shape'])} (checkpoint {index_path})")

    values = read_tensors(path, list(dict.fromkeys(names)), check)
    out = tuple(values[n] if spec is None else values[n][tuple(
        slice(o, d if k is None else o + k) for d, o, k in zip(*spec))].copy()
        for n, spec in zip(names, specs))
    return out[0] if len(out) == 1 else out  # a bare array for one output


def _dtype(name):
    return dtypes.as_dtype(name)


_restore_v2.not_differentiable()


def save_v2(prefix, tensor_names, shape_and_slices, tensors, name=None):
    """Writes `tensors` as a TF V2 checkpoint at `prefix` (TF's `tf.raw_ops.SaveV2`).

    Args:
        prefix: a string scalar Tensor, the checkpoint's prefix.
        tensor_names: a string vector Tensor, one name per tensor.
        shape_and_slices: a string vector Tensor: "" to save a tensor whole, or a slice
            spec ("7 3 0,3:0,3") to save it as that slice of a full tensor of its name.
        tensors: the Tensors to save.

    Returns:
        The Operation.
    """
    return apply_op("SaveV2", prefix, tensor_names, shape_and_slices, *tensors,
                    name=name or "SaveV2", dtypes=[t.dtype.base_dtype for t in tensors])


def restore_v2(prefix, tensor_names, shape_and_slices, dtypes, name=None):
    """Reads tensors from the checkpoint at `prefix` (TF's `tf.raw_ops.RestoreV2`; either
    format). Returns a list of Tensors with the given dtypes."""
    out = apply_op("RestoreV2", prefix, tensor_names, shape_and_slices,
                   name=name or "RestoreV2", dtypes=list(dtypes))
    return list(out) if isinstance(out, tuple) else [out]


__all__ = ["restore_v2", "save_v2"]
