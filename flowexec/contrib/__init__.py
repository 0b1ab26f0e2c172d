"""`tf.contrib`: the few TF 1.x contrib names flowexec has (`tf.contrib.training`)."""

from flowexec.contrib import training  # noqa: F401
