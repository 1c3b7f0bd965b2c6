"""JSON-RPC 2.0 conformance of the kernel over a real Unix socket."""

from __future__ import annotations

import os
import socket
import stat
import time

import orjson
import pytest
from kernelfix import SECRETS, config_text
from qmk.runtime.kernel.protocol import TOO_LARGE, Framer


def login(conn, tenant="alice"):
    r = conn.request({"jsonrpc": "2.0", "method": "q_negotiate_caps", "id": 1,
                      "params": {"tenant": tenant, "secret": SECRETS[tenant], "caps": ["CAP_ALLOC"]}})
    return r["result"]["token"]


def test_socket_is_owner_only(shared_kernel):
    mode = stat.S_IMODE(os.stat(shared_kernel.socket).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(shared_kernel.state).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(shared_kernel.state, "kernel.key")).st_mode) == 0o600


def test_bad_json_is_a_parse_error_and_the_connection_survives(shared_kernel):
    c = shared_kernel.raw()
    c.send(b"{not json\n")
    r = c.recv()
    assert r == {"jsonrpc": "2.0", "error": {"code": -32700, "message": "message is not valid JSON"}, "id": None}
    assert "result" in c.request({"jsonrpc": "2.0", "method": "q_negotiate_caps", "id": 2,
                                  "params": {"tenant": "alice", "secret": SECRETS["alice"]}})
    c.close()


@pytest.mark.parametrize(
    "request_obj, code",
    [
        ({"jsonrpc": "1.0", "method": "q_status", "id": 1}, -32600),
        ({"method": "q_status", "id": 1}, -32600),
        ({"jsonrpc": "2.0", "method": 5, "id": 1}, -32600),
        ({"jsonrpc": "2.0", "method": "q_status", "id": {"x": 1}}, -32600),
        ({"jsonrpc": "2.0", "method": "q_teleport_me", "id": 1}, -32601),
        ({"jsonrpc": "2.0", "method": "q_status", "params": [1, 2], "id": 1}, -32602),
        ({"jsonrpc": "2.0", "method": "q_negotiate_caps", "params": {"tenant": 3}, "id": 1}, -32602),
        ({"jsonrpc": "2.0", "method": "q_status", "params": {}, "id": 1}, -32101),
        ("just a string", -32600),
    ],
)
def test_invalid_requests_get_standard_codes(shared_kernel, request_obj, code):
    c = shared_kernel.raw()
    r = c.request(request_obj)
    assert r["error"]["code"] == code
    valid_id = isinstance(request_obj, dict) and isinstance(request_obj.get("id"), int)
    assert r["id"] == (1 if valid_id else None)
    c.close()


def test_batch_answers_every_request_but_not_notifications(shared_kernel):
    c = shared_kernel.raw()
    token = login(c)
    batch = [
        {"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}, "id": "a"},
        {"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}},  # notification
        {"jsonrpc": "2.0", "method": "nope", "id": "b"},
        1,
    ]
    r = c.request(batch)
    assert isinstance(r, list) and len(r) == 3
    by_id = {x["id"]: x for x in r if x["id"] is not None}
    assert "jobs" in by_id["a"]["result"]
    assert by_id["b"]["error"]["code"] == -32601
    assert [x["error"]["code"] for x in r if x["id"] is None] == [-32600]
    c.send(b"[]\n")
    assert c.recv()["error"]["code"] == -32600
    # a batch of notifications only gets no answer: the next answer is for the next request
    c.send(orjson.dumps([{"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}}]) + b"\n")
    assert c.request({"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}, "id": 9})["id"] == 9
    c.close()


def test_persistent_connection_carries_many_requests(shared_kernel):
    c = shared_kernel.raw()
    token = login(c)
    # pipelined: send 200 requests at once, then read 200 answers
    c.send(b"".join(orjson.dumps({"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}, "id": i})
                    + b"\n" for i in range(200)))
    ids = [c.recv()["id"] for _ in range(200)]
    assert sorted(ids) == list(range(200))
    c.close()


def test_oversized_message_is_refused_and_the_connection_continues(kernel_factory):
    k = kernel_factory(config_text("max_message_bytes = 4096"))
    c = k.raw()
    c.send(b'{"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"pad": "' + b"x" * 100_000 + b'"}, "id": 1}\n')
    r = c.recv()
    assert r["error"]["code"] == -32615 and r["id"] is None
    assert "result" in c.request({"jsonrpc": "2.0", "method": "q_negotiate_caps", "id": 2,
                                  "params": {"tenant": "alice", "secret": SECRETS["alice"]}})
    c.close()


def test_half_closed_connection_still_gets_its_answers(shared_kernel):
    c = shared_kernel.raw()
    token = login(c)
    # two requests, the last without a newline, then shut down the sending side
    c.send(orjson.dumps({"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}, "id": 5}) + b"\n")
    c.send(orjson.dumps({"jsonrpc": "2.0", "method": "q_list_jobs", "params": {"token": token}, "id": 6}))
    c.sock.shutdown(socket.SHUT_WR)
    assert {c.recv()["id"], c.recv()["id"]} == {5, 6}
    assert c.file.readline() == b""  # then the kernel closes
    c.close()


def test_client_vanishing_mid_request_does_not_hurt_the_kernel(shared_kernel):
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(shared_kernel.socket)
        s.send(b'{"jsonrpc": "2.0", "method": "q_negot')
        s.close()
    c = shared_kernel.raw()
    assert login(c)
    c.close()


def test_idle_connections_are_closed(kernel_factory):
    k = kernel_factory(config_text("idle_timeout = 1"))
    c = k.raw()
    login(c)
    time.sleep(3.5)
    c.sock.settimeout(5)
    assert c.file.readline() == b""
    c.close()


def test_framer_never_buffers_more_than_the_limit():
    f = Framer(10)
    assert f.feed(b"abc\nde") == [b"abc"]
    assert f.feed(b"f\n") == [b"def"]
    out = f.feed(b"x" * 11)
    assert out == [TOO_LARGE] and len(f._buf) == 0
    assert f.feed(b"yyyy\nok\n") == [b"ok"]
    assert f.feed(b"12345") == [] and f.finish() == [b"12345"]


def test_unfinished_messages_share_one_memory_budget(kernel_factory):
    k = kernel_factory(config_text("max_message_bytes = 4096\nmax_buffered_bytes = 6000"))
    first, second = k.raw(), k.raw()
    first.send(b'{"jsonrpc": "2.0", "pad": "' + b"x" * 3500)  # unfinished, within its own limit
    time.sleep(0.3)
    second.send(b'{"jsonrpc": "2.0", "pad": "' + b"y" * 3500)  # over the shared budget
    assert second.recv()["error"]["code"] == -32617
    # the refused line is skipped to its end; both connections still work
    second.send(b'"}\n')
    assert "result" in second.request({"jsonrpc": "2.0", "method": "q_negotiate_caps", "id": 1,
                                       "params": {"tenant": "alice", "secret": SECRETS["alice"]}})
    first.send(b'"}\n')
    assert first.recv()["error"]["code"] == -32600  # its message was kept and read (it has no method)
    first.close()
    second.close()
