"""QVM JSON: load (with the shape checks that make a document a QVM document) and deterministic dump.

``loads`` turns bytes into a ``Program`` or raises ``InputError`` carrying one diagnostic
(QMK001-QMK005). Semantic checks (op table, lifetimes, events, capabilities) are the verifier's job
(``qmk.passes.verify``); a document that loads may still be an invalid program.

``dumps`` is deterministic: a fixed key order, argument keys sorted, one node per line, floats in their
shortest round-trip form. ``dumps(loads(dumps(p))) == dumps(p)`` byte for byte.

Version 0.1 documents (the seed's format) are upgraded on load; see ``_upgrade_01``.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import Any, BinaryIO

import orjson

from .diagnostics import Diagnostic, InputError
from .ir import CURRENT_VERSION, EMPTY, SUPPORTED_VERSIONS, Location, Node, Program, Resources

_new_node = tuple.__new__

# Default size limit for one input document. Override with QMK_MAX_INPUT_BYTES or the CLI option.
DEFAULT_MAX_INPUT_BYTES = 400 * 1024 * 1024

_NODE_KEYS = frozenset(
    ("id", "op", "vqs", "args", "produces", "inputs", "chs", "guard", "caps", "loc", "metadata")
)
_TOP_KEYS = frozenset(("version", "program", "resources", "caps", "outputs", "metadata"))


def max_input_bytes() -> int:
    env = os.environ.get("QMK_MAX_INPUT_BYTES")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return DEFAULT_MAX_INPUT_BYTES


def _fail(code: str, message: str, node: str | None = None, notes=()) -> InputError:
    return InputError.from_diag(Diagnostic(code, message, node=node, notes=list(notes)))


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def read_limited(stream: BinaryIO, limit: int | None = None, name: str = "<stdin>") -> bytes:
    """Read a whole binary stream, refusing (exit 3) once it exceeds ``limit`` bytes."""
    limit = max_input_bytes() if limit is None else limit
    chunks = []
    total = 0
    while True:
        chunk = stream.read(min(1 << 22, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _fail(
                "QMK003",
                f"{name}: input is larger than the {_human(limit)} limit",
                notes=["raise the limit with --max-input-bytes or QMK_MAX_INPUT_BYTES"],
            )
    return b"".join(chunks)


def parse_json(data: bytes | str, name: str = "<input>") -> Any:
    """Parse JSON bytes with QMK's input errors (QMK001-QMK003)."""
    if isinstance(data, bytes):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _fail("QMK002", f"{name}: byte {e.start} is not valid UTF-8") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        msg = str(e)
        if "recursion" in msg.lower() or "depth" in msg.lower():
            raise _fail("QMK003", f"{name}: JSON nested too deeply (limit 1024 levels)") from None
        if "64-bit" in msg or "range" in msg.lower() or "infinity" in msg.lower():
            raise _fail("QMK003", f"{name}: a number is out of range ({msg})") from None
        raise _fail("QMK001", f"{name}: malformed JSON at line {e.lineno}, column {e.colno}: {_short(msg)}") from None


def _short(msg: str) -> str:
    return msg.split(": line ")[0]


# ----------------------------------------------------------------------------------- loading


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building or walking big acyclic structures.

    Loading a million nodes allocates millions of containers; each allocation burst triggers collections
    that rescan the whole growing heap, which tripled load time. Nothing built here forms cycles, so
    reference counting frees it all and pausing the collector loses nothing.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def loads(data: bytes | str, name: str = "<input>") -> Program:
    with gc_paused():
        return from_json(parse_json(data, name), name)


def load(path: str) -> Program:
    try:
        size = os.path.getsize(path)
        limit = max_input_bytes()
        if size > limit:
            raise _fail("QMK003", f"{path}: input is {_human(size)}, larger than the {_human(limit)} limit")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        from .diagnostics import QmkIOError

        raise QmkIOError(f"{path}: {e.strerror or e}") from None
    return loads(data, path)


_STR = frozenset((str,))


def _str_list(v, what: str, node: str | None) -> tuple[str, ...]:
    if type(v) is not list or not _STR.issuperset(map(type, v)):
        found = _json_type(v) if type(v) is not list else "a non-string item"
        raise _fail("QMK004", f"{what} must be a list of strings, found {found}", node)
    return tuple(v)


def _json_type(x) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(x), "null"
    )


def from_json(doc: Any, name: str = "<input>") -> Program:
    """Build a Program from parsed JSON, checking the document's shape."""
    if type(doc) is not dict:
        raise _fail("QMK004", f"{name}: a QVM document is a JSON object, found {_json_type(doc)}")
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise _fail(
            "QMK005",
            f"{name}: unsupported QVM version {version!r}",
            notes=[f"supported versions: {', '.join(SUPPORTED_VERSIONS)}"],
        )
    derive_caps = False
    if version == "0.1":
        derive_caps = type(doc.get("caps")) is not list
        doc = _upgrade_01(doc)
    prog = doc.get("program")
    if type(prog) is not dict or type(prog.get("nodes")) is not list:
        raise _fail("QMK004", f"{name}: missing 'program.nodes' array")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise _fail("QMK004", f"{name}: unknown top-level field(s) {', '.join(sorted(unknown))}")
    raw = prog["nodes"]
    nodes = [_node(n, i) for i, n in enumerate(raw)]
    res = doc.get("resources")
    if res is None:
        res = {}
    if type(res) is not dict:
        raise _fail("QMK004", "'resources' must be an object")
    resources = Resources(
        _str_list(res.get("vqs", []), "resources.vqs", None),
        _str_list(res.get("chs", []), "resources.chs", None),
        _str_list(res.get("events", []), "resources.events", None),
    )
    caps = _str_list(doc.get("caps", []), "caps", None)
    outputs = doc.get("outputs", [])
    if type(outputs) is not list or any(type(o) is not dict for o in outputs):
        raise _fail("QMK004", "'outputs' must be a list of objects")
    metadata = doc.get("metadata", {})
    if type(metadata) is not dict:
        raise _fail("QMK004", "'metadata' must be an object")
    program = Program(nodes, resources, caps, outputs, metadata, CURRENT_VERSION)
    if derive_caps:  # a 0.1 document without "caps": declare what its nodes need
        program.caps = program.required_caps()
    return program


def _handles(v, field: str, nid: str) -> tuple[str, ...]:
    if type(v) is list and _STR.issuperset(map(type, v)):
        return tuple(v)
    raise _fail("QMK004", f"node '{nid}': '{field}' must be a list of strings", nid)


def _node(n: Any, index: int) -> Node:
    if type(n) is not dict:
        raise _fail("QMK004", f"program.nodes[{index}] must be an object, found {_json_type(n)}")
    get = n.get
    nid = get("id")
    op = get("op")
    if type(nid) is not str or type(op) is not str:
        raise _fail("QMK004", f"program.nodes[{index}] needs string fields 'id' and 'op'",
                    nid if type(nid) is str else None)
    size = len(n)
    vqs = get("vqs")
    if vqs is not None:
        vqs = tuple(vqs) if type(vqs) is list and _STR.issuperset(map(type, vqs)) else _handles(vqs, "vqs", nid)
        if size == 3:  # the common case: id, op, vqs
            return _new_node(Node, (nid, op, vqs, EMPTY, (), (), (), None, (), None, EMPTY))
    else:
        vqs = ()
    if not n.keys() <= _NODE_KEYS:
        extra = ", ".join(sorted(set(n) - _NODE_KEYS))
        raise _fail("QMK004", f"node '{nid}': unknown field(s) {extra}", nid)
    args = get("args")
    if args is None:
        args = EMPTY
    elif type(args) is not dict:
        raise _fail("QMK004", f"node '{nid}': 'args' must be an object", nid)
    guard = get("guard")
    if guard is not None and type(guard) is not dict:
        raise _fail("QMK004", f"node '{nid}': 'guard' must be an object", nid)
    loc = get("loc")
    if loc is not None:
        loc = _loc(loc, nid)
    meta = get("metadata")
    if meta is None:
        meta = EMPTY
    elif type(meta) is not dict:
        raise _fail("QMK004", f"node '{nid}': 'metadata' must be an object", nid)
    produces = get("produces")
    inputs = get("inputs")
    chs = get("chs")
    caps = get("caps")
    return _new_node(Node, (
        nid,
        op,
        vqs,
        args,
        _handles(produces, "produces", nid) if produces is not None else (),
        _handles(inputs, "inputs", nid) if inputs is not None else (),
        _handles(chs, "chs", nid) if chs is not None else (),
        guard,
        _handles(caps, "caps", nid) if caps is not None else (),
        loc,
        meta,
    ))


def _loc(v, nid) -> Location:
    if (
        type(v) is not dict
        or type(v.get("file")) is not str
        or type(v.get("line")) is not int
        or type(v.get("col", 0)) is not int
    ):
        raise _fail("QMK004", f"node '{nid}': 'loc' must be {{file: string, line: int, col: int}}", nid)
    return Location(v["file"], v["line"], v.get("col", 0))


def _upgrade_01(doc: dict) -> dict:
    """Upgrade a QVM 0.1 document to the current shape.

    - top-level fields other than the known ones (``description``) move into ``metadata``;
    - ``COND_PAULI`` written as ``args.pauli`` with a guard becomes ``args.mask`` with ``inputs``
      (guard ``equals 1``) or a guarded ``APPLY_<P>`` (guard ``equals 0``);
    - ``OPEN_CHAN`` ``args.fidelity`` moves to ``args.opts.fidelity``;
    - capabilities that 0.1 could not declare (``CAP_MEASURE``) are added when nodes need them.
    """
    out = {k: v for k, v in doc.items() if k in _TOP_KEYS}
    extra = {k: v for k, v in doc.items() if k not in _TOP_KEYS}
    if extra:
        meta = dict(doc.get("metadata") or {})
        for k, v in extra.items():
            meta.setdefault(k, v)
        out["metadata"] = meta
    prog = doc.get("program")
    if type(prog) is dict and type(prog.get("nodes")) is list:
        nodes = []
        for n in prog["nodes"]:
            if type(n) is dict:
                n = _upgrade_node_01(n)
            nodes.append(n)
        out["program"] = {"nodes": nodes}
        caps = out.get("caps")
        if type(caps) is list:
            measures = any(type(n) is dict and str(n.get("op", "")).startswith("MEASURE_") for n in nodes)
            if measures and "CAP_MEASURE" not in caps:
                out["caps"] = caps + ["CAP_MEASURE"]
    res = out.get("resources")
    if type(res) is dict:
        res = dict(res)
        res.setdefault("chs", [])
        res.setdefault("events", [])
        out["resources"] = res
    out["version"] = CURRENT_VERSION
    return out


def _upgrade_node_01(n: dict) -> dict:
    n = dict(n)
    args = n.get("args")
    if n.get("op") == "COND_PAULI" and type(args) is dict and "pauli" in args and "mask" not in args:
        pauli = args["pauli"]
        rest = {k: v for k, v in args.items() if k != "pauli"}
        guard = n.get("guard")
        if type(guard) is dict and set(guard) == {"event", "equals"} and not n.get("inputs"):
            if guard["equals"] == 1:
                n.pop("guard")
                n["inputs"] = [guard["event"]]
                n["args"] = dict(rest, mask=pauli)
            else:
                n["op"] = f"APPLY_{pauli}"
                n["args"] = rest
                if not rest:
                    n.pop("args")
        else:
            n["args"] = dict(rest, mask=pauli)
    if n.get("op") == "OPEN_CHAN" and type(args) is dict and "fidelity" in args:
        rest = {k: v for k, v in args.items() if k != "fidelity"}
        opts = dict(rest.get("opts") or {})
        opts.setdefault("fidelity", args["fidelity"])
        rest["opts"] = opts
        n["args"] = rest
    return n


# ----------------------------------------------------------------------------------- dumping


def _sorted(d) -> dict:
    return d if len(d) < 2 else {k: d[k] for k in sorted(d)}


_OUTPUT_ORDER = ("type", "event", "value", "count", "label", "invert")


def _output(o: dict) -> dict:
    d = {k: o[k] for k in _OUTPUT_ORDER if k in o}
    for k in sorted(o):
        if k not in d:
            d[k] = o[k]
    return d


def node_to_json(n: Node) -> dict:
    d: dict = {"id": n.id, "op": n.op}
    if n.vqs:
        d["vqs"] = n.vqs
    if n.chs:
        d["chs"] = n.chs
    args = n.args
    if args:
        d["args"] = args if len(args) < 2 else {k: args[k] for k in sorted(args)}
    if n.inputs:
        d["inputs"] = n.inputs
    if n.produces:
        d["produces"] = n.produces
    if n.guard is not None:
        d["guard"] = n.guard
    if n.caps:
        d["caps"] = n.caps
    loc = n.loc
    if loc is not None:
        d["loc"] = {"file": loc.file, "line": loc.line, "col": loc.col}
    if n.metadata:
        d["metadata"] = _sorted(n.metadata)
    return d


_CHUNK = 8192


def _dump_nodes(nodes: list[Node]) -> bytes:
    """All nodes, one per line. Nodes are serialized a chunk at a time (one orjson call per chunk) and the
    line breaks are put between top-level node objects, which always start with the key "id"."""
    dump = orjson.dumps
    out = []
    for i in range(0, len(nodes), _CHUNK):
        chunk = dump([node_to_json(n) for n in nodes[i : i + _CHUNK]])
        out.append(chunk[1:-1].replace(b'},{"id":', b'},\n    {"id":'))
    return b",\n    ".join(out)


def dumps(p: Program) -> bytes:
    """The deterministic JSON text of a program (bytes, UTF-8, ending in a newline)."""
    with gc_paused():
        return _dumps(p)


def _dumps(p: Program) -> bytes:
    dump = orjson.dumps
    parts = [b'{\n  "version": ', dump(CURRENT_VERSION), b',\n  "program": {"nodes": [']
    nodes = p.nodes
    if nodes:
        parts.append(b"\n    ")
        parts.append(_dump_nodes(nodes))
        parts.append(b"\n  ")
    parts.append(b"]},\n  \"resources\": ")
    parts.append(dump({"vqs": p.resources.vqs, "chs": p.resources.chs, "events": p.resources.events}))
    parts.append(b',\n  "caps": ')
    parts.append(dump(p.caps))
    if p.outputs:
        parts.append(b',\n  "outputs": [\n    ')
        parts.append(b",\n    ".join(dump(_output(o)) for o in p.outputs))
        parts.append(b"\n  ]")
    if p.metadata:
        parts.append(b',\n  "metadata": ')
        parts.append(dump(p.metadata, option=orjson.OPT_SORT_KEYS))
    parts.append(b"\n}\n")
    return b"".join(parts)


def to_json(p: Program) -> dict:
    """The program as plain JSON-compatible Python data."""
    return orjson.loads(dumps(p))
