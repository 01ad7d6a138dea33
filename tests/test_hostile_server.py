"""Hostile servers (issue 25): every call has a deadline and a size cap, answers of the wrong
shape are errors in words, and neither `bench -u` nor the console hangs or grows on them.

The endpoints are tiny servers in threads (tests/hostile.py); nothing here starts a tritonserver.
"""

from __future__ import annotations

import pytest

from tests.hostile import hostile, timed
from tui.core.client import CAPS, TritonError, TritonHTTP, fetch_metrics


# The client -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["drip", "silent"])
def test_a_call_ends_at_its_deadline(mode: str) -> None:
    """A byte every 0.2 s defeats a per-read timeout of 1 s; the deadline is on the whole
    answer. An endpoint that accepts and never answers (a stopped server) ends the same way."""
    with hostile(mode) as server:
        took, error = timed(lambda: TritonHTTP(server.url, timeout=1.0).server_metadata())
    assert isinstance(error, TritonError), error
    assert f"http://{server.url}/v2 gave no complete answer within 1 s" in str(error)
    assert took < 2.0, f"the call took {took:.1f} s"


def test_an_endless_body_is_cut_at_the_cap_and_not_fetched_again() -> None:
    with hostile("endless") as server:
        client = TritonHTTP(server.url)
        took, error = timed(client.repository_index)
        assert isinstance(error, TritonError), error
        assert f"http://{server.url}/v2/repository/index answered more than 8.0 MiB" in str(error)
        assert "the cap for index" in str(error)
        # what the client took in: the cap and what was in the sockets' buffers, not more
        assert server.sent < CAPS["index"] + 16 * 2**20
        assert took < 5
        again = server.connections
        with pytest.raises(TritonError, match="cap for index"):
            client.repository_index()  # the next poll: refused from memory
        assert server.connections == again


def test_a_declared_huge_body_is_refused_unread() -> None:
    with hostile("huge") as server:
        with pytest.raises(TritonError) as caught:
            TritonHTTP(server.url).model_config("m")
        with pytest.raises(TritonError, match="cap for metrics"):
            fetch_metrics(server.url)
    assert (
        f"http://{server.url}/v2/models/m/config answered 95.4 MiB (100000000 bytes), "
        "over the 16.0 MiB cap for config; not read" in str(caught.value)
    )
    assert server.sent < 16 * 2**20  # the socket buffers at most


SHAPES = [
    (b"<html><body>502 Bad Gateway</body></html>", "is not JSON ('<html><body>502 Bad"),
    (b'{"model_stats": 3, "name": ', "is not JSON"),
    (b"null", "is nothing, not an object"),
    (b"[1, 2]", "is a JSON list, not an object"),
    (b'"text"', "is a JSON str, not an object"),
]


@pytest.mark.parametrize(("body", "said"), SHAPES)
def test_answers_of_the_wrong_shape_are_errors_in_words(body: bytes, said: str) -> None:
    with hostile("body", body) as server:
        client = TritonHTTP(server.url)
        calls = [
            client.server_metadata,
            lambda: client.model_metadata("m"),
            lambda: client.model_config("m"),
            client.log_settings,
        ]
        for call in calls:
            with pytest.raises(TritonError, match="is not a Triton server") as caught:
                call()
            assert said in str(caught.value)
        with pytest.raises(TritonError, match="is not a Triton server"):
            client.model_stats()
        if body != b"[1, 2]":
            with pytest.raises(TritonError, match="is not a Triton server"):
                client.repository_index()


@pytest.mark.parametrize(
    ("body", "said"),
    [(b"[1]", "its index holds 1, not a model entry"), (b'{"a": 1}', "a JSON dict, not a list")],
)
def test_an_index_must_list_models(body: bytes, said: str) -> None:
    with hostile("body", body) as server, pytest.raises(TritonError, match=said):
        TritonHTTP(server.url).ready_models()


def test_statistics_must_list_models() -> None:
    stats = b'{"model_stats": {"a": 1}}'
    with (
        hostile("body", stats) as server,
        pytest.raises(TritonError, match="its model_stats is a JSON dict, not a list"),
    ):
        TritonHTTP(server.url).model_stats()
