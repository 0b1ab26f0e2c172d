"""`tf.image`: resizing, flips, standardization and crops for CNN input pipelines (see
flowexec/ops/image_ops.py).

Example:
    >>> import flowexec as tf
    >>> x = tf.image.per_image_standardization(tf.image.random_flip_left_right(image))
"""

from flowexec.ops.image_ops import (
    ResizeMethod,
    flip_left_right,
    flip_up_down,
    per_image_standardization,
    random_crop,
    random_flip_left_right,
    random_flip_up_down,
    resize_area,
    resize_bicubic,
    resize_bilinear,
    resize_images,
    resize_nearest_neighbor,
)

__all__ = ["ResizeMethod", "flip_left_right", "flip_up_down", "per_image_standardization",
           "random_crop", "random_flip_left_right", "random_flip_up_down", "resize_area",
           "resize_bicubic", "resize_bilinear",
           "resize_images", "resize_nearest_neighbor"]
