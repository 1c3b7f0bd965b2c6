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

import math
import re

from ..ops import OPS
from .counts import _EPS, _QUARTER, Counter, feed, required_qubits
from .layout import LogicalCounts

_HEAD = re.compile(rb'\A\{\s*"version":\s*"0\.[12]",\s*"program":\s*\{"nodes":\s*\[')
# the ops that matter to the counts, in dispatch groups (each group is one capture group of _NODE)
_SYNC = ("APPLY_CNOT", "APPLY_CZ", "APPLY_SWAP", "TELEPORT_CNOT")
_TGATE = ("APPLY_T", "APPLY_TDG", "INJECT_T_STATE")
_ROT = ("APPLY_RZ", "APPLY_RX", "APPLY_RY")
_CCZ = ("APPLY_CCX", "APPLY_CCZ")
_OTHER = ("MEASURE_Z", "MEASURE_X", "MEASURE_Y", "MEASURE_ANGLE", "MEASURE_BELL", "ALLOC_LQ", "FREE_LQ", "APPLY_U")


_FREQUENT = ("H", "CNOT", "T", "TDG", "RZ", "S", "SDG", "X", "CZ", "CCX")


def _alternation(names) -> bytes:
    """A regex alternation with the APPLY_/MEASURE_ prefixes factored out (Python's re does not),
    the most frequent gate names first (every use is followed by a quote, so the order is only speed)."""
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


# Only the relevant ops, anchored on the "op" key (the engine scans for that literal). One group, the
# node's text from its op name to the end of its args, so findall builds one bytes object per node.
_NODE = re.compile(rb'"op":"((?:' + _alternation(_SYNC + _TGATE + _ROT + _CCZ + _OTHER)
                   + rb')","vqs":\[[^\]]*\](?:,"args":\{[^{}]*\})?)')
# The same matches as _NODE with the fields cut out by the engine, for programs whose node texts
# rarely repeat (see _count).
_FIELDS = re.compile(rb'"op":"(' + _alternation(_SYNC + _TGATE + _ROT + _CCZ + _OTHER)
                     + rb')","vqs":\[([^\]]*)\](?:,"args":(\{[^{}]*\}))?')
# What the fast path cannot vouch for: an "op" key not written as "op":"NAME" (QMK writes no space), an op
# outside the op table, or a relevant op whose qubit list does not follow it directly (a document not in
# QMK's key order). Any of these sends the document to the full loader, so no node is skipped unseen.
_KNOWN = re.compile(rb'"op":(?:[^"]|"(?!(?:' + _alternation(OPS) + rb')")|"(?:'
                    + _alternation(_SYNC + _TGATE + _ROT + _CCZ + _OTHER) + rb')"(?!,"vqs":\[))')
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
    tally = [0, 0]
    counts = _count(data, _pieces(data, lo, hi, tally), required_qubits(tail.get("metadata") or {}))
    # every node seen: one "op" key per node object, over the whole range (_pieces has run to the end)
    return counts if counts is not None and tally[0] == tally[1] else None


_CHUNK = 1 << 21


def _pieces(data: bytes, lo: int, hi: int, tally: list[int]):
    """[lo, hi) as (start, end) pieces of about 2 MiB, each checked while it is in the CPU cache: no
    op outside the op table (else it yields None), and ``tally`` gets the piece's numbers of ``"op":``
    keys and of node objects. Scanning piece by piece also lets one piece's bytes objects be freed
    before the next is built, so their memory is reused while hot instead of growing the heap.

    Each piece ends just after a ``]}``, and no match can contain that boundary: a match holding the
    ``]`` either holds it in its args (then the ``}`` closes them and the match ends there) or it is
    the qubit list's close (then the optional args must start with a comma, not ``}``), and a match
    starts with a quote, not ``}``. So every piece's matches are exactly the whole scan's matches
    that start in it, in the same order. Neither counted key nor a ``"op":"NAME"`` (what _KNOWN
    looks at) holds a ``}``, so none spans a boundary either: the sums and the verdict are those of
    the whole range.
    """
    known = _KNOWN.search
    pos = lo
    while pos < hi:
        cut = data.find(b"]}", pos + _CHUNK, hi) if pos + _CHUNK < hi else -1
        end = hi if cut < 0 else cut + 2
        if known(data, pos, end):
            yield None
            return
        tally[0] += data.count(b'"op":', pos, end)
        tally[1] += data.count(b'{"id":"', pos, end)
        yield pos, end
        pos = end


_CACHE_LIMIT = 1 << 16
_SYNC_B = frozenset(n.encode() for n in _SYNC)
_TGATE_B = frozenset(n.encode() for n in _TGATE)
_ROT_B = frozenset(n.encode() for n in _ROT)
_CCZ_B = frozenset(n.encode() for n in _CCZ)


def _count(data: bytes, pieces, num_qubits: int | None) -> LogicalCounts | None:
    """The rules of :class:`Counter` over the relevant nodes of each piece, in program order.

    Real programs repeat the same gate on the same qubits many times, so by default each distinct
    node text is parsed once into an action (see :func:`_action`) and looked up after that. When
    texts rarely repeat (very many qubits) the lookups only add work: once the cache is full and a
    piece still misses it on more than a quarter of its nodes, the remaining pieces go through
    :func:`_run_fields`, which reads fields the regex engine cut out. Both apply the same rules to
    the same Counter (its fields carry the state from piece to piece). None: a node the fast path
    cannot read, so the document goes to the full loader.
    """
    import orjson

    loads = orjson.loads
    c = Counter()
    cache: dict[bytes, tuple] = {}
    direct = False
    for piece in pieces:
        if piece is None:
            return None
        if direct:
            if not _run_fields(c, _FIELDS.findall(data, *piece), loads):
                return None
            continue
        matches = _NODE.findall(data, *piece)
        misses = _run_cached(c, cache, matches, loads)
        if misses is None:
            return None
        direct = len(cache) >= _CACHE_LIMIT and misses * 4 > len(matches)
    return c.counts(num_qubits)


def _run_cached(c: Counter, cache: dict, matches: list[bytes], loads) -> int | None:
    """Apply matches (a node's text from its op name on, ``APPLY_CNOT","vqs":["a","b"]``) through the
    action cache; the number of cache misses, or None. Handles match [A-Za-z_][A-Za-z0-9_.]*, so a
    handle in its quoted form is as good a dictionary key as the decoded name."""
    level = c.level
    rot_layers = c.layers_r
    n_layers, t, r, ccz, m = c.n_layers, c.t, c.r, c.ccz, c.m
    misses = 0
    for s in matches:
        try:
            code, a, b, q3 = cache[s]
        except KeyError:
            misses += 1
            act = _action(s, loads)
            if act is None:
                return None
            if len(cache) < _CACHE_LIMIT:
                cache[s] = act
            code, a, b, q3 = act
        try:
            if code == 0:  # two-qubit Clifford: both take the larger level
                la = level[a]
                lb = level[b]
                level[a] = level[b] = la if la > lb else lb  # noqa: FURB136 (no call in the hottest line)
                continue
            if code == 1:  # one T
                lv = level[a]
                t += 1
                if lv == n_layers:
                    n_layers += 1
                level[a] = lv + 1
                continue
            if code == 2:  # one arbitrary rotation
                lv = level[a]
                r += 1
                if lv == n_layers:
                    n_layers += 1
                rot_layers.add(lv)
                level[a] = lv + 1
                continue
            if code == 3:  # a rotation by an even multiple of pi/4: free
                continue
            if code == 4:  # one CCZ
                d = max(level[a], level[b], level[q3])
                ccz += 1
                if d == n_layers:
                    n_layers += 1
                level[a] = level[b] = level[q3] = d + 1
                continue
        except KeyError:
            pass  # a qubit used without ALLOC_LQ: the general rules allocate it
        # allocation, measurement, U, first use: rare; the general rules
        op, vqs, args = _fields(s)
        c.n_layers, c.t, c.r, c.ccz, c.m = n_layers, t, r, ccz, m
        if not _general(c, op, vqs, args, loads):
            return None
        n_layers, t, r, ccz, m = c.n_layers, c.t, c.r, c.ccz, c.m
    c.n_layers, c.t, c.r, c.ccz, c.m = n_layers, t, r, ccz, m
    return misses


def _run_fields(c: Counter, matches: list[tuple[bytes, bytes, bytes]], loads) -> bool:
    """Apply (op, qubit list text, args text) matches with the same rules as :func:`_run_cached`;
    False when a node cannot be read. A one-qubit gate looks its list text up as the handle: with
    more or fewer qubits that text is no key (keys come from splitting on commas), so it falls to
    the general rules, as does a wrong count of two- or three-qubit operands (ValueError)."""
    level = c.level
    rot_layers = c.layers_r
    n_layers, t, r, ccz, m = c.n_layers, c.t, c.r, c.ccz, c.m
    kinds: dict[bytes, int] = {}
    for op, vqs, args in matches:
        try:
            if op == b"APPLY_CNOT" or op == b"APPLY_CZ" or op == b"APPLY_SWAP" or op == b"TELEPORT_CNOT":
                a, b = vqs.split(b",")
                la = level[a]
                lb = level[b]
                level[a] = level[b] = la if la > lb else lb  # noqa: FURB136 (no call in the hottest line)
                continue
            if op == b"APPLY_T" or op == b"APPLY_TDG" or op == b"INJECT_T_STATE":
                lv = level[vqs]
                t += 1
                if lv == n_layers:
                    n_layers += 1
                level[vqs] = lv + 1
                continue
            if op == b"APPLY_RZ" or op == b"APPLY_RX" or op == b"APPLY_RY":
                kind = kinds.get(args)
                if kind is None:
                    kind = _theta_kind(args, loads)
                    if kind is None:
                        return False
                    if len(kinds) < _CACHE_LIMIT:
                        kinds[args] = kind
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
                d = max(level[a], level[b], level[q3])
                ccz += 1
                if d == n_layers:
                    n_layers += 1
                level[a] = level[b] = level[q3] = d + 1
                continue
        except (KeyError, ValueError):
            pass  # a qubit used without ALLOC_LQ, or an unusual qubit count: the general rules
        c.n_layers, c.t, c.r, c.ccz, c.m = n_layers, t, r, ccz, m
        if not _general(c, op, vqs.split(b",") if vqs else [], args, loads):
            return False
        n_layers, t, r, ccz, m = c.n_layers, c.t, c.r, c.ccz, c.m
    c.n_layers, c.t, c.r, c.ccz, c.m = n_layers, t, r, ccz, m
    return True


def _general(c: Counter, op: bytes, vqs: list[bytes], args: bytes, loads) -> bool:
    """One node by :func:`feed`; False for too few qubits or missing or malformed args."""
    try:
        feed(c, op.decode(), vqs, loads(args) if args else None)
    except (IndexError, KeyError, TypeError, ValueError):
        return False
    return True


def _fields(s: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(op, qubit handles in quoted form, args text) of a match: the op name ends at the first quote,
    ``","vqs":[`` and ``],"args":`` are 9 bytes each, and a handle holds no ``]`` or comma."""
    op_end = s.index(b'"')
    v_end = s.index(b"]", op_end + 9)
    text = s[op_end + 9:v_end]
    return s[:op_end], text.split(b",") if text else [], s[v_end + 9:]


def _action(s: bytes, loads) -> tuple | None:
    """(code, a, b, c) for the loop in :func:`_run_cached`: 0 sync a, b; 1 T on a; 2 rotation on a; 3 free
    rotation on a; 4 CCZ on a, b, c; 5 the general rules (also for any unexpected qubit count, so
    the fast loop never mis-reads one). None when a rotation has no readable numeric theta."""
    op, vqs, args = _fields(s)
    n = len(vqs)
    if op in _SYNC_B and n == 2:
        return 0, vqs[0], vqs[1], None
    if op in _TGATE_B and n == 1:
        return 1, vqs[0], None, None
    if op in _ROT_B and n == 1:
        kind = _theta_kind(args, loads)
        return None if kind is None else ((3, 1, 2)[kind], vqs[0], None, None)
    if op in _CCZ_B and n == 3:
        return 4, vqs[0], vqs[1], vqs[2]
    return 5, None, None, None


def _theta_kind(args: bytes, loads) -> int | None:
    """:func:`_rotation_kind` of an args object's theta; None when it has no readable numeric theta."""
    try:
        # canonical args are {"theta":NUMBER}; float() of the number text is what orjson gives
        return _rotation_kind(float(args[9:-1]) if args.startswith(b'{"theta":') else loads(args)["theta"])
    except (ValueError, TypeError, KeyError):
        return None


def _rotation_kind(theta) -> int:
    """0: free (even multiple of pi/4), 1: T (odd multiple), 2: an arbitrary rotation."""
    theta = float(theta)
    multiple = theta / _QUARTER
    if not math.isfinite(multiple):
        return 2
    k = math.floor(abs(multiple) + 0.5) * (1 if multiple >= 0 else -1)
    if abs(k * _QUARTER - theta) <= _EPS:
        return 1 if int(k) % 8 & 1 else 0
    return 2
