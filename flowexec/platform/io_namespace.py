"""`tf.io`: the file API (`tf.io.gfile`), reading and writing files, the record formats
(TFRecord), Example parsing, tensor and sparse serialization, the image codecs and the queues,
under TF 1.x's `tf.io` names (each is the same object as its `tf.*`, `tf.python_io.*`,
`tf.train.*` or `tf.image.*` name)."""

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
from flowexec.ops.string_ops import (  # noqa: F401,E402 (files, base64)
    decode_base64, encode_base64, read_file, write_file)
from flowexec.ops.io_ops import matching_files  # noqa: F401,E402
from flowexec.train.training_extras import match_filenames_once  # noqa: F401,E402
from flowexec.ops.tensor_proto_ops import (  # noqa: F401,E402 (tensors)
    decode_compressed, parse_tensor, serialize_tensor)
from flowexec.python_io import (  # noqa: F401,E402 (records)
    TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator)
from flowexec.ops.data_flow_ops import (  # noqa: F401,E402 (queues)
    FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue)
from flowexec.ops.priority_queue_ops import PriorityQueue  # noqa: F401,E402
from flowexec.ops.image_codec_ops import (  # noqa: F401,E402 (image codecs)
    decode_and_crop_jpeg, decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png,
    encode_jpeg, encode_png, extract_jpeg_shape, is_jpeg)
