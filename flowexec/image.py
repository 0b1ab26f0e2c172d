"""`tf.image`: resizing, flips, standardization and crops for CNN input pipelines (see
flowexec/ops/image_ops.py); colour adjustments and colour-space conversions
(flowexec/ops/image_color_ops.py); non-max suppression (flowexec/ops/image_nms_ops.py);
crop_and_resize and bounding boxes (flowexec/ops/image_detection_ops.py); crops, pads, rotations and image-quality measures
(flowexec/ops/image_geometry_ops.py); JPEG/PNG/GIF/BMP decoding and encoding
(flowexec/ops/image_codec_ops.py; Pillow for JPEG and GIF: pip install 'flowexec[image]').

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
from flowexec.ops.image_codec_ops import (
    adjust_jpeg_quality,
    decode_and_crop_jpeg,
    decode_bmp,
    decode_gif,
    decode_image,
    decode_jpeg,
    decode_png,
    encode_jpeg,
    encode_png,
    extract_jpeg_shape,
    is_jpeg,
    random_jpeg_quality,
)
from flowexec.ops.image_combined_nms_ops import combined_non_max_suppression
from flowexec.ops.image_glimpse_ops import extract_glimpse
from flowexec.ops.patch_ops import extract_image_patches
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
           "non_max_suppression_with_scores", "sample_distorted_bounding_box", "grayscale_to_rgb",
           "hsv_to_rgb", "per_image_standardization",
           "random_brightness", "random_contrast", "random_crop", "random_flip_left_right",
           "random_flip_up_down", "random_hue", "random_saturation", "resize_area",
           "resize_bicubic", "resize_bilinear", "resize_images", "resize_nearest_neighbor",
           "rgb_to_grayscale", "rgb_to_hsv", "rgb_to_yiq", "rgb_to_yuv", "yiq_to_rgb",
           "yuv_to_rgb", "adjust_jpeg_quality", "decode_and_crop_jpeg", "decode_bmp",
           "decode_gif", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "extract_jpeg_shape", "is_jpeg", "random_jpeg_quality",
           "combined_non_max_suppression", "extract_glimpse", "extract_image_patches",
           "extract_patches", "resize"]

# TF 1.x's `tf.image.resize` is `resize_images` (TF1 methods and align_corners)
resize = resize_images


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """TF's `tf.image.extract_patches`: `extract_image_patches` with `sizes` for `ksizes`.

    Example:
        >>> patches = extract_patches(x, [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    """
    return extract_image_patches(images, sizes, strides, rates, padding, name=name)
