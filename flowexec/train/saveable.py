"""What a `tf.train.Saver` saves for an object that is not a variable: TF's
`BaseSaverBuilder.SaveableObject` and its `SaveSpec`s. A Saver given one (in its var_list,
its dict, or the SAVEABLE_OBJECTS collection) saves each spec's tensor under the spec's name
and restores the object by the op its `restore` builds from the restored tensors.

Example:
    >>> class Halves(SaveableObject):
    ...     def restore(self, restored_tensors, restored_shapes):
    ...         return tf.assign(self.op, tf.concat(restored_tensors, 0))
"""

__all__ = ["SaveSpec", "SaveableObject"]


class SaveSpec:
    """One tensor a SaveableObject saves (TF's `BaseSaverBuilder.SaveSpec`).

    Args:
        tensor: the tensor to save (or a callable returning it).
        slice_spec: the slice of the full tensor it is ("" for all of it).
        name: the name it is saved under.
        dtype: its dtype (default: the tensor's).
        device: the device it lives on.
    """

    def __init__(self, tensor, slice_spec, name, dtype=None, device=None):
        self._tensor = tensor
        self.slice_spec = slice_spec
        self.name = name
        self.dtype = dtype if dtype is not None else tensor.dtype
        self.device = device

    @property
    def tensor(self):
        """The tensor to save."""
        return self._tensor() if callable(self._tensor) else self._tensor


class SaveableObject:
    """Something a Saver saves and restores that is not a variable (TF's
    `BaseSaverBuilder.SaveableObject`): `specs` say which tensors are saved, `restore`
    builds the op that puts restored values back.

    Args:
        op: the object saved (the tensor or resource it stands for).
        specs: a list of SaveSpec.
        name: the name of the object in checkpoints (a prefix of the specs' names).
    """

    def __init__(self, op, specs, name):
        self.op = op
        self.specs = specs
        self.name = name

    @property
    def device(self):
        """The device of the first spec's tensor."""
        return self.specs[0].device

    def restore(self, restored_tensors, restored_shapes):
        """The op that restores the object from one tensor per spec.

        Raises:
            ValueError: always, here; subclasses build their restore.
        """
        raise ValueError(f"Calling an abstract method: {type(self).__name__}.restore")
