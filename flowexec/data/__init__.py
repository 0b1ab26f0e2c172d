"""`tf.data`: input pipelines as graph ops, read through iterators in a Session.

    Dataset      sources, transformations, iterators (dataset.py)
    TextLineDataset, TFRecordDataset, FixedLengthRecordDataset   files (readers.py)
    Iterator     one-shot, initializable, reinitializable, feedable (iterator.py)
    experimental AUTOTUNE, shuffle_and_repeat, map_and_batch, unbatch (experimental.py)

The TF 1.x free functions (`tf.compat.v1.data.get_output_types`, `make_one_shot_iterator`,
...) are here too.
"""

from flowexec.data import experimental
from flowexec.data.dataset import Dataset
from flowexec.data.iterator import (
    Iterator,
    get_output_classes,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)
from flowexec.data.readers import (
    FixedLengthRecordDataset,
    TextLineDataset,
    TFRecordDataset,
)

__all__ = ["Dataset", "FixedLengthRecordDataset", "Iterator", "TFRecordDataset",
           "TextLineDataset", "experimental", "get_output_classes", "get_output_shapes",
           "get_output_types", "make_initializable_iterator", "make_one_shot_iterator"]
