"""`tf.saved_model.tag_constants`: the standard tags of a SavedModel's meta graphs."""

SERVING = "serve"
TRAINING = "train"
GPU = "gpu"
TPU = "tpu"
