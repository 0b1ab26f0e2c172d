"""`tf.io`: the file API (`tf.io.gfile`). Graph writing and record formats join it with the
graph import/export work."""

from flowexec.platform import io_gfile as gfile  # noqa: F401
