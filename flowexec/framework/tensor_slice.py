"""Slices of a full tensor, as checkpoints name them: TF's SaveSliceInfo and slice specs.

A partitioned variable is saved as one checkpoint tensor (its full name and shape) made of
slices. A slice spec is TF's text form: the full shape, a space, then one "start,length"
(or "-" for the whole dimension) per dimension, joined by ":" — "7 3 0,3:0,3" is rows 0..2
of a [7, 3] tensor. The empty spec "" means the whole tensor. `parse_slice_spec` and
`SaveSliceInfo.spec` convert between the two; `place` writes a slice into a full array.
"""

__all__ = ["SaveSliceInfo", "parse_slice_spec", "place"]


class SaveSliceInfo:
    """How a Variable is saved as a slice of a larger tensor (TF's `Variable.SaveSliceInfo`).

    Attributes:
        full_name: the checkpoint name of the full tensor ("emb").
        full_shape: its shape, a list of ints.
        var_offset: where this slice starts in each dimension.
        var_shape: this slice's shape.

    Example:
        >>> SaveSliceInfo("emb", [7, 3], [3, 0], [2, 3]).spec
        '7 3 3,2:0,3'
    """

    def __init__(self, full_name=None, full_shape=None, var_offset=None, var_shape=None,
                 save_slice_info_def=None, import_scope=None):
        if save_slice_info_def is not None:
            full_name = save_slice_info_def.full_name
            if import_scope:
                full_name = f"{import_scope}/{full_name}"
            full_shape = list(save_slice_info_def.full_shape)
            var_offset = list(save_slice_info_def.var_offset)
            var_shape = list(save_slice_info_def.var_shape)
        self.full_name = full_name
        self.full_shape = full_shape
        self.var_offset = var_offset
        self.var_shape = var_shape

    @property
    def spec(self):
        """The slice spec string a checkpoint op takes ("7 3 3,2:0,3")."""
        full_shape_str = " ".join(f"{d:d}" for d in self.full_shape) + " "
        return full_shape_str + ":".join(f"{o:d},{s:d}" for o, s in
                                         zip(self.var_offset, self.var_shape))

    @classmethod
    def from_spec(cls, spec):
        """The SaveSliceInfo (without a name) of a spec string.

        Raises:
            ValueError: a malformed spec.
        """
        if not spec:
            return cls()
        full_shape, offsets, lengths = parse_slice_spec(spec)
        return cls(full_shape=full_shape, var_offset=offsets,
                   var_shape=[full_shape[i] if n is None else n
                              for i, n in enumerate(lengths)])

    def to_proto(self, export_scope=None):
        """The SaveSliceInfoDef proto, or None when `full_name` is not under export_scope."""
        from flowexec.graph_io import protos

        name = self.full_name
        if export_scope:
            if not name.startswith(export_scope + "/"):
                return None
            name = name[len(export_scope) + 1:]
        return protos.proto_class("SaveSliceInfoDef")(
            full_name=name, full_shape=self.full_shape, var_offset=self.var_offset,
            var_shape=self.var_shape)

    def __repr__(self):
        return (f"SaveSliceInfo(full_name={self.full_name!r}, full_shape={self.full_shape}, "
                f"var_offset={self.var_offset}, var_shape={self.var_shape})")


def parse_slice_spec(spec):
    """(full shape, offsets, lengths) of a spec; a length is None for a whole dimension.

    Raises:
        ValueError: not "<dims> <extents>", a non-integer, a count of extents that is not
            the rank, or an extent outside the full shape (TF's messages).
    """
    text = spec.decode("utf-8") if isinstance(spec, bytes) else str(spec)
    parts = text.split(" ")
    if len(parts) < 2:
        raise ValueError(f"Invalid slice spec '{text}': need the full shape and the slice")
    try:
        full_shape = [int(d) for d in parts[:-1]]
    except ValueError:
        raise ValueError(f"Invalid slice spec '{text}': the full shape is not integers") \
            from None
    extents = parts[-1].split(":") if parts[-1] else []
    if len(extents) != len(full_shape):
        raise ValueError(f"Invalid slice spec '{text}': {len(extents)} extents for a "
                         f"rank-{len(full_shape)} shape")
    offsets, lengths = [], []
    for i, ext in enumerate(extents):
        if ext == "-":
            offsets.append(0)
            lengths.append(None)
            continue
        try:
            start, length = (int(x) for x in ext.split(","))
        except ValueError:
            raise ValueError(f"Invalid slice spec '{text}': extent '{ext}' is not "
                             "'start,length' or '-'") from None
        if start < 0 or length < 0 or start + length > full_shape[i]:
            raise ValueError(f"Invalid slice spec '{text}': extent {start},{length} of "
                             f"dimension {i} is outside its size {full_shape[i]}")
        offsets.append(start)
        lengths.append(length)
    return full_shape, offsets, lengths


def place(full, offsets, value):
    """Writes the slice `value` into the array `full` at `offsets`."""
    full[tuple(slice(o, o + n) for o, n in zip(offsets, value.shape))] = value
