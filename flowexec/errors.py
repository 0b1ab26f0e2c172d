"""`flowexec.errors`: TensorFlow's error classes (`tf.errors.*`)."""

from flowexec.framework.errors import *  # noqa: F401,F403
from flowexec.framework.errors import OpError  # noqa: F401
