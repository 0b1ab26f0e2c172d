"""Records TensorFlow's results for the image and audio codecs (`tf.image.decode_jpeg`, ...,
`tf.audio.decode_wav`) into tests/data/tf1/image_codec/ (read by tests/ops/test_image_codecs.py
and tests/ops/test_audio_ops.py).

Run with a TensorFlow install (not a flowexec dependency) that also has Pillow, from the
repository root:

    /work/tfvenv/bin/python scripts/make_tf_image_codec_fixtures.py

Everything runs in TF1 graph mode (`tf.compat.v1`) in a Session. The pictures are
deterministic numpy arrays (gradients plus `default_rng` noise, odd sizes so that chroma
subsampling and DCT scaling hit their edge cases). The encoded files are made by TF itself
(JPEG, PNG, WAV) or, for what TF cannot write (4:2:2 JPEG, palette/1-bit PNG, GIF, BMP), by
Pillow and by hand. Saved in `cases.npz` (compressed):

    file/<name>      the bytes of an encoded file (uint8 vector)
    input/<name>     an input array (images for encoders, audio for EncodeWav)
    out/<case>       TF's output of a case (decoded image, audio, shape)

and `cases.json` lists the cases: the function, its file or input, its keyword arguments,
and either the outputs' dtypes and shapes or the error TF raised (class name and message,
without TF's node suffix).
"""

import io
import json
import os
import struct

import numpy as np
import tensorflow as tf
from PIL import Image

tf1 = tf.compat.v1
tf1.disable_eager_execution()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "tf1",
                   "image_codec")

FILES, INPUTS, OUTS, CASES = {}, {}, {}, []


def pictures():
    rng = np.random.default_rng(20240917)
    h, w = 29, 45
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 5) % 256, (yy * 8) % 256, ((xx + yy) * 3) % 256], -1)
    rgb = np.clip(rgb + rng.normal(0, 18, rgb.shape), 0, 255).astype(np.uint8)
    alpha = ((xx * 7 + yy * 3) % 256).astype(np.uint8)[..., None]
    rgb16 = rng.integers(0, 65536, (9, 11, 3)).astype(np.uint16)
    audio = np.sin(np.linspace(0, 20, 40))[:, None] * np.array([[0.5, -0.9]])
    audio[3] = [1.5, -1.2]           # clipped on encode
    audio[4] = [0.99999, -1.0]
    return {"rgb": rgb, "rgba": np.concatenate([rgb, alpha], -1), "gray": rgb[..., :1].copy(),
            "ga": np.concatenate([rgb[..., :1], alpha], -1), "rgb16": rgb16,
            "gray16": rgb16[..., :1].copy(), "ga16": rgb16[..., :2].copy(),
            "rgba16": np.concatenate([rgb16, rgb16[..., :1]], -1),
            "audio_stereo": audio.astype(np.float32),
            "audio_mono": audio[:, :1].astype(np.float32)}


def _pil_bytes(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _gif_animation(rgb):
    """Three 16-colour frames; Pillow's writer crops later frames to the changed box and uses
    a transparent index for unchanged pixels, which the decoder must composite."""
    base = Image.fromarray(rgb).quantize(16, dither=Image.Dither.NONE)
    pal = base.getpalette()[:48]
    idx = np.asarray(base).copy()
    frames = [idx.copy()]
    idx[5:12, 10:30] = (idx[5:12, 10:30] + 3) % 16
    frames.append(idx.copy())
    idx[20:, :7] = 1
    frames.append(idx.copy())
    ims = []
    for f in frames:
        im = Image.fromarray(f, "P")
        im.putpalette(pal)
        ims.append(im)
    return _pil_bytes(ims[0], "GIF", save_all=True, append_images=ims[1:], duration=50,
                      loop=0)


def _bmp(pixels, bpp, top_down=False):
    """A BITMAPINFOHEADER BMP of `pixels` (uint8 HxWxC, C = bpp/8), rows padded to 4 bytes."""
    h, w = pixels.shape[:2]
    c = bpp // 8
    data = pixels[..., ::-1] if c >= 3 else pixels
    if c == 4:
        data = pixels[..., [2, 1, 0, 3]]
    stride = (w * c + 3) // 4 * 4
    order = range(h) if top_down else range(h - 1, -1, -1)
    rows = b"".join(data[i].tobytes().ljust(stride, b"\0") for i in order)
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256)) if bpp == 8 else b""
    offset = 14 + 40 + len(palette)
    header = struct.pack("<2sIHHI", b"BM", offset + len(rows), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, 0, len(rows),
                       2835, 2835, 256 if bpp == 8 else 0, 0)
    return header + info + palette + rows


def _wav(channels=1, rate=8000, bits=16, fmt=1, samples=b"\x01\x00\x02\x00", fmt_size=16,
         riff=b"RIFF", wave=b"WAVE"):
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    fmt_chunk += b"\0" * (fmt_size - 16)
    body = (wave + b"fmt " + struct.pack("<I", fmt_size) + fmt_chunk + b"data"
            + struct.pack("<I", len(samples)) + samples)
    return riff + struct.pack("<I", len(body)) + body


def make_files(p, sess):
    enc = {
        "jpeg_q75": tf1.image.encode_jpeg(p["rgb"], quality=75),
        "jpeg_q95_444": tf1.image.encode_jpeg(p["rgb"], quality=95, chroma_downsampling=False),
        "jpeg_gray": tf1.image.encode_jpeg(p["gray"], quality=90),
        "jpeg_progressive": tf1.image.encode_jpeg(p["rgb"], progressive=True, quality=80),
        "png_rgb8": tf1.image.encode_png(p["rgb"]),
        "png_rgba8": tf1.image.encode_png(p["rgba"], compression=9),
        "png_gray8": tf1.image.encode_png(p["gray"]),
        "png_ga8": tf1.image.encode_png(p["ga"]),
        "png_rgb16": tf1.image.encode_png(p["rgb16"]),
        "png_rgba16": tf1.image.encode_png(p["rgba16"]),
        "png_gray16": tf1.image.encode_png(p["gray16"]),
        "png_ga16": tf1.image.encode_png(p["ga16"]),
        "wav_stereo": tf.audio.encode_wav(p["audio_stereo"], 16000),
        "wav_mono": tf.audio.encode_wav(p["audio_mono"], 44100),
    }
    for k, v in zip(enc, sess.run(list(enc.values()))):
        FILES[k] = v
    rgb = Image.fromarray(p["rgb"])
    FILES["jpeg_422"] = _pil_bytes(rgb, "JPEG", quality=85, subsampling=1)
    pal = rgb.quantize(7, dither=Image.Dither.NONE)
    FILES["png_palette"] = _pil_bytes(pal, "PNG")
    FILES["png_palette_trns"] = _pil_bytes(pal, "PNG", transparency=bytes([255, 0, 128] + [255] * 4))
    FILES["png_1bit"] = _pil_bytes(Image.fromarray(p["gray"][..., 0] > 128), "PNG")
    FILES["gif_animated"] = _gif_animation(p["rgb"])
    FILES["gif_single"] = _pil_bytes(pal, "GIF")
    FILES["bmp24"] = _bmp(p["rgb"][:, :43], 24)       # 43 * 3 = 129: padded rows
    FILES["bmp32"] = _bmp(p["rgba"][:7, :9], 32, top_down=True)
    FILES["bmp8"] = _bmp(p["gray"][:9, :7], 8)
    FILES["garbage"] = b"this is not an image at all, just some text"
    FILES["jpeg_truncated"] = FILES["jpeg_q75"][: len(FILES["jpeg_q75"]) * 2 // 3]
    FILES["jpeg_bad_header"] = b"\xff\xd8\xff" + b"\x00" * 40
    FILES["png_bad"] = b"\x89PNG\r\n\x1a\n" + b"\x00" * 30
    FILES["gif_bad"] = b"GIF89a" + b"\x00" * 10
    FILES["bmp_bad"] = b"BM" + b"\x00" * 20
    FILES["empty"] = b""
    FILES["wav_8bit"] = _wav(bits=8, samples=b"\x01\x02")
    FILES["wav_float"] = _wav(fmt=3)
    FILES["wav_not_riff"] = _wav(riff=b"RIFX")
    FILES["wav_not_wave"] = _wav(wave=b"WAVX")
    FILES["wav_short"] = _wav()[:20]
    FILES["wav_fmt18"] = _wav(fmt_size=18, channels=2, samples=b"\x00\x80\xff\x7f\x01\x00\x00\x00")
    FILES["wav_mono_short"] = _wav(samples=struct.pack("<5h", 0, 16384, -16384, 32767, -32768))


def _error_text(e):
    msg = e.message if hasattr(e, "message") else str(e)
    if "\nNode: '" in msg:  # TF 2's "Graph execution error: Detected at node ..." preamble
        msg = msg.split("\nNode: '", 1)[1].split("\n", 1)[1]
    for cut in ("\n\t [[", "\n\n", " [[{{node"):
        if cut in msg:
            msg = msg[:msg.index(cut)]
    return msg.strip()


def case(sess, name, fn, build, file=None, inp=None, **kw):
    """Runs `build()` (the TF call) in a fresh graph; records outputs or the error."""
    with tf1.Graph().as_default():
        row = {"name": name, "fn": fn, "file": file, "input": inp, "kwargs": kw}
        try:
            outs = build()
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            with tf1.Session() as s:
                vals = s.run(outs)
            row["outputs"] = []
            for i, v in enumerate(vals):
                key = f"{name}/{i}"
                v = np.asarray(v)
                if v.dtype == object:
                    v = np.frombuffer(v.item(), np.uint8)
                    row["outputs"].append({"key": key, "dtype": "bytes", "shape": None})
                else:
                    row["outputs"].append({"key": key, "dtype": v.dtype.name,
                                           "shape": list(v.shape)})
                OUTS[key] = v
            row["error"] = None
        except (tf.errors.OpError, ValueError, TypeError) as e:
            row["outputs"] = None
            row["error"] = [type(e).__name__, _error_text(e)]
        CASES.append(row)


def main():
    p = pictures()
    for k, v in p.items():
        INPUTS[k] = v
    with tf1.Session() as sess:
        make_files(p, sess)

    def c(name, fn, file=None, inp=None, **kw):
        api = {"decode_jpeg": tf1.image.decode_jpeg, "decode_png": tf1.image.decode_png,
               "decode_bmp": tf1.image.decode_bmp, "decode_gif": tf1.image.decode_gif,
               "decode_image": tf1.image.decode_image, "extract_jpeg_shape":
               tf1.image.extract_jpeg_shape, "decode_and_crop_jpeg":
               tf1.image.decode_and_crop_jpeg, "is_jpeg": tf1.image.is_jpeg,
               "encode_jpeg": tf1.image.encode_jpeg, "encode_png": tf1.image.encode_png,
               "adjust_jpeg_quality": tf1.image.adjust_jpeg_quality,
               "decode_wav": tf.audio.decode_wav, "encode_wav": tf.audio.encode_wav}[fn]
        targs = {k: (getattr(tf, v[3:]) if isinstance(v, str) and v.startswith("tf.") else v)
                 for k, v in kw.items()}

        def build():
            if fn == "encode_wav":
                return api(INPUTS[inp], **targs)
            if inp is not None:
                return api(INPUTS[inp], **targs)
            return api(tf.constant(FILES[file]), **targs)
        case(None, name, fn, build, file=file, inp=inp, **kw)

    # JPEG decode: every DCT method x upsampling x ratio x channels of a 4:2:0 file.
    for dct in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
        for fancy in (True, False):
            for ratio in (1, 2, 4, 8):
                for ch in (0, 1, 3):
                    c(f"jpeg420_{dct or 'default'}_{int(fancy)}_r{ratio}_c{ch}", "decode_jpeg",
                      "jpeg_q75", channels=ch, ratio=ratio, fancy_upscaling=fancy,
                      dct_method=dct)
    for f in ("jpeg_q95_444", "jpeg_422", "jpeg_gray", "jpeg_progressive"):
        for dct in ("", "INTEGER_ACCURATE"):
            for fancy in (True, False):
                for ch in (0, 1, 3):
                    c(f"{f}_{dct or 'default'}_{int(fancy)}_c{ch}", "decode_jpeg", f,
                      channels=ch, dct_method=dct, fancy_upscaling=fancy)
        c(f"{f}_r2", "decode_jpeg", f, ratio=2)
    c("jpeg_bad_ratio", "decode_jpeg", "jpeg_q75", ratio=3)
    c("jpeg_bad_channels", "decode_jpeg", "jpeg_q75", channels=2)
    c("jpeg_bad_dct", "decode_jpeg", "jpeg_q75", dct_method="FLOAT")
    c("jpeg_garbage", "decode_jpeg", "garbage")
    c("jpeg_bad_header", "decode_jpeg", "jpeg_bad_header")
    c("jpeg_empty", "decode_jpeg", "empty")
    c("jpeg_truncated", "decode_jpeg", "jpeg_truncated")
    c("jpeg_truncated_recover", "decode_jpeg", "jpeg_truncated", try_recover_truncated=True,
      acceptable_fraction=0.3)
    c("jpeg_decodes_png", "decode_jpeg", "png_rgb8")
    c("jpeg_decodes_gif", "decode_jpeg", "gif_single")
    for win in ([0, 0, 29, 45], [5, 7, 20, 30], [3, 1, 1, 1], [13, 40, 16, 5]):
        c("crop_" + "_".join(map(str, win)), "decode_and_crop_jpeg", "jpeg_q75",
          crop_window=win)
    c("crop_gray_c3", "decode_and_crop_jpeg", "jpeg_gray", crop_window=[2, 3, 10, 11],
      channels=3)
    c("crop_ratio2", "decode_and_crop_jpeg", "jpeg_q75", crop_window=[2, 3, 10, 11], ratio=2)
    for win in ([0, 0, 30, 45], [0, 40, 5, 6], [-1, 0, 3, 3], [0, 0, 0, 3]):
        c("crop_bad_" + "_".join(map(str, win)), "decode_and_crop_jpeg", "jpeg_q75",
          crop_window=win)
    for f in ("jpeg_q75", "jpeg_gray", "jpeg_progressive"):
        c(f"shape_{f}", "extract_jpeg_shape", f)
    c("shape_int64", "extract_jpeg_shape", "jpeg_422", output_type="tf.int64")
    c("shape_garbage", "extract_jpeg_shape", "garbage")
    for f in ("jpeg_q75", "png_rgb8", "gif_single", "garbage", "empty"):
        c(f"is_jpeg_{f}", "is_jpeg", f)

    # JPEG encode: TF's bytes.
    enc_cases = [("rgb", {}), ("rgb", {"quality": 10}), ("rgb", {"quality": 50}),
                 ("rgb", {"quality": 100}), ("rgb", {"chroma_downsampling": False}),
                 ("rgb", {"progressive": True}), ("rgb", {"optimize_size": True}),
                 ("rgb", {"density_unit": "cm", "x_density": 72, "y_density": 144}),
                 ("rgb", {"xmp_metadata": "<x:xmpmeta>flowexec</x:xmpmeta>"}),
                 ("gray", {}), ("gray", {"quality": 30}), ("gray", {"format": "grayscale"}),
                 ("rgb", {"format": "rgb"}), ("gray", {"format": "rgb"}),
                 ("rgb", {"format": "grayscale"}), ("rgba", {}), ("ga", {}),
                 ("rgb", {"quality": 101})]
    for i, (inp, kw) in enumerate(enc_cases):
        c(f"encode_jpeg_{i}", "encode_jpeg", inp=inp, **kw)
    for q in (5, 40, 90):
        c(f"adjust_jpeg_quality_{q}", "adjust_jpeg_quality", inp="rgb", jpeg_quality=q)

    # PNG.
    for f in ("png_rgb8", "png_rgba8", "png_gray8", "png_ga8", "png_rgb16", "png_rgba16",
              "png_gray16", "png_ga16", "png_palette", "png_palette_trns", "png_1bit"):
        for ch in (0, 1, 3, 4):
            for dt in ("tf.uint8", "tf.uint16"):
                c(f"{f}_c{ch}_{dt[3:]}", "decode_png", f, channels=ch, dtype=dt)
    c("png_bad_channels", "decode_png", "png_rgb8", channels=2)
    c("png_decodes_jpeg", "decode_png", "jpeg_q75")
    c("png_garbage", "decode_png", "garbage")
    c("png_bad", "decode_png", "png_bad")
    c("png_decodes_gif", "decode_png", "gif_single")

    # GIF and BMP.
    for f in ("gif_animated", "gif_single"):
        c(f, "decode_gif", f)
    c("gif_garbage", "decode_gif", "garbage")
    c("gif_bad", "decode_gif", "gif_bad")
    c("gif_decodes_png", "decode_gif", "png_rgb8")
    for f in ("bmp24", "bmp32", "bmp8"):
        for ch in (0, 1, 3, 4):
            c(f"{f}_c{ch}", "decode_bmp", f, channels=ch)
    c("bmp_garbage", "decode_bmp", "garbage")
    c("bmp_bad", "decode_bmp", "bmp_bad")

    # decode_image (TF 1.x python: sniffs the format, converts the dtype).
    for f in ("jpeg_q75", "png_rgba8", "png_rgb16", "gif_animated", "gif_single", "bmp24",
              "png_palette"):
        c(f"image_{f}", "decode_image", f)
        c(f"image_{f}_c3_f32", "decode_image", f, channels=3, dtype="tf.float32")
    c("image_png16_u16", "decode_image", "png_rgb16", dtype="tf.uint16")
    c("image_gif_flat", "decode_image", "gif_animated", expand_animations=False)
    c("image_garbage", "decode_image", "garbage")
    c("image_empty", "decode_image", "empty")
    c("image_gif_c1", "decode_image", "gif_single", channels=1)
    c("image_bmp_c1", "decode_image", "bmp24", channels=1)

    # WAV.
    for f in ("wav_stereo", "wav_mono", "wav_fmt18", "wav_mono_short"):
        c(f"{f}", "decode_wav", f)
    for ch, n in ((1, -1), (2, -1), (3, -1), (-1, 10), (-1, 60), (1, 7)):
        c(f"wav_stereo_ch{ch}_n{n}", "decode_wav", "wav_stereo", desired_channels=ch,
          desired_samples=n)
    c("wav_mono_ch2", "decode_wav", "wav_mono", desired_channels=2)
    for f in ("wav_8bit", "wav_float", "wav_not_riff", "wav_not_wave", "wav_short", "empty",
              "garbage"):
        c(f"wav_err_{f}", "decode_wav", f)
    c("encode_wav_stereo", "encode_wav", inp="audio_stereo", sample_rate=16000)
    c("encode_wav_mono", "encode_wav", inp="audio_mono", sample_rate=8000)

    os.makedirs(OUT, exist_ok=True)
    arrays = {f"file/{k}": np.frombuffer(v, np.uint8) for k, v in FILES.items()}
    arrays.update({f"input/{k}": v for k, v in INPUTS.items()})
    arrays.update({f"out/{k}": v for k, v in OUTS.items()})
    np.savez_compressed(os.path.join(OUT, "cases.npz"), **arrays)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        f.write('{"tensorflow": %s, "cases": [\n' % json.dumps(tf.__version__))
        f.write(",\n".join(json.dumps(r) for r in CASES))
        f.write("\n]}\n")
    print(f"{len(CASES)} cases, {sum(r['error'] is not None for r in CASES)} errors")


if __name__ == "__main__":
    main()
