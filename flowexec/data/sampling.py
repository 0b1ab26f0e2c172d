"""`tf.data.experimental` inputs chosen or drawn at random, sharding, writing and device
placement: `RandomDataset`, `choose_from_datasets`, `sample_from_datasets`,
`filter_for_shard`, `TFRecordWriter`, `copy_to_device`, `prefetch_to_device`, as TF 1.15
builds them (ops in `flowexec/ops/dataset_sampling_ops.py`).

`sample_from_datasets` is TF's pipeline: `RandomDataset(seed).batch(2)` seeds one
`stateless_multinomial` draw per element over log(weights), and a DirectedInterleave reads
the chosen input. `RandomDataset` is TF's bit for bit; the draws of `sample_from_datasets`
are flowexec's StatelessMultinomial's (seeded and reproducible, with TF's distribution, not
TF's exact sequence).

Datasets run on the host: `copy_to_device` / `prefetch_to_device` keep the pipeline where it
is (the elements reach a GPU op through the executor's ordinary transfers), so they are the
identity (plus the prefetch) here.

Example:
    >>> ds = sample_from_datasets([Dataset.range(3), Dataset.range(10, 13)], [0.5, 0.5], 1)
    >>> ds = choose_from_datasets([a, b], Dataset.range(2).repeat(3))  # a b a b a b
"""

from flowexec.data import structure
from flowexec.data.dataset import AUTOTUNE, Dataset
from flowexec.data.dataset import _constant_value as _const
from flowexec.framework import dtypes, nest
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import TensorSpec
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.ops import array_ops, math_ops, random_ops
from flowexec.ops import dataset_sampling_ops as _ops  # noqa: F401 (registers the ops)
from flowexec.ops import random_extra_ops


def _flat_attrs(spec):
    flat = structure.flat_specs(spec)
    return {"output_types": [s.dtype for s in flat], "output_shapes": [s.shape for s in flat]}


class RandomDataset(Dataset):
    """An endless dataset of pseudorandom int64 scalars in [0, 2**32) (TF's Philox stream
    for the op's `(seed, seed2)`; no seed at all: a different sequence in each session)."""

    def __init__(self, seed=None):
        seed, seed2 = random_ops.get_seed(seed)
        with name_scope("RandomDataset"):
            s1 = convert_to_tensor(0 if seed is None else seed, dtype=dtypes.int64,
                                   name="seed")
            s2 = convert_to_tensor(0 if seed2 is None else seed2, dtype=dtypes.int64,
                                   name="seed2")
        spec = TensorSpec([], dtypes.int64)
        super().__init__(apply_op("RandomDataset", s1, s2, **_flat_attrs(spec)), spec)


def _directed_interleave(selector, datasets):
    first = datasets[0].element_spec
    for d in datasets[1:]:
        if not structure.same_types(first, d.element_spec):
            raise TypeError("All datasets must have the same type and class.")
    spec = first
    for d in datasets[1:]:
        spec = structure.most_specific_compatible(spec, d.element_spec)
    variant = apply_op("DirectedInterleaveDataset", selector._variant_tensor,
                       *[d._variant_tensor for d in datasets], **_flat_attrs(spec))
    return Dataset(variant, spec)


def choose_from_datasets(datasets, choice_dataset):
    """The elements of `datasets` in the order `choice_dataset` (int64 scalars, indices into
    `datasets`) names them; an ended input's selections are skipped.

    Raises:
        TypeError: `choice_dataset` is not of int64 scalars, or the datasets differ in
            structure or dtypes.
    """
    spec = choice_dataset.element_spec
    if not (isinstance(spec, TensorSpec) and spec.dtype is dtypes.int64
            and spec.shape.is_compatible_with([])):
        raise TypeError("`choice_dataset` must be a dataset of scalar `tf.int64` tensors.")
    return _directed_interleave(choice_dataset, list(datasets))


def sample_from_datasets(datasets, weights=None, seed=None):
    """Elements drawn at random from `datasets`, input `i` with probability `weights[i]`
    (default uniform; `weights` may be a dataset of weight vectors, one per element); ends
    when every input has ended.

    Raises:
        TypeError: `weights` are not float32/float64, or the datasets differ in dtypes.
        ValueError: `weights` is not a vector of `len(datasets)`.
    """
    datasets = list(datasets)
    num = len(datasets)
    if not isinstance(weights, Dataset):
        if weights is None:
            logits = [[1.0] * num]
        else:
            weights = convert_to_tensor(weights, name="weights")
            if weights.dtype not in (dtypes.float32, dtypes.float64):
                raise TypeError("`weights` must be convertible to a tensor of `tf.float32` "
                                "or `tf.float64` elements.")
            if not weights.shape.is_compatible_with([num]):
                raise ValueError("`weights` must be a vector of length `len(datasets)`.")
            logits = array_ops.expand_dims(math_ops.log(weights, name="logits"), 0)
        if num == 1:
            return datasets[0]

        def select(seed):
            return array_ops.squeeze(random_extra_ops.stateless_multinomial(logits, 1, seed),
                                     axis=[0, 1])
        selector = RandomDataset(seed).batch(2).map(select)
    else:
        def select_varying(logits, seed):
            return array_ops.squeeze(random_extra_ops.stateless_multinomial(logits, 1, seed),
                                     axis=[0, 1])
        logits_ds = weights.map(lambda *p: math_ops.log(array_ops.stack(p), name="logits"))
        selector = Dataset.zip((logits_ds, RandomDataset(seed).batch(2))).map(select_varying)
    return _directed_interleave(selector, datasets)


def filter_for_shard(num_shards, shard_index):
    """Every `num_shards`-th element from the `shard_index`-th (an enumerate, a filter and
    a map, as TF builds it; prefer `Dataset.shard`).

    Raises:
        ValueError: a constant `num_shards` < 1, `shard_index` < 0, or index >= shards.
    """
    num_shards = convert_to_tensor(num_shards, dtype=dtypes.int64, name="num_shards")
    shard_index = convert_to_tensor(shard_index, dtype=dtypes.int64, name="shard_index")
    n, i = _const(num_shards), _const(shard_index)
    if n is not None and n < 1:
        raise ValueError("num_shards must be a positive integer.")
    if i is not None and i < 0:
        raise ValueError("shard_index must be a non-negative integer.")
    if n is not None and i is not None and i >= n:
        raise ValueError("shard_index must be less than num_shards.")

    def apply(dataset):
        return dataset.enumerate().filter(
            lambda index, _: math_ops.equal(math_ops.mod(index, num_shards), shard_index)
        ).map(lambda _, element: element)
    return apply


def copy_to_device(target_device, source_device="/cpu:0"):
    """Places the dataset's output on `target_device` (TF's copy_to_device). Datasets run on
    the host here and their elements move to a GPU through the executor's transfers, so the
    dataset is returned unchanged."""
    del target_device, source_device

    def apply(dataset):
        return dataset
    return apply


def prefetch_to_device(device, buffer_size=None):
    """`copy_to_device(device)` then `prefetch(buffer_size)` (None: AUTOTUNE), as TF
    builds it; see `copy_to_device`."""
    def apply(dataset):
        return dataset.apply(copy_to_device(device)).prefetch(
            AUTOTUNE if buffer_size is None else buffer_size)
    return apply


class TFRecordWriter:
    """Writes a dataset of scalar strings to a TFRecord file (`write` returns the op).

    Example:
        >>> op = TFRecordWriter("/tmp/out.tfrecord").write(Dataset.from_tensor_slices(["a"]))
        >>> sess.run(op)
    """

    def __init__(self, filename, compression_type=None):
        self._filename = convert_to_tensor(filename, dtype=dtypes.string, name="filename")
        self._compression_type = convert_to_tensor(
            "" if compression_type is None else compression_type, dtype=dtypes.string,
            name="compression_type")

    def write(self, dataset):
        """The op that writes every element of `dataset` when it runs.

        Raises:
            TypeError: `dataset` is not a Dataset of scalar strings.
        """
        if not isinstance(dataset, Dataset):
            raise TypeError("`dataset` must be a `tf.data.Dataset` object.")
        spec = dataset.element_spec
        if not (isinstance(spec, TensorSpec) and spec.dtype is dtypes.string
                and spec.shape.is_compatible_with([])):
            raise TypeError(f"`dataset` must produce scalar `DT_STRING` tensors whereas it "
                            f"produces shape {nest.map_data(str, dataset.output_shapes)} and "
                            f"types {dataset.output_types}")
        return apply_op("DatasetToTFRecord", dataset._variant_tensor, self._filename,
                        self._compression_type)


__all__ = ["RandomDataset", "TFRecordWriter", "choose_from_datasets", "copy_to_device",
           "filter_for_shard", "prefetch_to_device", "sample_from_datasets"]
