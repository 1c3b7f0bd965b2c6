"""The fast path's speed devices (pieces of the buffer, the per-text action cache) change nothing:
with tiny pieces and a tiny cache it still gives exactly the Node-level counts, and a problem in a
late piece still makes it decline."""

import math

import pytest

from qmk.estimator import fastcount
from qmk.estimator.counts import count_program
from qmk.estimator.fastcount import count_qvm_bytes
from qmk.ir import Node, make_program
from qmk.qvmjson import dumps

from .test_fastcount import random_program


@pytest.fixture(params=[3, 0], ids=["cached", "fields"])
def tiny(monkeypatch, request):
    monkeypatch.setattr(fastcount, "_CHUNK", 40)  # a piece boundary after nearly every node
    # 3: cache hits and a full cache; 0: the first piece misses, the rest go through _run_fields
    monkeypatch.setattr(fastcount, "_CACHE_LIMIT", request.param)


def _range(data: bytes):
    head = fastcount._HEAD.match(data)
    return head.end(), fastcount._END.search(data).start()


def test_pieces_are_exactly_the_whole_scan(tiny):
    for seed in range(10):
        data = dumps(random_program(seed))
        lo, hi = _range(data)
        tally = [0, 0]
        pieces = list(fastcount._pieces(data, lo, hi, tally))
        assert len(pieces) > 5
        for regex in (fastcount._NODE, fastcount._FIELDS):
            assert [m for a, b in pieces for m in regex.findall(data, a, b)] == regex.findall(data, lo, hi), seed
        assert tally == [data.count(b'"op":', lo, hi), data.count(b'{"id":"', lo, hi)]


def test_tiny_pieces_and_cache_give_node_counts(tiny):
    for seed in range(25):
        p = random_program(seed)
        assert count_qvm_bytes(dumps(p)) == count_program(p), seed


def test_repeated_angle_texts_classify_like_the_counter(tiny):
    qs = ("a", "b")
    nodes = [Node("a0", "ALLOC_LQ", qs, {"n": 2})]
    angles = [math.pi / 4, 0.1, math.pi / 2, -math.pi / 4, 0.1, math.pi / 4, 3 * math.pi / 4, 0.1, 2 * math.pi]
    for i, theta in enumerate(angles * 3):
        nodes.append(Node(f"r{i}", ("APPLY_RZ", "APPLY_RX", "APPLY_RY")[i % 3], (qs[i % 2],), {"theta": theta}))
        nodes.append(Node(f"c{i}", "APPLY_CNOT", qs))
    p = make_program(nodes)
    got = count_qvm_bytes(dumps(p))
    assert got == count_program(p)
    assert got.t_count > 0 and got.rotation_count > 0


def test_a_problem_in_a_late_piece_declines(tiny):
    data = dumps(random_program(3))
    last = data.rfind(b'"op":"APPLY_')
    assert count_qvm_bytes(data) is not None
    assert count_qvm_bytes(data[:last] + b'"op":"APPLY_BOGUS' + data[data.index(b'"', last + 6):]) is None
    last_id = data.rfind(b'{"id":"')
    assert count_qvm_bytes(data[:last_id] + b'{ "id":"' + data[last_id + 7:]) is None


def test_wrong_qubit_count_declines_instead_of_failing():
    p = make_program([Node("a", "ALLOC_LQ", ("q0", "q1"), {"n": 2}), Node("c", "APPLY_CNOT", ("q0", "q1"))])
    data = dumps(p)
    assert count_qvm_bytes(data) == count_program(p)
    assert count_qvm_bytes(data.replace(b'"vqs":["q0","q1"]}', b'"vqs":["q0"]}')) is None


def test_non_canonical_op_keys_send_the_document_to_the_full_loader():
    """A relevant op written with a space after the colon, or with its qubit list not right after it,
    would be invisible to the byte scan: the fast path must decline rather than count it as absent."""
    from qmk.estimator.fastcount import count_qvm_bytes
    from qmk.ir import Node, make_program
    from qmk.qvmjson import dumps

    p = make_program([Node("a", "ALLOC_LQ", ("q",), {"n": 1}), Node("t", "APPLY_T", ("q",)),
                      Node("t2", "APPLY_T", ("q",)), Node("f", "FREE_LQ", ("q",))])
    canon = dumps(p)
    assert count_qvm_bytes(canon) is not None
    spaced = canon.replace(b'"op":"APPLY_T","vqs"', b'"op": "APPLY_T","vqs"', 1)
    reordered = canon.replace(b'{"id":"t2","op":"APPLY_T","vqs":["q"]}',
                              b'{"id":"t2","op":"APPLY_T","metadata":{},"vqs":["q"]}')
    assert spaced != canon and reordered != canon
    assert count_qvm_bytes(spaced) is None
    assert count_qvm_bytes(reordered) is None
