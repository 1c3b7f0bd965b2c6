"""Run results: counts, per-shot records in the QIR runner format, telemetry, JSON.

A shot's outputs are a list of ``(TYPE, VALUE, LABEL)`` triples, exactly the ``OUTPUT`` lines a QIR
runner prints (``RESULT 0|1``, ``BOOL true|false``, ``INT n``, ``DOUBLE x``, containers ``TUPLE n`` and
``ARRAY n`` that group the next n values). The counts key of a shot is built from them:

* RESULT and BOOL values are written ``0``/``1`` and concatenate into a bit string in recording order;
* containers only group: a container's start or end ends the current bit string, so
  ``ARRAY 2 [1, 0], ARRAY 2 [1, 1]`` gives ``"10 11"`` while four bare results give ``"1011"``;
* every other value (INT, DOUBLE) is its own token; tokens are joined by single spaces;
* a shot that failed (non-zero exit code) records no output and is counted under ``"exit:N"``.

A program without output records is keyed by all its measured events, in production order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Output = tuple[str, str, "str | None"]


def format_double(x: float) -> str:
    """A double as Rust's ``{}`` prints it (what qir-runner writes): ``1`` for 1.0, ``0.75``, ``-3.5``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def counts_key(outputs: Sequence[Output]) -> str:
    """The counts key of one shot's outputs (see the module docstring)."""
    tokens: list[str] = []
    bits: list[str] = []
    remaining: list[int] = []  # values left in each open container

    def end_bits() -> None:
        if bits:
            tokens.append("".join(bits))
            bits.clear()

    for typ, value, _label in outputs:
        if typ in ("TUPLE", "ARRAY"):
            end_bits()
            if remaining:
                remaining[-1] -= 1
            remaining.append(int(value))
        else:
            if typ == "RESULT":
                bits.append(value)
            elif typ == "BOOL":
                bits.append("1" if value == "true" else "0")
            else:
                end_bits()
                tokens.append(value)
            if remaining:
                remaining[-1] -= 1
        while remaining and remaining[-1] <= 0:
            remaining.pop()
            end_bits()
    end_bits()
    return " ".join(tokens)


@dataclass(slots=True)
class ShotRecord:
    outputs: tuple[Output, ...]
    code: int = 0


@dataclass(slots=True)
class RunResult:
    """What a run produced. ``shots`` (per-shot records) is kept only when asked for."""

    counts: dict[str, int]
    exit_codes: dict[int, int] = field(default_factory=dict)
    shots: list[ShotRecord] | None = None
    telemetry: dict = field(default_factory=dict)
    metadata: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def num_shots(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict:
        d: dict = {"counts": dict(sorted(self.counts.items()))}
        d["exit_codes"] = {str(k): v for k, v in sorted(self.exit_codes.items())}
        if self.shots is not None:
            d["shots"] = [
                {"code": s.code, "outputs": [[t, v, lab] for t, v, lab in s.outputs], "key": shot_key(s)}
                for s in self.shots
            ]
        d["telemetry"] = dict(self.telemetry)
        if self.metadata:
            d["metadata"] = [[k, v] for k, v in self.metadata]
        return d

    @classmethod
    def from_json(cls, d: Mapping) -> "RunResult":
        """The inverse of ``to_json`` (used for results that come back from a qmk-kernel)."""
        shots = None
        if d.get("shots") is not None:
            shots = [ShotRecord(tuple(tuple(o) for o in s["outputs"]), int(s["code"])) for s in d["shots"]]
        return cls(
            counts=dict(d["counts"]),
            exit_codes={int(k): v for k, v in d.get("exit_codes", {}).items()},
            shots=shots,
            telemetry=dict(d.get("telemetry", {})),
            metadata=[(k, v) for k, v in d.get("metadata", [])],
        )

    def dumps_json(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"

    def dumps_counts(self) -> str:
        return json.dumps(dict(sorted(self.counts.items())), indent=None, separators=(", ", ": ")) + "\n"

    def records(self) -> str:
        """The per-shot lines a QIR runner prints (needs per-shot records: run with keep_shots=True)."""
        if self.shots is None:
            raise ValueError("records need the per-shot results; run with keep_shots=True")
        meta = "".join(f"METADATA\t{k}\t{v}\n" if v not in (None, "") else f"METADATA\t{k}\n" for k, v in self.metadata)
        parts: list[str] = []
        for s in self.shots:
            parts.append("START\n")
            parts.append(meta)
            if s.code == 0:
                for t, v, lab in s.outputs:
                    parts.append(f"OUTPUT\t{t}\t{v}\t{lab}\n" if lab is not None else f"OUTPUT\t{t}\t{v}\n")
            parts.append(f"END\t{s.code}\n")
        return "".join(parts)


def shot_key(s: ShotRecord) -> str:
    return counts_key(s.outputs) if s.code == 0 else f"exit:{s.code}"


def tally(shots: Sequence[ShotRecord]) -> tuple[dict[str, int], dict[int, int]]:
    """Counts and exit-code counts of a list of shots."""
    counts: dict[str, int] = {}
    codes: dict[int, int] = {}
    for s in shots:
        k = shot_key(s)
        counts[k] = counts.get(k, 0) + 1
        codes[s.code] = codes.get(s.code, 0) + 1
    return counts, codes


def shot_outputs(spec: Sequence[Mapping], events: Mapping[str, int], produced: Sequence[str]) -> tuple[Output, ...]:
    """The outputs of one shot of a QVM program: its ``outputs`` records evaluated on the shot's events,
    or, without records, every produced event as a RESULT labelled with its name."""
    if not spec:
        return tuple(("RESULT", str(events[e]), e) for e in produced if e in events)
    out: list[Output] = []
    for o in spec:
        typ = o.get("type")
        label = o.get("label")
        if typ in ("TUPLE", "ARRAY"):
            out.append((typ, str(int(o.get("count", 0))), label))
        elif typ in ("RESULT", "BOOL"):
            if "event" in o:
                bit = int(events.get(o["event"], 0)) ^ int(bool(o.get("invert", False)))
            else:
                bit = int(bool(o.get("value", False)))
            out.append((typ, str(bit) if typ == "RESULT" else ("true" if bit else "false"), label))
        elif typ == "INT":
            out.append((typ, str(int(o.get("value", 0))), label))
        elif typ == "DOUBLE":
            out.append((typ, format_double(float(o.get("value", 0.0))), label))
    return tuple(out)
