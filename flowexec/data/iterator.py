"""`tf.data.Iterator` (TF 1.x): reads a Dataset inside a Session.

An Iterator is a `resource` tensor naming per-session iterator state (like a variable's
value, each Session has its own). `initializer` / `make_initializer(dataset)` run
`MakeIterator`, which starts a pass over the dataset (re-running it restarts);
`get_next()` returns the element's tensors, computed by an `IteratorGetNext` op each time
it runs, and raises `OutOfRangeError` ("End of sequence") after the last element.

Example:
    >>> it = Dataset.range(3).make_initializable_iterator()
    >>> x = it.get_next()
    >>> with Session() as sess:
    ...     sess.run(it.initializer)
    ...     [sess.run(x) for _ in range(3)]
    [0, 1, 2]
"""

from flowexec.data import structure
from flowexec.framework import dtypes, nest
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import FuncGraph
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor


class Iterator(structure.Structured):
    """The state of iteration through a Dataset (TF 1.x `tf.data.Iterator`).

    Create one with `Dataset.make_one_shot_iterator()`,
    `Dataset.make_initializable_iterator()`, `Iterator.from_structure(...)` (reinitializable
    from several datasets of one structure) or `Iterator.from_string_handle(...)`
    (feedable: the iterator is chosen per step by feeding a `string_handle()`).
    """

    def __init__(self, iterator_resource, initializer, output_types, output_shapes,
                 output_classes=None):
        self._iterator_resource = iterator_resource
        self._initializer = initializer
        self._element_spec = structure.from_types_and_shapes(output_types, output_shapes,
                                                             output_classes)
        if output_classes is not None:
            nest.assert_same_data_structure(structure.classes(self._element_spec),
                                            output_classes, check_types=False)

    # ----- construction --------------------------------------------------------------------
    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None,
                       output_classes=None):
        """An uninitialized iterator for datasets of this structure; `make_initializer`
        gives the op that starts it on one of them.

        Example:
            >>> it = Iterator.from_structure(tf.int64, tf.TensorShape([]))
            >>> init_a = it.make_initializer(Dataset.range(3))
        """
        spec = structure.from_types_and_shapes(output_types, output_shapes, output_classes)
        flat = structure.flat_specs(spec)
        handle = apply_op("IteratorV2", name="Iterator", shared_name=shared_name or "",
                          container="", output_types=[s.dtype for s in flat],
                          output_shapes=[s.shape for s in flat])
        return Iterator(handle, None, structure.types(spec), structure.shapes(spec),
                        output_classes)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None,
                           output_classes=None):
        """An iterator chosen at run time by `string_handle` (a string tensor to feed with
        the value of another iterator's `string_handle()`)."""
        spec = structure.from_types_and_shapes(output_types, output_shapes, output_classes)
        flat = structure.flat_specs(spec)
        string_handle = convert_to_tensor(string_handle, dtype=dtypes.string)
        handle = apply_op("IteratorFromStringHandleV2", string_handle,
                          output_types=[s.dtype for s in flat],
                          output_shapes=[s.shape for s in flat])
        return Iterator(handle, None, structure.types(spec), structure.shapes(spec),
                        output_classes)

    # ----- ops -----------------------------------------------------------------------------
    @property
    def initializer(self):
        """The op that (re)starts the iterator on its dataset.

        Raises:
            ValueError: the iterator has none (one-shot, `from_structure`, string handle).
        """
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer

    def make_initializer(self, dataset, name=None):
        """The op that (re)starts this iterator on `dataset`.

        Raises:
            TypeError: `dataset`'s element structure, types or shapes do not fit.
        """
        ds_spec = dataset.element_spec
        try:
            nest.assert_same_data_structure(self._element_spec, ds_spec)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Expected output classes {self.output_classes} but got dataset "
                            f"with output classes {dataset.output_classes}. ({e})") from None
        if not structure.same_types(self._element_spec, ds_spec):
            raise TypeError(f"Expected output types {self.output_types} but got dataset with "
                            f"output types {dataset.output_types}.")
        if not structure.compatible_shapes(self._element_spec, ds_spec):
            raise TypeError(f"Expected output shapes compatible with {self.output_shapes} but "
                            f"got dataset with output shapes {dataset.output_shapes}.")
        return apply_op("MakeIterator", dataset._variant_tensor, self._iterator_resource,
                        name=name or "MakeIterator")

    def get_next(self, name=None):
        """The next element's tensors (its structure); each run advances the iterator.

        Running them raises OutOfRangeError ("End of sequence") past the last element and
        FailedPreconditionError before the iterator is initialized.
        """
        flat = structure.flat_specs(self._element_spec)
        out = apply_op("IteratorGetNext", self._iterator_resource,
                       name=name or "IteratorGetNext", output_types=[s.dtype for s in flat],
                       output_shapes=[s.shape for s in flat])
        outs = [out] if isinstance(out, Tensor) else list(out)
        return structure.pack_components(self._element_spec, outs)

    def string_handle(self, name=None):
        """A string tensor naming this iterator, to feed to `from_string_handle`'s."""
        return apply_op("IteratorToStringHandle", self._iterator_resource,
                        name=name or "IteratorToStringHandle")


def _stateful_capture(dataset):
    """The first placeholder or variable the dataset's ops depend on, or None."""
    seen = set()
    stack = [dataset._variant_tensor.op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in ("Placeholder", "VariableV2"):
            return op
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
        for value in op.attrs.values():
            if isinstance(value, FuncGraph) and value.variables:
                return value.variables[0]
    return None


def _check_tensor_elements(dataset):
    from flowexec.data.dataset_spec import DatasetSpec

    if any(isinstance(s, DatasetSpec) for s in nest.flatten_data(dataset.element_spec)):
        raise TypeError("An iterator over a dataset whose elements are datasets (`window`) "
                        "is not supported; read the windows with `flat_map`, `interleave` "
                        "or `map(lambda w: w.reduce(...))`.")


def one_shot(dataset):
    """`dataset.make_one_shot_iterator()` (see Dataset)."""
    _check_tensor_elements(dataset)
    op = _stateful_capture(dataset)
    if op is not None:
        what = "a placeholder" if op.type == "Placeholder" else "a stateful node"
        raise ValueError(
            "Failed to create a one-shot iterator for a dataset. "
            "`Dataset.make_one_shot_iterator()` does not support datasets that capture "
            "stateful objects, such as a `Variable` or `LookupTable`. In these cases, use "
            "`Dataset.make_initializable_iterator()`. (Original error: Cannot capture "
            f"{what} (name:{op.name}, type:{op.type}) by value.)")
    flat = structure.flat_specs(dataset.element_spec)
    handle = apply_op("OneShotIterator", dataset._variant_tensor,
                      output_types=[s.dtype for s in flat],
                      output_shapes=[s.shape for s in flat])
    return Iterator(handle, None, dataset.output_types, dataset.output_shapes,
                    dataset.output_classes)


def initializable(dataset, shared_name=None):
    """`dataset.make_initializable_iterator()` (see Dataset)."""
    _check_tensor_elements(dataset)
    it = Iterator.from_structure(dataset.output_types, dataset.output_shapes, shared_name,
                                 dataset.output_classes)
    it._initializer = it.make_initializer(dataset)
    return it


def get_output_types(dataset_or_iterator):
    """`tf.compat.v1.data.get_output_types`."""
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    """`tf.compat.v1.data.get_output_shapes`."""
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    """`tf.compat.v1.data.get_output_classes`."""
    return dataset_or_iterator.output_classes


def make_one_shot_iterator(dataset):
    """`tf.compat.v1.data.make_one_shot_iterator(dataset)`."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None):
    """`tf.compat.v1.data.make_initializable_iterator(dataset)`."""
    return dataset.make_initializable_iterator(shared_name)
