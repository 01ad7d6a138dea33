"""An image file as a model input, without an image library: PNG (1 to 16 bits; grey, RGB,
grey+alpha, RGBA, palette; not interlaced) and binary netpbm (P5 PGM, P6 PPM) decoded with zlib,
struct and numpy; bilinear resizing (pixel centres, as OpenCV's INTER_LINEAR and PIL without
antialiasing); the layout an input's dims ask for ([3,H,W] CHW or [H,W,3] HWC, optionally under
one leading dim); and the scaling its datatype takes. tui.core.workflows.infer fills inputs with it.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = "PNG and binary PPM/PGM (P6/P5)"
SCALES = ("unit", "raw", "imagenet")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FLOAT_TYPES = ("FP16", "FP32", "FP64")
INT_TYPES = ("UINT8", "UINT16", "UINT32", "UINT64", "INT16", "INT32", "INT64")  # hold 0..255
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


class ImageError(ValueError):
    """The file cannot be read as an image here (the message names it and says why)."""


def read_image(path: Path) -> tuple[np.ndarray[Any, Any], int]:
    """(pixels [H, W, C] with C 1 to 4, the maximum sample value) of a PNG, PPM or PGM file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if data.startswith(PNG_SIGNATURE):
        return decode_png(data, path.name)
    if data[:2] in (b"P5", b"P6"):
        return decode_pnm(data, path.name)
    kind = "a JPEG image" if data.startswith(b"\xff\xd8\xff") else "not an image read here"
    if data[:2] in (b"P2", b"P3"):
        kind = "a text (ASCII) netpbm image"
    raise ImageError(f"{path}: {kind}; triton-tui reads {FORMATS} only: convert it to PNG")


def _chunks(data: bytes, name: str) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise ImageError(f"{name}: a truncated PNG (chunk {kind!r} cut short)")
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def decode_png(data: bytes, name: str = "image") -> tuple[np.ndarray[Any, Any], int]:
    """A PNG's pixels [H, W, C] (uint8, or uint16 for 16 bits; a palette's looked up, RGB) and
    the maximum sample value."""
    chunks = _chunks(data, name)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise ImageError(f"{name}: not a valid PNG (no header)")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = _PNG_CHANNELS.get(colour)
    if channels is None or depth not in (1, 2, 4, 8, 16) or width == 0 or height == 0:
        raise ImageError(f"{name}: a PNG of colour type {colour}, {depth} bits is not valid")
    if interlace:
        raise ImageError(f"{name}: an interlaced (Adam7) PNG is not read: save it non-interlaced")
    palette = b"".join(body for kind, body in chunks if kind == b"PLTE")
    try:
        raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as exc:
        raise ImageError(f"{name}: the PNG's image data is damaged ({exc})") from None
    stride = (width * channels * depth + 7) // 8
    if len(raw) < height * (stride + 1):
        raise ImageError(f"{name}: the PNG's image data is too short")
    rows = _unfilter(raw, height, stride, max(1, channels * depth // 8), name)
    if depth == 16:
        samples = rows.view(">u2").astype(np.uint16).reshape(height, width, channels)
    elif depth == 8:
        samples = rows.reshape(height, width, channels)
    else:  # 1, 2 or 4 bits: grey or palette, `8 // depth` samples a byte, high bits first
        bits = np.unpackbits(rows, axis=1).reshape(height, -1, depth)
        weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
        samples = (bits * weights).sum(axis=2, dtype=np.uint8)[:, :width, None]
    if colour != 3:
        return samples, (1 << depth) - 1
    table = np.frombuffer(palette[: len(palette) // 3 * 3], np.uint8).reshape(-1, 3)
    if int(samples.max()) >= len(table):
        raise ImageError(f"{name}: a palette index past the PNG's palette")
    return table[samples[:, :, 0]], 255


def _unfilter(raw: bytes, height: int, stride: int, bpp: int, name: str) -> np.ndarray[Any, Any]:
    """Undo the five PNG row filters: None, Sub and Up in numpy, Average and Paeth (each byte
    depends on the one before it) in a loop over the row."""
    rows = np.zeros((height + 1, stride), np.uint8)  # row 0: the zeros above the first row
    lines = np.frombuffer(raw, np.uint8, height * (stride + 1)).reshape(height, stride + 1)
    for y in range(height):
        kind, line, prior = int(lines[y, 0]), lines[y, 1:], rows[y]
        if kind == 0:
            rows[y + 1] = line
        elif kind == 1:  # Sub: a running sum along each of the bpp byte lanes
            padded = np.zeros(-(-stride // bpp) * bpp, np.uint8)
            padded[:stride] = line
            lanes = np.cumsum(padded.reshape(-1, bpp), axis=0, dtype=np.uint8)
            rows[y + 1] = lanes.ravel()[:stride]
        elif kind == 2:
            rows[y + 1] = line + prior
        elif kind in (3, 4):
            rows[y + 1] = _sequential(line.tolist(), prior.tolist(), bpp, kind == 4)
        else:
            raise ImageError(f"{name}: row {y} has an unknown PNG filter type {kind}")
    return rows[1:]


def _sequential(line: list[int], prior: list[int], bpp: int, paeth: bool) -> list[int]:
    out = [0] * len(line)
    for i, value in enumerate(line):
        a = out[i - bpp] if i >= bpp else 0
        b = prior[i]
        if not paeth:
            out[i] = (value + ((a + b) >> 1)) & 0xFF
            continue
        c = prior[i - bpp] if i >= bpp else 0
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (value + predictor) & 0xFF
    return out


def decode_pnm(data: bytes, name: str = "image") -> tuple[np.ndarray[Any, Any], int]:
    """A binary PGM (P5) or PPM (P6): pixels [H, W, 1 or 3] and its maxval (up to 65535)."""
    fields: list[int] = []
    pos = 2
    while len(fields) < 3:
        while pos < len(data) and (data[pos : pos + 1].isspace() or data[pos] == ord("#")):
            if data[pos] == ord("#"):  # a comment, to the end of its line
                end = data.find(b"\n", pos)
                pos = len(data) if end < 0 else end
            pos += 1
        start = pos
        while pos < len(data) and data[pos : pos + 1].isdigit():
            pos += 1
        if start == pos:
            raise ImageError(f"{name}: a netpbm header without its width, height and maxval")
        fields.append(int(data[start:pos]))
    width, height, maxval = fields
    if not (0 < maxval <= 65535) or width == 0 or height == 0:
        raise ImageError(f"{name}: netpbm size {width}x{height}, maxval {maxval} is not valid")
    channels = 3 if data[:2] == b"P6" else 1
    dtype = np.dtype(np.uint8) if maxval < 256 else np.dtype(">u2")
    count = width * height * channels
    body = data[pos + 1 : pos + 1 + count * dtype.itemsize]  # one whitespace after maxval
    if len(body) < count * dtype.itemsize:
        raise ImageError(f"{name}: the netpbm image data is too short")
    pixels = np.frombuffer(body, dtype).reshape(height, width, channels)
    return (pixels if maxval < 256 else pixels.astype(np.uint16)), maxval


def to_rgb255(pixels: np.ndarray[Any, Any], maxval: int) -> np.ndarray[Any, Any]:
    """[H, W, 3] float64 in 0..255: grey repeated into three channels, alpha dropped."""
    values = pixels.astype(np.float64) * (255.0 / maxval)
    if values.shape[2] in (1, 2):  # grey, grey+alpha
        return np.repeat(values[:, :, :1], 3, axis=2)
    return values[:, :, :3]


def _axis(
    size_in: int, size_out: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    src = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    src = np.clip(src, 0, size_in - 1)
    low = np.floor(src).astype(np.intp)
    return low, np.minimum(low + 1, size_in - 1), src - low


def resize_bilinear(image: np.ndarray[Any, Any], height: int, width: int) -> np.ndarray[Any, Any]:
    """[H, W, C] resized to [height, width, C] by bilinear interpolation between pixel centres."""
    if image.shape[:2] == (height, width):
        return image.astype(np.float64)
    y0, y1, wy = _axis(image.shape[0], height)
    x0, x1, wx = _axis(image.shape[1], width)
    image = image.astype(np.float64)
    rows = image[y0] + (image[y1] - image[y0]) * wy[:, None, None]  # exact where they agree
    resized: np.ndarray[Any, Any] = rows[:, x0] + (rows[:, x1] - rows[:, x0]) * wx[None, :, None]
    return resized


def layout(dims: list[int]) -> str | None:
    """ "CHW" for dims [3,H,W], "HWC" for [H,W,3] (either under one leading dim, such as N), or
    None: not shaped like an image. -1 stands for any size."""
    if len(dims) == 4:
        dims = dims[1:]
    if len(dims) != 3 or 0 in dims:
        return None
    if dims[0] == 3:
        return "CHW"
    if dims[2] == 3:
        return "HWC"
    return None


def describe_scale(datatype: str, scale: str) -> str:
    if datatype in INT_TYPES:
        return f"raw 0..255 ({datatype}: not scaled)"
    return {
        "unit": "scaled to [0,1]",
        "raw": "raw 0..255",
        "imagenet": "scaled to [0,1] then ImageNet mean/std normalised",
    }[scale]


def image_tensor(
    rgb: np.ndarray[Any, Any], shape: list[int], datatype: str, scale: str = "unit"
) -> tuple[np.ndarray[Any, Any], str]:
    """`rgb` ([H, W, 3], 0..255) as a tensor of `shape` (leading dims repeat the image) and
    `datatype`, with what was done in words: "224×224, CHW, scaled to [0,1]"."""
    order = layout(shape[-3:])
    if order is None or datatype not in FLOAT_TYPES + INT_TYPES or scale not in SCALES:
        raise ImageError(f"shape {shape} {datatype} is not an image input")
    height, width = (shape[-2], shape[-1]) if order == "CHW" else (shape[-3], shape[-2])
    values = resize_bilinear(rgb, height, width)
    if datatype in INT_TYPES:
        values = np.clip(np.rint(values), 0, 255)
    elif scale != "raw":
        values = values / 255.0
        if scale == "imagenet":
            values = (values - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    if order == "CHW":
        values = values.transpose(2, 0, 1)
    from tritonclient.utils import triton_to_np_dtype

    array = np.broadcast_to(values.astype(triton_to_np_dtype(datatype)), shape).copy()
    size = f"{rgb.shape[1]}×{rgb.shape[0]}"
    if rgb.shape[:2] != (height, width):
        size += f" resized to {width}×{height}"
    return array, f"{size}, {order}, {describe_scale(datatype, scale)}"
