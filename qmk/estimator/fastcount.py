"""Counting a large QVM document straight from its bytes, without building a Node per operation.

``qmk-lower`` and every QMK command write QVM with one node per line in a fixed key order
(``{"id":..,"op":..,"vqs":[..],"args":{..},...}``). For such documents one C-level regex scan picks out
only the nodes that matter to the counts (T, rotations, two- and three-qubit gates, measurements,
allocation), and the counting loop (:class:`qmk.estimator.counts.Counter`, the same rules) runs over
those few fields. The scan checks that it saw every node (the number of ``"op":`` keys equals the number
of node objects) and that no op outside the op table appears; anything it cannot vouch for falls back
to the full loader, so the fast path changes speed, never results. The rest of the document (resources,
metadata with ``required_num_qubits``) is parsed normally.
"""

from __future__ import annotations

import re

from ..ops import OPS
from .counts import _EPS, _QUARTER, Counter, feed, required_qubits
from .layout import LogicalCounts

_HEAD = re.compile(rb'\A\{\s*"version":\s*"0\.[12]",\s*"program":\s*\{"nodes":\s*\[')
_RELEVANT = (
    "APPLY_T", "APPLY_TDG", "APPLY_RX", "APPLY_RY", "APPLY_RZ", "APPLY_U", "APPLY_CNOT", "APPLY_CZ", "APPLY_SWAP",
    "APPLY_CCX", "APPLY_CCZ", "MEASURE_Z", "MEASURE_X", "MEASURE_Y", "MEASURE_ANGLE", "MEASURE_BELL", "ALLOC_LQ",
    "FREE_LQ", "INJECT_T_STATE", "TELEPORT_CNOT",
)


_FREQUENT = ("H", "CNOT", "T", "TDG", "RZ", "S", "SDG", "X", "CZ", "CCX")


def _alternation(names) -> bytes:
    """A regex alternation with the APPLY_/MEASURE_ prefixes factored out (Python's re does not),
    the most frequent gate names first (both patterns end in a quote, so the order is only speed)."""
    groups: dict[str, list[str]] = {}
    for n in names:
        prefix = next((p for p in ("APPLY_", "MEASURE_") if n.startswith(p)), "")
        groups.setdefault(prefix, []).append(n[len(prefix):])
    parts = []
    for prefix, rest in sorted(groups.items(), key=lambda kv: kv[0] != "APPLY_"):
        rest = sorted(rest, key=lambda x: (_FREQUENT.index(x) if prefix == "APPLY_" and x in _FREQUENT else 99, -len(x)))
        alt = "|".join(re.escape(r) for r in rest)
        parts.append(f"{prefix}(?:{alt})" if prefix else alt)
    return "|".join(parts).encode()


# only the relevant ops, anchored on the "op" key (the engine scans for that literal)
_NODE = re.compile(rb'"op":"(' + _alternation(_RELEVANT) + rb')","vqs":\[([^\]]*)\](?:,"args":(\{[^{}]*\}))?')
_KNOWN = re.compile(rb'"op":"(?!(?:' + _alternation(OPS) + rb')")')
_END = re.compile(rb'\]\},\s*"resources":')


def count_qvm_bytes(data: bytes) -> LogicalCounts | None:
    """Counts of a canonical QVM document, or None when the fast path cannot vouch for the input."""
    import orjson

    head = _HEAD.match(data)
    if head is None:
        return None
    cut = data.rfind(b'"resources":')
    end = _END.search(data, max(cut - 64, head.end()), cut + 13) if cut > 0 else None
    if end is None:
        return None
    try:
        tail = orjson.loads(b'{"program":{"nodes":[]},"resources":' + data[end.end():])
    except orjson.JSONDecodeError:
        return None
    lo, hi = head.end(), end.start()
    # every node seen (one "op" key per node object), and no op outside the op table
    if data.count(b'"op":', lo, hi) != data.count(b'{"id":"', lo, hi) or _KNOWN.search(data, lo, hi):
        return None
    return _count(_NODE.findall(data, lo, hi), required_qubits(tail.get("metadata") or {}))


def _count(matches, num_qubits: int | None) -> LogicalCounts:
    """The rules of :class:`Counter`, inlined for speed; tests check both give the same counts.

    Each match is (op, qubit list text, args text) as raw bytes. Handles match
    [A-Za-z_][A-Za-z0-9_.]*, so splitting the list text on commas is exact, and a handle in its quoted
    form is as good a dictionary key as the decoded name.
    """
    import orjson

    loads = orjson.loads
    c = Counter()
    level = c.level
    rot_layers = c.layers_r
    n_layers = t = r = ccz = m = 0
    rotation = _rotation_kind
    for op, vqs, args in matches:
        try:
            if op == b"APPLY_CNOT" or op == b"APPLY_CZ" or op == b"APPLY_SWAP" or op == b"TELEPORT_CNOT":
                a, b = vqs.split(b",")
                la = level[a]
                lb = level[b]
                level[a] = level[b] = la if la > lb else lb
                continue
            if op == b"APPLY_T" or op == b"APPLY_TDG" or op == b"INJECT_T_STATE":
                lv = level[vqs]
                t += 1
                if lv == n_layers:
                    n_layers += 1
                level[vqs] = lv + 1
                continue
            if op == b"APPLY_RZ" or op == b"APPLY_RX" or op == b"APPLY_RY":
                # canonical args are {"theta":NUMBER}; float() of the number text is what orjson gives
                kind = rotation(float(args[9:-1]) if args.startswith(b'{"theta":') else loads(args)["theta"])
                lv = level[vqs]
                if kind == 2:
                    r += 1
                    if lv == n_layers:
                        n_layers += 1
                    rot_layers.add(lv)
                    level[vqs] = lv + 1
                elif kind == 1:
                    t += 1
                    if lv == n_layers:
                        n_layers += 1
                    level[vqs] = lv + 1
                continue
            if op == b"APPLY_CCX" or op == b"APPLY_CCZ":
                a, b, q3 = vqs.split(b",")
                la, lb, lc = level[a], level[b], level[q3]
                d = max(la, lb, lc)
                ccz += 1
                if d == n_layers:
                    n_layers += 1
                level[a] = level[b] = level[q3] = d + 1
                continue
        except KeyError:
            pass  # a qubit used without ALLOC_LQ: the general rules allocate it
        # allocation, measurement, U, first use: rare; the general rules
        c.n_layers, c.t, c.r, c.ccz, c.m = n_layers, t, r, ccz, m
        feed(c, op.decode(), vqs.split(b",") if vqs else [], loads(args) if args else None)
        n_layers, t, r, ccz, m = c.n_layers, c.t, c.r, c.ccz, c.m
    c.n_layers, c.t, c.r, c.ccz, c.m = n_layers, t, r, ccz, m
    return c.counts(num_qubits)


def _rotation_kind(theta) -> int:
    """0: free (even multiple of pi/4), 1: T (odd multiple), 2: an arbitrary rotation."""
    import math

    theta = float(theta)
    multiple = theta / _QUARTER
    if not math.isfinite(multiple):
        return 2
    k = math.floor(abs(multiple) + 0.5) * (1 if multiple >= 0 else -1)
    if abs(k * _QUARTER - theta) <= _EPS:
        return 1 if int(k) % 8 & 1 else 0
    return 2
