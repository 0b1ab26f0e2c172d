"""`tf.io`: the file API (`tf.io.gfile`). Graph writing and record formats join it with the
graph import/export work."""

from flowexec.platform import io_gfile as gfile  # noqa: F401
from flowexec.graph_io.export import write_graph  # noqa: F401,E402
from flowexec.ops.decode_ops import decode_csv, decode_raw  # noqa: F401,E402 (parsing)
from flowexec.ops.parsing_config import (  # noqa: F401,E402
    FixedLenFeature, FixedLenSequenceFeature, SparseFeature, VarLenFeature)
from flowexec.ops.example_parsing_ops import (  # noqa: F401,E402
    decode_json_example, parse_example, parse_sequence_example, parse_single_example,
    parse_single_sequence_example)
from flowexec.ops.sparse_serialize_ops import (  # noqa: F401,E402 (sparse)
    deserialize_many_sparse,
    serialize_many_sparse,
    serialize_sparse,
)
