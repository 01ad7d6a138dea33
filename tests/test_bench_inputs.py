"""Request bodies: shapes, batch dimension, data sources, HTTP framing (no server needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.core.bench.inputs import InputError, check_response, parse_shapes, prepare

META = {
    "name": "m",
    "inputs": [
        {"name": "IN", "datatype": "FP32", "shape": [-1, -1, 3]},
        {"name": "TEXT", "datatype": "BYTES", "shape": [-1, 2]},
    ],
    "outputs": [{"name": "OUT", "datatype": "FP32", "shape": [-1, -1, 3]}],
}
BATCHING = {"max_batch_size": 8}


def test_parse_shapes() -> None:
    assert parse_shapes(["IN:4,3", "X:1"]) == {"IN": [4, 3], "X": [1]}
    for bad in ("IN", "IN:", "IN:a,3", "IN:0,3", ":3"):
        with pytest.raises(InputError):
            parse_shapes([bad])


def test_variable_dims_must_be_given() -> None:
    with pytest.raises(InputError, match=r"--shape IN:N,3"):
        prepare(host="h:1", model="m", version="", metadata=META, config=BATCHING)
    with pytest.raises(InputError, match="does not fit"):
        prepare(
            host="h:1", model="m", version="", metadata=META, config=BATCHING, shapes={"IN": [5, 4]}
        )
    with pytest.raises(InputError, match="no input named"):
        prepare(
            host="h:1",
            model="m",
            version="",
            metadata=META,
            config=BATCHING,
            shapes={"IN": [5, 3], "NOPE": [1]},
        )
    with pytest.raises(InputError, match="max_batch_size 8"):
        prepare(
            host="h:1",
            model="m",
            version="",
            metadata=META,
            config=BATCHING,
            shapes={"IN": [5, 3]},
            batch_size=9,
        )
    with pytest.raises(InputError, match="does not support batching"):
        prepare(
            host="h:1",
            model="m",
            version="",
            metadata=META,
            config={"max_batch_size": 0},
            batch_size=2,
        )


def _decode(request: bytes) -> tuple[dict, bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert lines[0] == "POST /v2/models/m/versions/2/infer HTTP/1.1"
    assert int(headers["Content-Length"]) == len(body)
    return headers, body


def test_binary_body_with_batch_and_bytes() -> None:
    prep = prepare(
        host="127.0.0.1:9",
        model="m",
        version="2",
        metadata=META,
        config=BATCHING,
        shapes={"IN": [5, 3]},
        batch_size=4,
        string_length=7,
    )
    assert [s.shape for s in prep.inputs] == [[4, 5, 3], [4, 2]]
    headers, body = _decode(prep.requests[0])
    hlen = int(headers["Inference-Header-Content-Length"])
    doc = json.loads(body[:hlen])
    assert [(t["name"], t["shape"], t["datatype"]) for t in doc["inputs"]] == [
        ("IN", [4, 5, 3], "FP32"),
        ("TEXT", [4, 2], "BYTES"),
    ]
    assert doc["outputs"] == [{"name": "OUT", "parameters": {"binary_data": True}}]
    # FP32 payload + 8 strings of 7 bytes, each with a 4-byte length prefix
    assert len(body) - hlen == 4 * 5 * 3 * 4 + 8 * (4 + 7)


def test_zero_json_format_and_json_file(tmp_path: Path) -> None:
    meta = {
        "name": "m",
        "inputs": [{"name": "A", "datatype": "INT32", "shape": [-1, 2]}],
        "outputs": [{"name": "B", "datatype": "INT32", "shape": [-1, 2]}],
    }
    prep = prepare(
        host="h:1",
        model="m",
        version="2",
        metadata=meta,
        config=BATCHING,
        input_data="zero",
        binary=False,
        batch_size=2,
    )
    headers, body = _decode(prep.requests[0])
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["inputs"][0]["data"] == [0, 0, 0, 0]
    data = tmp_path / "d.json"
    data.write_text(
        json.dumps(
            {
                "data": [{"A": [1, 2]}, {"A": {"content": [3, 4], "shape": [2]}}],
                "validation_data": [{"B": [1, 2]}, {"B": [3, 4]}],
            }
        )
    )
    prep = prepare(
        host="h:1",
        model="m",
        version="2",
        metadata=meta,
        config=BATCHING,
        input_data=str(data),
        binary=False,
    )
    assert len(prep.requests) == 2
    assert json.loads(_decode(prep.requests[1])[1])["inputs"][0]["data"] == [3, 4]

    # a response body built the way the server builds one: right and wrong answers
    def response(values: list[int]) -> bytes:
        out = {"outputs": [{"name": "B", "datatype": "INT32", "shape": [1, 2], "data": values}]}
        return json.dumps(out).encode()

    assert check_response(prep, 1, response([3, 4]), None) is None
    assert "differs" in check_response(prep, 1, response([1, 2]), None)
    assert "undecodable" in check_response(prep, 0, b"<html>", None)
    for bad, message in (
        ("{", "not valid JSON"),
        ('{"data": []}', "expected"),
        ('{"data": [{"X": 1}]}', "lacks input"),
        ('{"data": [{"A": [1, 2, 3]}]}', "do not fill"),
        (
            '{"data": [{"A": [1, 2]}], "validation_data": [{"b": [1, 2]}]}',
            "names no output of the model \\(b; it has B\\)",
        ),
    ):
        data.write_text(bad)
        with pytest.raises(InputError, match=message):
            prepare(
                host="h:1",
                model="m",
                version="",
                metadata=meta,
                config=BATCHING,
                input_data=str(data),
            )
