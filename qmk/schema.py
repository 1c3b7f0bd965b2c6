"""The QVM JSON Schema, generated from the op table.

The generated schema is shipped as ``qmk/data/qvm.schema.json``; a test fails when the shipped file
differs from ``generate()``. Regenerate with ``python -m qmk.schema > qmk/data/qvm.schema.json`` or
``make schema``. The schema describes the document's shape and each op's operand counts and argument
types; rules that need the whole program (lifetimes, order, capability coverage) are the verifier's.
"""

from __future__ import annotations

import json

from .ir import CURRENT_VERSION
from .ops import CAPABILITIES, OPS, ArgSpec

_HANDLE = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.]*$"}
_HANDLES = {"type": "array", "items": {"$ref": "#/$defs/handle"}}

_ARG_SCHEMAS = {
    "angle": {"type": "number"},
    "count": {"type": "integer", "minimum": 1},
    "profile": {"type": "string", "pattern": "^\\s*logical\\s*:"},
    "str": {"type": "string"},
    "pauli_mask": {"type": "string", "pattern": "^[IXYZ]+$"},
    "chan_opts": {
        "type": "object",
        "properties": {
            "fidelity": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "type": {"type": "string"},
        },
    },
    "object": {"type": "object"},
}


def _count(lo: int, hi: int | None) -> dict:
    d: dict = {"minItems": lo}
    if hi is not None:
        d["maxItems"] = hi
    return d


def _op_rule(spec) -> dict:
    props: dict = {"op": {"const": spec.name}}
    then: dict = {"properties": {}}
    tp = then["properties"]
    tp["vqs"] = dict(_HANDLES, **_count(spec.min_qubits, spec.max_qubits))
    tp["chs"] = dict(_HANDLES, **_count(spec.n_chs, spec.n_chs))
    tp["produces"] = dict(_HANDLES, **_count(spec.produces, spec.produces))
    if not spec.needs_inputs:
        tp["inputs"] = {"type": "array", "maxItems": 0}
    args: dict = {"type": "object", "properties": {a.name: _ARG_SCHEMAS[a.type] for a in spec.args}}
    req = [a.name for a in spec.args if a.required]
    if req:
        args["required"] = req
        then["required"] = ["args"]
    tp["args"] = args
    required = ["vqs"] if spec.min_qubits else []
    if spec.n_chs:
        required.append("chs")
    if spec.produces:
        required.append("produces")
    if spec.needs_inputs:
        required.append("inputs")
    if required:
        then["required"] = sorted(set(then.get("required", [])) | set(required))
    return {"if": {"properties": props, "required": ["op"]}, "then": then}


def generate() -> dict:
    guard = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"event": {"$ref": "#/$defs/handle"}, "equals": {"enum": [0, 1]}},
                "required": ["event", "equals"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/guard"}}},
                "required": ["all"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/guard"}}},
                "required": ["any"],
                "additionalProperties": False,
            },
        ]
    }
    node = {
        "type": "object",
        "required": ["id", "op"],
        "additionalProperties": False,
        "properties": {
            "id": {"$ref": "#/$defs/handle"},
            "op": {"enum": list(OPS)},
            "vqs": _HANDLES,
            "chs": _HANDLES,
            "args": {"type": "object"},
            "inputs": _HANDLES,
            "produces": _HANDLES,
            "guard": {"$ref": "#/$defs/guard"},
            "caps": {"type": "array", "items": {"$ref": "#/$defs/cap"}},
            "loc": {
                "type": "object",
                "properties": {
                    "file": {"type": "string"},
                    "line": {"type": "integer", "minimum": 0},
                    "col": {"type": "integer", "minimum": 0},
                },
                "required": ["file", "line"],
            },
            "metadata": {"type": "object"},
        },
        "allOf": [_op_rule(s) for s in OPS.values()],
    }
    output = {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"enum": ["RESULT", "BOOL", "INT", "DOUBLE", "TUPLE", "ARRAY"]},
            "event": {"$ref": "#/$defs/handle"},
            "value": {"type": ["number", "boolean"]},
            "count": {"type": "integer", "minimum": 0},
            "label": {"type": "string"},
            "invert": {"type": "boolean"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://qmk.invalid/schemas/qvm-{CURRENT_VERSION}.json",
        "title": f"QVM {CURRENT_VERSION}",
        "description": "A QVM program: nodes in program order over logical qubits, channels and events. "
        "Generated from qmk.ops; see docs/qvm.md.",
        "type": "object",
        "required": ["version", "program", "resources", "caps"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": CURRENT_VERSION},
            "program": {
                "type": "object",
                "required": ["nodes"],
                "additionalProperties": False,
                "properties": {"nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            },
            "resources": {
                "type": "object",
                "required": ["vqs", "chs", "events"],
                "additionalProperties": False,
                "properties": {
                    "vqs": dict(_HANDLES, uniqueItems=True),
                    "chs": dict(_HANDLES, uniqueItems=True),
                    "events": dict(_HANDLES, uniqueItems=True),
                },
            },
            "caps": {"type": "array", "uniqueItems": True, "items": {"$ref": "#/$defs/cap"}},
            "outputs": {"type": "array", "items": {"$ref": "#/$defs/output"}},
            "metadata": {"type": "object"},
        },
        "$defs": {
            "handle": _HANDLE,
            "cap": {"enum": list(CAPABILITIES)},
            "guard": guard,
            "node": node,
            "output": output,
        },
    }


def render() -> str:
    return json.dumps(generate(), indent=2) + "\n"


def shipped_path():
    from importlib.resources import files

    return files("qmk") / "data" / "qvm.schema.json"


if __name__ == "__main__":
    print(render(), end="")
