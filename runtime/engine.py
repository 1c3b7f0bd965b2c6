"""The engine interface: what the executor and the QIR JIT ask of a simulator.

An engine holds the quantum state of a varying set of qubits. Qubits are named by integer *slots* that
the engine hands out (``allocate``) and takes back (``release``); a slot is never reused while live.
Every method that takes a qubit takes a slot.

Conventions, shared by every engine so that results do not depend on the engine:

* ``apply(op, qubits, args)`` applies the unitary of QVM gate ``op`` (``qmk.ops`` kind ``"gate"``, and
  ``TELEPORT_CNOT`` as its matrix) with ``qubits[0]`` as the most significant bit of the op's matrix.
* ``measure(q, basis)`` is projective; the outcome is 0 for the +1 eigenvalue (|0>, |+>, |+i>, or for
  ``basis="ANGLE"`` the +1 eigenstate of cos(a) Z + sin(a) X) and the post-measurement state is the
  eigenstate measured, not |0>.
* ``measure_pauli(qubits, paulis)`` measures a Pauli product such as Z_a Z_b projectively (outcome 0 for
  +1); the gate-teleportation protocol is built from it.
* ``release(q)`` discards a qubit. Its state is traced out (the engine projects it on a random outcome,
  which leaves the other qubits in the correct reduced state for everything measured later).
* All randomness comes from ``rng`` (a ``numpy.random.Generator``), so a seed reproduces a run.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from qmk.diagnostics import QmkError

BASES = ("Z", "X", "Y", "ANGLE")


class EngineError(QmkError):
    """An engine cannot do what was asked (unsupported op, unknown slot, too much memory)."""

    exit_code = 3


class Engine(ABC):
    """A simulator of a varying set of qubits; see the module docstring for the conventions."""

    name: str = "engine"
    rng: object  # numpy.random.Generator

    @abstractmethod
    def allocate(self) -> int:
        """Add a qubit in |0> and return its slot."""

    def allocate_many(self, k: int) -> list[int]:
        """k new qubits in |0> (engines may grow their state once instead of k times)."""
        return [self.allocate() for _ in range(k)]

    @abstractmethod
    def release(self, q: int) -> None:
        """Discard qubit ``q`` (traced out)."""

    @property
    @abstractmethod
    def num_qubits(self) -> int:
        """The number of live qubits."""

    @abstractmethod
    def apply(self, op: str, qubits: Sequence[int], args: Mapping | None = None) -> None:
        """Apply the unitary of QVM op ``op`` to ``qubits`` (``qubits[0]`` is the matrix's MSB)."""

    @abstractmethod
    def apply_matrix(self, m, qubits: Sequence[int]) -> None:
        """Apply a 2^k x 2^k unitary to ``qubits`` (``qubits[0]`` is the MSB of ``m``)."""

    @abstractmethod
    def measure(self, q: int, basis: str = "Z", angle: float | None = None) -> int:
        """Projectively measure ``q`` in ``basis`` (Z, X, Y or ANGLE with ``angle``); returns 0 or 1."""

    @abstractmethod
    def measure_pauli(self, qubits: Sequence[int], paulis: str) -> int:
        """Projectively measure the product of ``paulis[i]`` on ``qubits[i]``; 0 means eigenvalue +1."""

    def reset(self, q: int) -> None:
        """Put ``q`` into |0> (a Z measurement followed by X when the outcome is 1)."""
        if self.measure(q, "Z"):
            self.apply("APPLY_X", (q,))

    def apply_pauli(self, q: int, letter: str) -> None:
        """Apply the Pauli ``letter`` (I, X, Y or Z) to ``q``."""
        if letter != "I":
            self.apply("APPLY_" + letter, (q,))

    @abstractmethod
    def sample(self, shots: int, qubits: Sequence[int]):
        """``shots`` Z-basis samples of ``qubits`` without collapsing the state: a uint8 array
        of shape (shots, len(qubits)), column i for ``qubits[i]``."""

    @abstractmethod
    def copy(self) -> Engine:
        """An independent copy of the state; it shares ``rng`` (one random stream per run)."""

    def probabilities(self, qubits: Sequence[int]):
        """The Z-basis distribution of ``qubits`` (index with ``qubits[0]`` as the MSB); engines whose
        state is not a vector may raise EngineError."""
        raise EngineError(f"the {self.name} engine cannot list probabilities")


def check_angle(value, what: str = "angle") -> float:
    """A finite float angle, or EngineError (NaN or infinite angles are refused, not simulated)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(x):
        raise EngineError(f"{what} is {x}, not a finite number")
    return x
