"""`tf.image`: resizing, flips, standardization and crops for CNN input pipelines (see
flowexec/ops/image_ops.py); colour adjustments and colour-space conversions
(flowexec/ops/image_color_ops.py); non-max suppression (flowexec/ops/image_nms_ops.py);
crop_and_resize and bounding boxes (flowexec/ops/image_detection_ops.py); crops, pads, rotations and image-quality measures
(flowexec/ops/image_geometry_ops.py).

Example:
    >>> import flowexec as tf
    >>> x = tf.image.per_image_standardization(tf.image.random_flip_left_right(image))
"""

from flowexec.ops.image_color_ops import (
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    convert_image_dtype,
    grayscale_to_rgb,
    hsv_to_rgb,
    random_brightness,
    random_contrast,
    random_hue,
    random_saturation,
    rgb_to_grayscale,
    rgb_to_hsv,
    rgb_to_yiq,
    rgb_to_yuv,
    yiq_to_rgb,
    yuv_to_rgb,
)
from flowexec.ops.image_detection_ops import (
    crop_and_resize,
    draw_bounding_boxes,
    sample_distorted_bounding_box,
)
from flowexec.ops.image_geometry_ops import (
    central_crop,
    crop_to_bounding_box,
    image_gradients,
    pad_to_bounding_box,
    psnr,
    resize_image_with_crop_or_pad,
    resize_image_with_pad,
    resize_with_crop_or_pad,
    resize_with_pad,
    rot90,
    sobel_edges,
    ssim,
    ssim_multiscale,
    total_variation,
    transpose,
    transpose_image,
)
from flowexec.ops.image_nms_ops import (
    non_max_suppression,
    non_max_suppression_overlaps,
    non_max_suppression_padded,
    non_max_suppression_with_scores,
)
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

__all__ = ["ResizeMethod", "central_crop", "crop_to_bounding_box", "image_gradients",
           "pad_to_bounding_box", "psnr", "resize_image_with_crop_or_pad",
           "resize_image_with_pad", "resize_with_crop_or_pad", "resize_with_pad", "rot90",
           "sobel_edges", "ssim", "ssim_multiscale", "total_variation", "transpose",
           "transpose_image", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_hue", "adjust_saturation", "convert_image_dtype", "crop_and_resize",
           "draw_bounding_boxes", "flip_left_right", "flip_up_down",
           "non_max_suppression", "non_max_suppression_overlaps", "non_max_suppression_padded",
           "non_max_suppression_with_scores", "sample_distorted_bounding_box", "grayscale_to_rgb", "hsv_to_rgb", "per_image_standardization",
           "random_brightness", "random_contrast", "random_crop", "random_flip_left_right",
           "random_flip_up_down", "random_hue", "random_saturation", "resize_area",
           "resize_bicubic", "resize_bilinear", "resize_images", "resize_nearest_neighbor",
           "rgb_to_grayscale", "rgb_to_hsv", "rgb_to_yiq", "rgb_to_yuv", "yiq_to_rgb",
           "yuv_to_rgb"]
