"""An image file as a model input (`--image-file`, the screen's "image" fill): PNG and netpbm
decoded without an image library, bilinear resizing, the layout an input's dims ask for, and
one request to the demo's densenet_onnx built from a small solid-colour PNG."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from tui.cli import main
from tui.core.bench.inputs import InputError
from tui.core.server.launcher import ServerProcess
from tui.core.util import image
from tui.core.workflows import infer


# An encoder of our own, byte by byte as the PNG specification writes it -------------------------
def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filtered(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, _paeth(a, b, c)][kind]
        out.append((x - predictor) % 256)
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _pack(samples: np.ndarray, depth: int) -> list[bytes]:
    """Each row of samples [H, W*C] as PNG scanline bytes (big-endian; sub-byte high bits first)."""
    if depth == 16:
        return [row.astype(">u2").tobytes() for row in samples]
    if depth == 8:
        return [row.astype(np.uint8).tobytes() for row in samples]
    rows = []
    for row in samples:
        bits = "".join(format(int(v), f"0{depth}b") for v in row)
        bits += "0" * (-len(bits) % 8)
        rows.append(bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)))
    return rows


def encode_png(
    samples: np.ndarray,
    depth: int,
    colour: int,
    palette: bytes = b"",
    interlace: int = 0,
) -> bytes:
    """A PNG of `samples` [H, W, C]; row y uses filter y % 5 (all five, first row included)."""
    height, width, channels = samples.shape
    bpp = max(1, channels * depth // 8)
    rows = _pack(samples.reshape(height, width * channels), depth)
    prior = bytes(len(rows[0]))
    raw = b""
    for y, row in enumerate(rows):
        raw += _filtered(y % 5, row, prior, bpp)
        prior = row
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    body = _chunk(b"IHDR", header)
    if palette:
        body += _chunk(b"PLTE", palette)
    compressed = zlib.compress(raw)
    half = len(compressed) // 2  # two IDAT chunks: a decoder must join them
    body += _chunk(b"IDAT", compressed[:half]) + _chunk(b"IDAT", compressed[half:])
    return image.PNG_SIGNATURE + body + _chunk(b"IEND", b"")


RNG = np.random.default_rng(5)
CASES = [  # colour type, depth, channels
    (0, 8, 1),
    (0, 16, 1),
    (0, 1, 1),
    (0, 4, 1),
    (2, 8, 3),
    (2, 16, 3),
    (3, 8, 1),
    (3, 4, 1),
    (4, 8, 2),
    (4, 16, 2),
    (6, 8, 4),
    (6, 16, 4),
]


@pytest.mark.parametrize(("colour", "depth", "channels"), CASES)
def test_png_decodes_every_colour_type_and_filter_exactly(
    colour: int, depth: int, channels: int
) -> None:
    high = 16 if colour == 3 else 1 << depth
    samples = RNG.integers(0, high, size=(10, 7, channels))
    # even rows of a few values: many ties in the Paeth predictor
    few = np.unique(np.minimum([0, 1, 2, high // 2, high - 1], high - 1))
    samples[::2] = RNG.choice(few, size=(5, 7, channels))
    palette = RNG.integers(0, 256, size=(16, 3), dtype=np.uint8) if colour == 3 else None
    data = encode_png(samples, depth, colour, palette.tobytes() if palette is not None else b"")
    pixels, maxval = image.decode_png(data)
    if palette is not None:
        assert maxval == 255 and pixels.dtype == np.uint8
        assert np.array_equal(pixels, palette[samples[:, :, 0]])
    else:
        assert maxval == (1 << depth) - 1
        assert pixels.shape == samples.shape and np.array_equal(pixels, samples)


def test_png_refusals_are_in_words(tmp_path: Path) -> None:
    interlaced = encode_png(np.zeros((2, 2, 3)), 8, 2, interlace=1)
    with pytest.raises(image.ImageError, match=r"interlaced \(Adam7\)"):
        image.decode_png(interlaced, "x.png")
    jpeg = tmp_path / "cat.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64))
    with pytest.raises(image.ImageError) as caught:
        image.read_image(jpeg)
    assert str(caught.value) == (
        f"{jpeg}: a JPEG image; triton-tui reads PNG and binary PPM/PGM (P6/P5) only: "
        "convert it to PNG"
    )
    code = main(["infer", "-m", "densenet_onnx", "-u", "127.0.0.1:1", "--image-file", str(jpeg)])
    assert code == 3  # a bad flag, found before any server is asked


def test_ppm_and_pgm_binary_with_comments_and_16_bit_maxval() -> None:
    rgb = RNG.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    ppm = b"P6\n# made by the test\n4 3\n255\n" + rgb.tobytes()
    pixels, maxval = image.decode_pnm(ppm)
    assert maxval == 255 and np.array_equal(pixels, rgb)
    grey = RNG.integers(0, 1001, size=(2, 5, 1)).astype(np.uint16)
    pgm = b"P5 5 2 1000\n" + grey.astype(">u2").tobytes()
    pixels, maxval = image.decode_pnm(pgm)
    assert maxval == 1000 and pixels.dtype == np.uint16 and np.array_equal(pixels, grey)
    assert np.array_equal(image.to_rgb255(pixels, maxval)[:, :, 2], grey[:, :, 0] * 0.255)


def test_bilinear_resize_of_a_gradient_and_a_solid_image() -> None:
    ramp = np.array([0.0, 10.0, 20.0, 30.0]).reshape(1, 4, 1)
    wide = image.resize_bilinear(ramp, 1, 8)[0, :, 0]
    assert np.allclose(wide, [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30], atol=1e-12)
    assert np.allclose(image.resize_bilinear(ramp, 1, 2)[0, :, 0], [5, 25], atol=1e-12)
    tall = image.resize_bilinear(ramp.reshape(4, 1, 1), 2, 3)[:, :, 0]
    assert np.allclose(tall, [[5, 5, 5], [25, 25, 25]], atol=1e-12)
    solid = np.broadcast_to(np.array([10.0, 200.0, 255.0]), (3, 5, 3))
    resized = image.resize_bilinear(solid, 7, 11)
    assert resized.shape == (7, 11, 3)
    assert np.array_equal(resized, np.broadcast_to(solid[0, 0], (7, 11, 3)))  # exactly


def test_layout_and_shape_of_image_inputs() -> None:
    assert image.layout([3, 224, 224]) == "CHW"
    assert image.layout([224, 224, 3]) == "HWC"
    assert image.layout([1, 3, 224, 224]) == image.layout([-1, 3, -1, -1]) == "CHW"
    assert image.layout([-1, -1, 3]) == "HWC"
    assert image.layout([4]) is image.layout([1, 16]) is image.layout([3, 3, 4, 5, 6]) is None
    rgb = np.arange(5 * 7 * 3, dtype=np.float64).reshape(5, 7, 3)
    tensor, how = image.image_tensor(rgb, [2, 3, 5, 7], "FP32")
    assert how == "7×5, CHW, scaled to [0,1]" and tensor.dtype == np.float32
    assert np.array_equal(tensor[1], (rgb / 255).transpose(2, 0, 1).astype(np.float32))
    tensor, how = image.image_tensor(rgb, [5, 7, 3], "FP32", "imagenet")
    mean, std = np.array(image.IMAGENET_MEAN), np.array(image.IMAGENET_STD)
    assert np.allclose(tensor, (rgb / 255 - mean) / std, atol=1e-6) and "ImageNet" in how


def _metadata(shape: list[int], datatype: str) -> dict[str, object]:
    return {
        "name": "m",
        "inputs": [
            {"name": "pixels", "datatype": datatype, "shape": shape},
            {"name": "scale", "datatype": "FP32", "shape": [-1, 2]},
        ],
        "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 10]}],
    }


def test_a_batching_hwc_uint8_input_with_open_dims_takes_the_image_as_it_is(
    tmp_path: Path,
) -> None:
    samples = RNG.integers(0, 256, size=(5, 6, 3))
    (tmp_path / "x.png").write_bytes(encode_png(samples, 8, 2))
    options = infer.InferOptions("m", fill="image", image_file=tmp_path / "x.png", batch_size=2)
    request = infer.build_request(
        _metadata([-1, -1, -1, 3], "UINT8"), {"max_batch_size": 4}, options
    )
    pixels = request.inputs["pixels"]
    assert pixels.shape == (2, 5, 6, 3) and pixels.dtype == np.uint8
    assert np.array_equal(pixels[0], samples) and np.array_equal(pixels[1], samples)
    assert request.inputs["scale"].shape == (2, 2)  # not an image: random values
    assert request.notes == ["pixels ← x.png 6×5, HWC, raw 0..255 (UINT8: not scaled)"]
    with pytest.raises(infer.NoImageInput, match="no input shaped like an image"):
        infer.build_request(_metadata([-1, 4], "FP32"), {"max_batch_size": 4}, options)
    with pytest.raises(InputError, match="needs an image file"):
        infer.build_request(_metadata([3, 8, 8], "FP32"), {}, infer.InferOptions("m", fill="image"))


def test_infer_image_file_on_densenet_sends_the_resized_scaled_image(
    demo_server: ServerProcess,
    demo_repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    colour = np.array([10, 200, 255])
    png = tmp_path / "solid.png"
    png.write_bytes(encode_png(np.broadcast_to(colour, (4, 5, 3)), 8, 2))
    argv = ["infer", "-m", "densenet_onnx", "-u", demo_server.http_url, "--image-file", str(png)]
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    sent = record["inputs"]["data_0"]
    assert sent["shape"] == [1, 3, 224, 224] and sent["datatype"] == "FP32"
    expected = np.broadcast_to((colour / 255).astype(np.float32)[:, None, None], (3, 224, 224))
    assert np.array_equal(np.array(sent["data"], np.float32), expected.ravel())
    assert record["outputs"]["prob_1"]["shape"] == [1, 1000, 1, 1]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "data_0 ← solid.png 5×4 resized to 224×224, CHW, scaled to [0,1]" in text
    add_sub = ["infer", "-m", "add_sub", "-u", demo_server.http_url, "--image-file", str(png)]
    assert main(add_sub) == 3
    assert "'add_sub' has no input shaped like an image" in capsys.readouterr().err
    verify = ["verify", "-m", "identity_onnx", "-u", demo_server.http_url, "--image-file"]
    assert main([*verify, str(png), "--model-repository", str(demo_repo)]) == 3
    assert "'identity_onnx' has no input shaped like an image" in capsys.readouterr().err
