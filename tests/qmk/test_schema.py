"""The shipped JSON Schema is generated from the op table, is current, and agrees with the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from qmk import schema

ROOT = Path(__file__).resolve().parents[2]
VALID = sorted((ROOT / "examples" / "qvm").glob("*.qvm.json"))


def test_shipped_schema_is_not_stale():
    shipped = schema.shipped_path().read_text()
    assert shipped == schema.render(), "run `make schema` to regenerate qmk/data/qvm.schema.json"


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema.generate())


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_match_the_schema(path):
    jsonschema.Draft202012Validator(schema.generate()).validate(json.loads(path.read_bytes()))


@pytest.mark.parametrize(
    "name",
    ["QMK101-unknown-op", "QMK102-wrong-qubit-count", "QMK104-missing-argument", "QMK107-measure-without-event",
     "QMK108-cond-pauli-without-inputs", "QMK109-bad-pauli-mask", "QMK110-bad-handle-name", "QMK324-guard-value",
     "QMK402-unknown-capability"],
)
def test_schema_rejects_shape_errors(name):
    doc = json.loads((ROOT / "examples" / "qvm" / "invalid" / f"{name}.qvm.json").read_bytes())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema.generate()).validate(doc)
