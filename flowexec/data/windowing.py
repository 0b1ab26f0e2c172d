"""`Dataset.window`: a dataset of windows, each a structure of datasets (TF's WindowDataset).

Each element of `ds.window(size, shift, stride, drop_remainder)` has the structure of `ds`'s
elements with every component replaced by a dataset of that component's values in the
window (`DatasetSpec` leaves in `element_spec`; TF 1.x's `output_types`, `output_shapes`
and `output_classes` show those specs too). Windows are read through `flat_map`,
`interleave` or a grouping function, e.g. `flat_map(lambda w: w.batch(size))`, or for
tuple elements `flat_map(lambda a, b: Dataset.zip((a, b)).batch(size))`.

Example:
    >>> Dataset.range(7).window(3, 2).flat_map(lambda w: w.batch(3))
    ... # [0 1 2], [2 3 4], [4 5 6], [6]
"""

from flowexec.data.dataset import Dataset, _bool, _int64
from flowexec.data.dataset_spec import DatasetSpec
from flowexec.framework import dtypes, nest
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_grouping_ops as _ops  # noqa: F401 (registers the ops)


def window(dataset, size, shift=None, stride=1, drop_remainder=False):
    """`dataset.window(...)`: see `Dataset.window`."""
    with name_scope("WindowDataset"):
        size_t = _int64(size, "size")
        shift_t = size_t if shift is None else _int64(shift, "shift")
        stride_t = _int64(stride, "stride")
        drop = _bool(drop_remainder, "drop_remainder")
    spec = nest.map_data(DatasetSpec, dataset.element_spec)
    n = len(nest.flatten_data(spec))
    return dataset._op("WindowDataset", size_t, shift_t, stride_t, drop, spec=spec,
                       output_types=[dtypes.variant] * n, output_shapes=[TensorShape([])] * n)
