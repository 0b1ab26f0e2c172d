"""`tf.data.experimental.SqlDataset`: the rows of a SQL query (SQLite) as a dataset of
tuples of scalars (the kernel, its type conversions and errors: flowexec/ops/dataset_sql_ops.py).
"""

from flowexec.data.dataset import Dataset
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import TensorSpec
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.ops import dataset_sql_ops  # noqa: F401 (registers the op)

__all__ = ["SqlDataset"]


class SqlDataset(Dataset):
    """The rows of `query` run on a SQLite database (TF 1.x's
    `tf.data.experimental.SqlDataset`), one tuple of scalars per row.

    Args:
        driver_name: "sqlite" (the only driver, as in TF).
        data_source_name: the database file.
        query: a SQL query; its columns match `output_types` in number.
        output_types: one dtype per column: string, int8, int16, int32, int64, uint8,
            uint16, bool or float64 (values converted as SQLite's C API converts them).

    Raises:
        At run time, InvalidArgumentError for another driver or type, or a column count
        that differs; UnknownError "Prepare() failed: ..." for a query SQLite refuses.

    Example:
        >>> ds = SqlDataset("sqlite", "people.db", "SELECT name, age FROM people",
        ...                 (tf.string, tf.int32))
    """

    def __init__(self, driver_name, data_source_name, query, output_types):
        single = not isinstance(output_types, (tuple, list))
        types = [dtypes.as_dtype(t) for t in ([output_types] if single else output_types)]
        with name_scope("SqlDataset"):
            driver = convert_to_tensor(driver_name, dtype=dtypes.string, name="driver_name")
            source = convert_to_tensor(data_source_name, dtype=dtypes.string,
                                       name="data_source_name")
            sql = convert_to_tensor(query, dtype=dtypes.string, name="query")
        specs = tuple(TensorSpec([], t) for t in types)
        variant = apply_op("SqlDataset", driver, source, sql,
                           output_types=types, output_shapes=[s.shape for s in specs])
        super().__init__(variant, specs[0] if single else specs)
