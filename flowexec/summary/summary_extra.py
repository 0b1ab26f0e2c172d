"""More summary ops: `tensor_summary` and `text` (TensorSummaryV2), `image` (ImageSummary,
PNG-encoded as TF does), `audio` (AudioSummaryV2, WAV-encoded), plus `all_v2_summary_ops`
and `initialize` for TF 2-style summary code run in a graph.

Like the other summary ops, they run on the host and return a serialized `Summary`.
"""

import io
import struct
import wave
import zlib

import numpy as np

from flowexec import errors
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.summary import protos
from flowexec.summary.summary_ops import (
    _as_text,
    _check_string,
    _host,
    _string_result,
)

__all__ = ["all_v2_summary_ops", "audio", "image", "initialize", "tensor_summary", "text"]


def _make_tensor_proto(value):
    from flowexec.graph_io import make_tensor_proto

    return make_tensor_proto(value)


# ----- TensorSummaryV2 ------------------------------------------------------------------------
def _tensor_summary_infer(op):
    _check_string(op, 0, "tag")
    _check_string(op, 2, "serialized_summary_metadata")
    return [(dtypes.string, TensorShape([]))]


@defop("TensorSummaryV2", infer=_tensor_summary_infer, device_types=("CPU",))
def _tensor_summary(xp, tag, tensor, serialized_summary_metadata):
    p = protos.for_kernel("TensorSummaryV2")
    summary = p.summary_pb2.Summary()
    value = summary.value.add(tag=_as_text(_host(tag)[()]))
    meta = _host(serialized_summary_metadata)[()]
    value.metadata.ParseFromString(meta if isinstance(meta, bytes) else bytes(meta))
    value.tensor.CopyFrom(_make_tensor_proto(_host(tensor)))
    return _string_result(summary.SerializeToString())


_tensor_summary.not_differentiable()


def _metadata_bytes(plugin_name="", content=b"", display_name=None, description=None):
    p = protos.get()
    meta = p.summary_pb2.SummaryMetadata()
    if plugin_name:
        meta.plugin_data.plugin_name = plugin_name
        meta.plugin_data.content = content
    if display_name:
        meta.display_name = display_name
    if description:
        meta.summary_description = description
    return meta.SerializeToString()


def _tensor_summary_op(name, tensor, metadata_bytes, collections, family=None):
    from flowexec.framework.convert import convert_to_tensor
    from flowexec.framework.registry import apply_op
    from flowexec.framework.tensor import Tensor
    from flowexec.ops.constant_op import constant
    from flowexec.summary import summary_ops

    graph = tensor.graph if isinstance(tensor, Tensor) else graph_mod.get_default_graph()
    name = summary_ops._clean_tag(name)
    base = name if family is None else f"{family}/{name}"
    with graph.as_default(), graph.name_scope(base) as scope, graph.device("/device:CPU:0"):
        tag = scope[:-1] if family is None else f"{family}/{scope[:-1]}"
        if not isinstance(tensor, Tensor):
            tensor = convert_to_tensor(tensor, name="tensor")
        tag_t = constant(tag, dtype=dtypes.string, name="tag")
        meta_t = constant(metadata_bytes, dtype=dtypes.string, name="serialized_summary_metadata")
        out = apply_op("TensorSummaryV2", tag_t, tensor, meta_t, name=scope, T=tensor.dtype)
    summary_ops._collect(out, collections, [graph_mod.GraphKeys.SUMMARIES])
    return out


def tensor_summary(name, tensor, summary_description=None, collections=None,
                   summary_metadata=None, family=None, display_name=None):
    """A summary holding a whole tensor (op type TensorSummaryV2).

    Args:
        name: the summary's name (its tag, inside the current name scope).
        tensor: any Tensor (or value).
        summary_description: a description stored in the metadata.
        collections: collections to add the op to (default [GraphKeys.SUMMARIES]).
        summary_metadata: a SummaryMetadata proto to use instead.
        family: a tag prefix; display_name: TensorBoard's display name.

    Returns:
        A scalar string Tensor: a serialized Summary.
    """
    if summary_metadata is not None:
        meta = summary_metadata.SerializeToString()
    else:
        meta = _metadata_bytes(display_name=display_name, description=summary_description)
    return _tensor_summary_op(name, tensor, meta, collections, family)


def text(name, tensor, collections=None):
    """A summary of a string tensor for TensorBoard's Text tab (plugin "text").

    Raises:
        ValueError: `tensor` is not a string tensor.
    """
    from flowexec.framework.convert import convert_to_tensor

    t = convert_to_tensor(tensor)
    if t.dtype is not dtypes.string:
        raise ValueError(f"Expected tensor {t.name} to have dtype string, got {t.dtype.name}")
    return _tensor_summary_op(name, t, _metadata_bytes("text"), collections)


# ----- ImageSummary ---------------------------------------------------------------------------
def _png(image):
    """PNG bytes of an [h, w, c] uint8 image (c = 1 grey, 3 RGB, 4 RGBA)."""
    h, w, c = image.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def _image_infer(op):
    _check_string(op, 0, "tag")
    t = op.inputs[1]
    if t.dtype not in (dtypes.uint8, dtypes.float16, dtypes.float32, dtypes.float64):
        raise TypeError(f"Value passed to parameter 'tensor' has DataType {t.dtype.name} not in "
                        f"list of allowed values: uint8, float32, half, float64")
    if t.shape.ndims not in (None, 4):
        raise ValueError(f"Shape must be rank 4 but is rank {t.shape.ndims} for "
                         f"'{op.name}' (op: 'ImageSummary')")
    return [(dtypes.string, TensorShape([]))]


def _to_uint8(images):
    """TF's image summary normalization for floats: scale so the largest |value| maps to 255
    (values >= 0) or to [0, 255] around 127 (signed), as TF's ImageSummaryOp."""
    if images.dtype == np.uint8:
        return images
    out = np.empty(images.shape, dtype=np.uint8)
    for i, im in enumerate(images):
        finite = im[np.isfinite(im)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 0.0
        if lo >= 0:
            scale = 255.0 / hi if hi > 0 else 0.0
            offset = 0.0
        else:
            scale = 127.0 / max(-lo, hi) if max(-lo, hi) > 0 else 0.0
            offset = 128.0
        scaled = np.where(np.isfinite(im), im * scale + offset, 0.0)
        out[i] = np.clip(np.floor(scaled + 0.5), 0, 255).astype(np.uint8)
        bad = ~np.isfinite(im).all(axis=-1)
        out[i][bad] = np.array([255, 0, 0, 255][:im.shape[-1]], dtype=np.uint8)
    return out


@defop("ImageSummary", infer=_image_infer, device_types=("CPU",))
def _image_summary(xp, tag, tensor, *, max_images=3, bad_color=None):
    p = protos.for_kernel("ImageSummary")
    images = _host(tensor)
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise errors.InvalidArgumentError(
            None, None, f"Tensor must be 4-D with last dim 1, 3, or 4, not "
                        f"[{','.join(map(str, images.shape))}]")
    tag = _as_text(_host(tag)[()])
    images = _to_uint8(images[:max_images])
    summary = p.summary_pb2.Summary()
    for i, im in enumerate(images):
        t = f"{tag}/image" if len(images) == 1 else f"{tag}/image/{i}"
        value = summary.value.add(tag=t)
        value.image.height, value.image.width, value.image.colorspace = (
            im.shape[0], im.shape[1], im.shape[2])
        value.image.encoded_image_string = _png(np.ascontiguousarray(im))
    return _string_result(summary.SerializeToString())


_image_summary.not_differentiable()


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """A summary of up to `max_outputs` images of a [batch, height, width, channels] tensor
    (channels 1, 3 or 4), PNG-encoded (op type ImageSummary); float images are scaled as TF
    does, uint8 ones are used as they are.

    Returns:
        A scalar string Tensor: a serialized Summary with tags "<name>/image/<i>"
        ("<name>/image" for one image).
    """
    return _image_like("ImageSummary", name, tensor, family, collections,
                       max_images=max_outputs)


def _image_like(op_type, name, tensor, family, collections, **attrs):
    from flowexec.framework.convert import convert_to_tensor
    from flowexec.framework.registry import apply_op
    from flowexec.framework.tensor import Tensor
    from flowexec.ops.constant_op import constant
    from flowexec.summary import summary_ops

    graph = tensor.graph if isinstance(tensor, Tensor) else graph_mod.get_default_graph()
    name = summary_ops._clean_tag(name)
    family = summary_ops._clean_tag(family) if family else None
    base = name if family is None else f"{family}/{name}"
    with graph.as_default(), graph.name_scope(base) as scope, graph.device("/device:CPU:0"):
        tag = scope[:-1] if family is None else f"{family}/{scope[:-1]}"
        if not isinstance(tensor, Tensor):
            tensor = convert_to_tensor(tensor, name="tensor")
        inputs = [constant(tag, dtype=dtypes.string, name="tag"), tensor]
        if "sample_rate" in attrs:
            inputs.append(convert_to_tensor(attrs.pop("sample_rate"), dtype=dtypes.float32,
                                            name="sample_rate"))
        out = apply_op(op_type, *inputs, name=scope, **{k: int(v) for k, v in attrs.items()})
    summary_ops._collect(out, collections, [graph_mod.GraphKeys.SUMMARIES])
    return out


# ----- AudioSummaryV2 -------------------------------------------------------------------------
def _audio_infer(op):
    _check_string(op, 0, "tag")
    if op.inputs[1].dtype is not dtypes.float32:
        raise TypeError(f"Input 'tensor' of 'AudioSummaryV2' Op has type "
                        f"{op.inputs[1].dtype.name} that does not match expected type of float")
    return [(dtypes.string, TensorShape([]))]


def _wav(samples, rate):
    """16-bit PCM WAV bytes of [frames, channels] floats in [-1, 1]."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


@defop("AudioSummaryV2", infer=_audio_infer, device_types=("CPU",))
def _audio_summary(xp, tag, tensor, sample_rate, *, max_outputs=3):
    p = protos.for_kernel("AudioSummaryV2")
    audio_data = _host(tensor)
    if audio_data.ndim == 2:
        audio_data = audio_data[:, :, None]
    if audio_data.ndim != 3:
        raise errors.InvalidArgumentError(None, None, "Tensor must be 3-D or 2-D, got: "
                                                      f"[{','.join(map(str, audio_data.shape))}]")
    rate = float(_host(sample_rate))
    tag = _as_text(_host(tag)[()])
    summary = p.summary_pb2.Summary()
    clips = audio_data[:max_outputs]
    for i, clip in enumerate(clips):
        t = f"{tag}/audio" if len(clips) == 1 else f"{tag}/audio/{i}"
        value = summary.value.add(tag=t)
        value.audio.sample_rate = rate
        value.audio.num_channels = clip.shape[1]
        value.audio.length_frames = clip.shape[0]
        value.audio.content_type = "audio/wav"
        value.audio.encoded_audio_string = _wav(clip, rate)
    return _string_result(summary.SerializeToString())


_audio_summary.not_differentiable()


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """A summary of up to `max_outputs` clips of a [batch, frames] or [batch, frames,
    channels] float32 tensor in [-1, 1], as 16-bit WAV (op type AudioSummaryV2)."""
    return _image_like("AudioSummaryV2", name, tensor, family, collections,
                       sample_rate=sample_rate, max_outputs=max_outputs)


# ----- TF 2 summary helpers in a graph --------------------------------------------------------
_SUMMARY_V2 = "_SUMMARY_V2"


def all_v2_summary_ops():
    """The TF 2-style summary ops of the default graph (collection "_SUMMARY_V2"); flowexec
    builds only TF 1.x summaries, so this is the (usually empty) collection."""
    return graph_mod.get_default_graph().get_collection(_SUMMARY_V2)


def initialize(graph=None, session=None):
    """Runs the initializers of the graph's TF 2-style summary writers (collection
    "_SUMMARY_WRITER_INIT_OP") in `session` (default: the default session).

    Raises:
        ValueError: there are initializers to run and no session.
    """
    from flowexec.framework.default_session import get_default_session

    graph = graph or graph_mod.get_default_graph()
    inits = graph.get_collection("_SUMMARY_WRITER_INIT_OP")
    if not inits:
        return
    session = session or get_default_session()
    if session is None:
        raise ValueError("Must provide a session when not using the default session")
    session.run(inits)
