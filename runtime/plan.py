"""Static facts about a program that decide how it is run: engine, sampling strategy, memory.

* ``clifford``: every node is a stabilizer operation (``stabilizer.clifford_node``), so stim can run it.
* ``deferrable``: the whole run can be sampled from ONE simulation. That holds when no node reads an event
  (no guards, no COND_PAULI), every measured qubit is left alone afterwards (FREE_LQ aside), every RESET,
  INJECT_T_STATE and OPEN_CHAN acts on a qubit still fresh from ALLOC_LQ (their reset is then not random),
  no channel is noisy, and no qubit is allocated after one is freed. Then every measurement can be moved
  to the end of the program (principle of deferred measurement; the measured qubit is not touched again),
  and the joint distribution of all outcomes is the final state's distribution, so sampling it N times is
  exactly N runs. The gate-teleported CNOT may stay: whatever its internal outcomes, its effect is CNOT.
* ``first_random``: nodes before it are deterministic (allocations and gates), so per-shot runs start
  from a copy of the state simulated once up to there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qmk import ops
from qmk.ir import Program

from .executor import channel_fidelity
from .stabilizer import clifford_node

_MEASURE = frozenset(("MEASURE_Z", "MEASURE_X", "MEASURE_Y", "MEASURE_ANGLE", "MEASURE_BELL"))
_PREP = frozenset(("RESET", "INJECT_T_STATE", "OPEN_CHAN"))


@dataclass
class Plan:
    clifford: bool = True
    non_clifford_node: str | None = None
    guarded: bool = False
    deferrable: bool = True
    first_random: int = 0
    first_touch: int = 0  # first node acting on a qubit other than ALLOC_LQ (noise starts there)
    peak_live: int = 0
    total_alloc: int = 0
    fences: int = 0
    barriers: int = 0
    policies: list = field(default_factory=list)
    nodes: int = 0
    teleports: bool = False

    def peak_qubits(self, deferred: bool) -> int:
        """Qubits held at once: in deferred mode freed qubits stay in the state."""
        return self.total_alloc + int(self.teleports) if deferred else self.peak_live


def analyze(program: Program) -> Plan:
    p = Plan(nodes=len(program.nodes))
    fresh: set[str] = set()
    measured: set[str] = set()
    live = 0
    freed = False
    first_random = first_touch = None
    for i, n in enumerate(program.nodes):
        op = n.op
        spec = ops.OPS.get(op)
        if p.clifford and not clifford_node(op, n.args):
            p.clifford, p.non_clifford_node = False, n.id
        if n.guard is not None:
            p.guarded = True
            p.deferrable = False
        if op == "FENCE_EPOCH":
            p.fences += 1
        elif op == "BAR_REGION":
            p.barriers += 1
        elif op == "SET_POLICY":
            p.policies.append(dict(n.args))
        if op == "ALLOC_LQ":
            live += len(n.vqs)
            p.total_alloc += len(n.vqs)
            fresh.update(n.vqs)
            if freed:
                p.deferrable = False
        elif op == "FREE_LQ":
            live -= len(n.vqs)
            freed = True
        elif op == "TELEPORT_CNOT":
            p.teleports = True
            p.peak_live = max(p.peak_live, live + 1)
        p.peak_live = max(p.peak_live, live)
        if op not in ("ALLOC_LQ", "FREE_LQ") and n.vqs and first_touch is None:
            first_touch = i
        if op == "COND_PAULI":
            p.deferrable = False
        if op in _PREP and not all(v in fresh for v in n.vqs):
            p.deferrable = False
        if op == "OPEN_CHAN" and channel_fidelity(n) < 1:
            p.deferrable = False
        if op != "FREE_LQ" and any(v in measured for v in n.vqs):
            p.deferrable = False
        if op in _MEASURE:
            measured.update(n.vqs)
        random = op in _MEASURE or op in ("FREE_LQ", "TELEPORT_CNOT") or n.guard is not None or (
            op in _PREP and not (all(v in fresh for v in n.vqs) and (op != "OPEN_CHAN" or channel_fidelity(n) == 1))
        ) or op == "COND_PAULI"
        if random and first_random is None:
            first_random = i
        if spec is not None and spec.kind != "lifecycle" or op == "RESET":
            fresh.difference_update(n.vqs)
    p.first_random = len(program.nodes) if first_random is None else first_random
    p.first_touch = len(program.nodes) if first_touch is None else first_touch
    return p
