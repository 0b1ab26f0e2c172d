"""`tf.data.experimental.parse_example_dataset` and `make_batched_features_dataset` for dense
features (FixedLenFeature, FixedLenSequenceFeature), as TF 1.15 builds them.

`parse_example_dataset(features)` maps a dataset of string vectors (batches of serialized
`tf.train.Example`s) to dicts of tensors with `parse_example` (ParseExampleV2), in a
parallel map of `num_parallel_calls`. TF's dedicated ParseExampleDataset op yields the same
elements. VarLenFeature and SparseFeature produce SparseTensors, which tf.data elements here
cannot hold yet: they are refused with a TypeError.

Example:
    >>> ds = make_batched_features_dataset("train-*.tfrecord", 32,
    ...     {"x": tf.FixedLenFeature([3], tf.float32), "y": tf.FixedLenFeature([], tf.int64)},
    ...     label_key="y", num_epochs=1)
"""

import glob

from flowexec.data.dataset import AUTOTUNE, Dataset
from flowexec.data.readers import TFRecordDataset
from flowexec.framework import dtypes
from flowexec.framework.function import TensorSpec
from flowexec.ops import example_parsing_ops, parsing_config


def _check_dense(features):
    for key, feature in features.items():
        if isinstance(feature, (parsing_config.VarLenFeature, parsing_config.SparseFeature)):
            raise TypeError(f"Feature {key!r} is a {type(feature).__name__}: its values are "
                            f"SparseTensors, which flowexec's tf.data elements cannot hold; "
                            f"use FixedLenFeature or FixedLenSequenceFeature.")


def parse_example_dataset(features, num_parallel_calls=1):
    """Parses each element (a vector of serialized Examples) into `{key: Tensor}`.

    Raises:
        TypeError: the elements are not strings, or a feature is sparse (see the module).
    """
    if features is None:
        raise ValueError("Missing: features was %s." % features)
    _check_dense(features)

    def apply(dataset):
        spec = dataset.element_spec
        if not (isinstance(spec, TensorSpec) and spec.dtype is dtypes.string):
            raise TypeError("Input dataset should be a dataset of vectors of strings")
        return dataset.map(lambda s: example_parsing_ops.parse_example(s, features),
                           num_parallel_calls)
    return apply


def make_batched_features_dataset(file_pattern, batch_size, features,
                                  reader=TFRecordDataset, label_key=None, reader_args=None,
                                  num_epochs=None, shuffle=True, shuffle_buffer_size=10000,
                                  shuffle_seed=None, prefetch_buffer_size=AUTOTUNE,
                                  reader_num_threads=1, parser_num_threads=2,
                                  sloppy_ordering=False, drop_final_batch=False):
    """Batches of parsed Examples read from the files of `file_pattern` (TF's pipeline:
    file names, shuffled with `shuffle`; `reader` interleaved `reader_num_threads` at a
    time; shuffle/repeat `num_epochs` (None: forever, with a static batch dimension);
    batch; `parse_example_dataset`; `(features, label)` with `label_key`; prefetch).

    Raises:
        ValueError: no file matches, or `label_key` is not a feature key.
        TypeError: a sparse feature (see the module docstring).
    """
    if isinstance(file_pattern, list):
        if not file_pattern:
            raise ValueError("File pattern is empty.")
        filenames = [n for p in file_pattern for n in glob.glob(p)]
    else:
        filenames = glob.glob(file_pattern)
    if not filenames:
        raise ValueError(f"No files match {file_pattern}.")
    filenames = sorted(filenames)
    _check_dense(features)
    dataset = Dataset.from_tensor_slices(filenames)
    if shuffle:
        dataset = dataset.shuffle(len(filenames), shuffle_seed)
    reader_args = reader_args or []
    del sloppy_ordering  # the deterministic interleave order is a valid sloppy order
    dataset = dataset.interleave(lambda filename: reader(filename, *reader_args),
                                 cycle_length=reader_num_threads)
    if dataset.output_types == (dtypes.string, dtypes.string):
        dataset = dataset.map(lambda _, v: v)  # (key, value) records
    if num_epochs != 1 and shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed).repeat(num_epochs)
    elif shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    elif num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    dataset = dataset.batch(batch_size, drop_remainder=drop_final_batch or num_epochs is None)
    dataset = dataset.apply(parse_example_dataset(features,
                                                  num_parallel_calls=parser_num_threads))
    if label_key:
        if label_key not in features:
            raise ValueError(f"The `label_key` provided ({label_key!r}) must be one of the "
                             f"`features` keys.")
        dataset = dataset.map(lambda x: (x, x.pop(label_key)))
    return dataset.prefetch(prefetch_buffer_size)


__all__ = ["make_batched_features_dataset", "parse_example_dataset"]
