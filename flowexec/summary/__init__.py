"""`tf.summary`: summary ops and the FileWriter that writes what TensorBoard reads.

Summary ops (`scalar`, `histogram`, `merge`, `merge_all`) are graph ops whose output is a
serialized `Summary` protocol buffer: a `string` tensor of shape `()`. `Session.run` returns
those bytes, and `FileWriter.add_summary(bytes, global_step)` appends them to an event file,
next to the graph (`FileWriter(logdir, graph)` or `add_graph`), which is converted to a
`GraphDef` so TensorBoard's Graphs tab groups ops by name scope and shows shapes and devices.
Read the result with `tensorboard --logdir logs`.

The package is split by responsibility:

- `summary_ops`: the summary ops and their kernels (histogram buckets as TF's);
- `graph_def`: Graph and RunMetadata to the protocol buffers TensorBoard reads;
- `writer`: `FileWriter` and `FileWriterCache`, the event files;
- `description`: `get_summary_description` of TF 1.x TensorSummary nodes;
- `protos`: tensorboard's protocol buffers and event-file writer, loaded on first use.

Protocol buffers and the event-file writer come from the `tensorboard` package (the optional
extra `flowexec[tensorboard]`), and only where they are truly needed: this package imports
and builds summary ops without it; running a summary op without it fails with
FailedPreconditionError, and a FileWriter or GraphDef export raises ImportError, each saying
what to install.

Example:
    >>> import flowexec as tf
    >>> x = tf.placeholder(tf.float32, [None])
    >>> tf.summary.scalar("mean", tf.reduce_mean(x))
    >>> tf.summary.histogram("x", x)
    >>> merged = tf.summary.merge_all()
    >>> with tf.Session() as sess, tf.summary.FileWriter("logs", sess.graph) as writer:
    ...     for step in range(3):
    ...         writer.add_summary(sess.run(merged, {x: [1.0, 2.0, step]}), step)
"""

from flowexec.summary import protos
from flowexec.summary.description import get_summary_description
from flowexec.summary.graph_def import graph_def_proto
from flowexec.summary.summary_ops import (
    histogram,
    histogram_proto,
    merge,
    merge_all,
    scalar,
)
from flowexec.summary.summary_extra import (  # noqa: F401
    all_v2_summary_ops,
    audio,
    image,
    initialize,
    tensor_summary,
    text,
)
from flowexec.summary.writer import FileWriter, FileWriterCache

# Also (loaded on first access): Summary, SummaryDescription, HistogramProto, Event,
# SessionLog, TaggedRunMetadata, the tensorboard protocol buffer classes.
__all__ = ["FileWriter", "FileWriterCache", "get_summary_description", "graph_def_proto", "histogram", "histogram_proto",
           "merge", "merge_all", "scalar", "all_v2_summary_ops", "audio", "image", "initialize",
           "tensor_summary", "text"]


def __getattr__(name):
    """`tf.summary.Summary`, `Event`, `SessionLog`, ...: tensorboard's protos, loaded lazily."""
    cls = protos.proto_class(name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
