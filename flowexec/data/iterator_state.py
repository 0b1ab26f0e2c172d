"""Iterator checkpoints and structure queries of `tf.data.experimental`:
`make_saveable_from_iterator` (the iterator's SaveableObject) and `get_structure`.

An iterator's state is flowexec's replay state (`IteratorResource` in
`flowexec/ops/dataset_iterators.py`): how many elements its current pass has produced.
`SerializeIterator` reads it as a string scalar, `DeserializeIterator` starts a new pass over
the iterator's dataset and replays that many elements, so a restored iterator continues
where the saved one was. That is exact for every pipeline whose order is fixed by the graph
(seeded shuffles included) and costs the time of producing the replayed elements; TF saves
its kernels' buffers instead. Restoring an initializable iterator first runs its
initializer (so, as in TF, it needs no separate initialization and must not be initialized
again afterwards) unless the dataset depends on a placeholder; then, and for iterators from
`Iterator.from_structure`, run the initializer before restoring.

Example:
    >>> it = Dataset.range(100).shuffle(100, seed=1).make_initializable_iterator()
    >>> saveable = make_saveable_from_iterator(it)
    >>> tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, saveable)
    >>> saver = tf.train.Saver()   # saves the variables and the iterator
"""

from flowexec.data import iterator as iterator_mod
from flowexec.framework import dtypes
from flowexec.framework.graph import control_dependencies
from flowexec.framework.registry import apply_op
from flowexec.ops import dataset_experimental_ops as _ops  # noqa: F401 (registers the ops)
from flowexec.train.saveable import SaveableObject, SaveSpec

_POLICIES = {"warn": 0, "ignore": 1, "fail": 2}


class _IteratorSaveable(SaveableObject):
    """An iterator's state, saved as `<name>_STATE` (TF's `_IteratorSaveable`)."""

    def __init__(self, iterator, name, external_state_policy):
        resource = iterator._iterator_resource
        serialized = apply_op("SerializeIterator", resource,
                              external_state_policy=external_state_policy)
        super().__init__(resource, [SaveSpec(serialized, "", name + "_STATE",
                                             dtype=dtypes.string,
                                             device=resource.op.device)], name)
        self._iterator = iterator

    def restore(self, restored_tensors, restored_shapes):
        init = self._iterator._initializer
        if init is None or init.type != "MakeIterator" or _feeds_placeholder(init):
            return apply_op("DeserializeIterator", self.op, restored_tensors[0])
        with control_dependencies([init]):  # a fresh pass, replayed (see the module)
            return apply_op("DeserializeIterator", self.op, restored_tensors[0])


def _feeds_placeholder(op):
    """Whether `op` depends on a placeholder (its functions' captures included)."""
    from flowexec.framework.function import FuncGraph

    seen, stack = set(), [op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in ("Placeholder", "PlaceholderV2"):
            return True
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
        for value in op.attrs.values():
            if isinstance(value, FuncGraph):
                stack.extend(outer.op for outer, _ in value.captures)
    return False


def make_saveable_from_iterator(iterator, external_state_policy=None):
    """A SaveableObject that saves and restores `iterator`'s position (see the module).

    Add it to the SAVEABLE_OBJECTS collection (or a Saver's var_list) to checkpoint the
    input pipeline with the model.

    Args:
        iterator: a `tf.data.Iterator`.
        external_state_policy: "warn", "ignore" or "fail" (default): what TF does with
            state outside the pipeline; the replay state has none, so all behave alike.

    Returns:
        A SaveableObject named after the iterator's resource op.

    Raises:
        ValueError: an unknown `external_state_policy`.
        TypeError: `iterator` is not an Iterator.

    Example:
        >>> saveable = tf.data.experimental.make_saveable_from_iterator(it)
        >>> tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, saveable)
    """
    if not isinstance(iterator, iterator_mod.Iterator):
        raise TypeError(f"make_saveable_from_iterator expects a tf.data.Iterator, got "
                        f"{type(iterator).__name__}.")
    policy = "fail" if external_state_policy is None else external_state_policy
    if policy not in _POLICIES:
        raise ValueError("Invalid `ExternalStatePolicy.` Supported values include 'warn', "
                         f"'ignore', and 'fail.' Received {external_state_policy}.")
    resource = iterator._iterator_resource
    return _IteratorSaveable(iterator, resource.op.name, _POLICIES[policy])


def get_structure(dataset_or_iterator):
    """The element structure (`element_spec`) of a Dataset or Iterator: TensorSpec and
    SparseTensorSpec leaves in tuples and dicts.

    Raises:
        TypeError: the argument is neither a Dataset nor an Iterator.

    Example:
        >>> get_structure(Dataset.range(3))
        TensorSpec(shape=(), dtype=tf.int64, name=None)
    """
    from flowexec.data.dataset import Dataset

    if isinstance(dataset_or_iterator, (Dataset, iterator_mod.Iterator)):
        return dataset_or_iterator.element_spec
    raise TypeError(f"Invalid `dataset_or_iterator`. `dataset_or_iterator` must be a "
                    f"`tf.data.Dataset` or tf.data.Iterator object, but got "
                    f"{type(dataset_or_iterator)}.")


__all__ = ["get_structure", "make_saveable_from_iterator"]
