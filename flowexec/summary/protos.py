"""The tensorboard protocol buffers and event-file writer `tf.summary` uses, loaded lazily.

Protocol buffers and the event-file writer come from the `tensorboard` package (the optional
extra `flowexec[tensorboard]`). Nothing here imports it until it is truly needed: building
summary ops never does; running them (serializing a `Summary`), exporting a GraphDef and
opening a FileWriter do, and fail with a message saying what to install.
"""

import threading

from flowexec import errors

INSTALL_HINT = ("tf.summary needs the 'tensorboard' package: pip install tensorboard "
                "(or pip install flowexec[tensorboard])")


class _Protos:
    """The tensorboard modules this file uses, imported on first use."""

    _lock = threading.Lock()
    _loaded = None

    @classmethod
    def get(cls):
        if cls._loaded is None:
            with cls._lock:
                if cls._loaded is None:
                    try:
                        from tensorboard.compat.proto import (
                            attr_value_pb2,
                            config_pb2,
                            event_pb2,
                            graph_pb2,
                            node_def_pb2,
                            step_stats_pb2,
                            summary_pb2,
                            tensor_pb2,
                            tensor_shape_pb2,
                        )
                        from tensorboard.summary.writer.event_file_writer import (
                            EventFileWriter,
                        )
                    except ImportError as e:
                        raise ImportError(INSTALL_HINT) from e
                    p = cls()
                    p.attr_value_pb2 = attr_value_pb2
                    p.config_pb2 = config_pb2
                    p.event_pb2 = event_pb2
                    p.graph_pb2 = graph_pb2
                    p.node_def_pb2 = node_def_pb2
                    p.step_stats_pb2 = step_stats_pb2
                    p.summary_pb2 = summary_pb2
                    p.tensor_pb2 = tensor_pb2
                    p.tensor_shape_pb2 = tensor_shape_pb2
                    p.EventFileWriter = EventFileWriter
                    cls._loaded = p
        return cls._loaded



def get():
    """The tensorboard modules (attributes `summary_pb2`, `event_pb2`, ..., `EventFileWriter`).

    Raises:
        ImportError: the tensorboard package is missing; the message says what to install.
    """
    return _Protos.get()


def for_kernel(op_type):
    """`get()` for a kernel: a missing tensorboard fails the step with TF's error type.

    Raises:
        flowexec.errors.FailedPreconditionError: the tensorboard package is missing.
    """
    try:
        return _Protos.get()
    except ImportError as e:
        raise errors.FailedPreconditionError(
            None, None, f"{op_type} cannot serialize its Summary: {INSTALL_HINT}") from e


PROTO_NAMES = {
    "Summary": ("summary_pb2", "Summary"),
    "SummaryDescription": ("summary_pb2", "SummaryDescription"),
    "HistogramProto": ("summary_pb2", "HistogramProto"),
    "Event": ("event_pb2", "Event"),
    "SessionLog": ("event_pb2", "SessionLog"),
    "TaggedRunMetadata": ("event_pb2", "TaggedRunMetadata"),
    "SummaryMetadata": ("summary_pb2", "SummaryMetadata"),
    "LogMessage": ("event_pb2", "LogMessage"),
}


def proto_class(name):
    """The tensorboard class of `tf.summary.<name>` (`Summary`, `Event`, ...), or None."""
    if name not in PROTO_NAMES:
        return None
    module, cls = PROTO_NAMES[name]
    return getattr(getattr(_Protos.get(), module), cls)

