"""`tf.data`: input pipelines as graph ops, read through iterators in a Session.

    Dataset          sources, transformations, iterators (dataset.py)
    TextLineDataset, TFRecordDataset, FixedLengthRecordDataset: files (readers.py)
    Iterator         one-shot, initializable, reinitializable, feedable (iterator.py)
    Options          options carried by a dataset (options.py)
    experimental     AUTOTUNE, cardinality, shuffle_and_repeat, map_and_batch, ...

The TF 1.x free functions (`tf.compat.v1.data.get_output_types`, `make_one_shot_iterator`,
...) are here too.
"""

from flowexec.data import experimental
from flowexec.data.dataset import Dataset
from flowexec.data.dataset_spec import DatasetSpec
from flowexec.data.experimental import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
)
from flowexec.data.iterator import (
    Iterator,
    get_output_classes,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)
from flowexec.data.options import Options, ThreadingOptions
from flowexec.data.readers import (
    FixedLengthRecordDataset,
    TextLineDataset,
    TFRecordDataset,
)

__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "DatasetSpec",
    "FixedLengthRecordDataset",
    "Iterator",
    "Options",
    "TFRecordDataset",
    "TextLineDataset",
    "ThreadingOptions",
    "experimental",
    "get_output_classes",
    "get_output_shapes",
    "get_output_types",
    "make_initializable_iterator",
    "make_one_shot_iterator",
]
