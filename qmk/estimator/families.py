"""QEC families beyond the reference: color code, Bacon-Shor, SHYPS (qLDPC).

Each uses the same threshold model as the reference schemes, P_L(d) = a (p/p_th)^((d+1) div 2), with
constants from its published source where one exists, and says where a number is an assumption. These
are approximations meant for comparison (``--compare``), not reproductions of a published estimator:

- ``color_code``: 2D triangular (6.6.6) color code with flag-qubit syndrome extraction. Threshold
  p_th = 0.002 under circuit-level noise (Chamberland, Kubica, Yoder, Zhu, NJP 22, 023019, 2020).
  Qubits (3d^2 + 1)/4 data, doubled for syndrome and flag qubits (approximation). Cycle time
  (8 two-qubit gates + 2 measurements) per round, d rounds (approximation: weight-6 checks need about
  twice the CNOT layers of the surface code's weight-4 checks). a = 0.03 is assumed (surface code value).
- ``bacon_shor``: d x d Bacon-Shor subsystem code measured through weight-2 gauge operators
  (Aliferis & Cross, PRL 98, 220502, 2007). d^2 data plus 2d(d-1) gauge ancillas. A 2D Bacon-Shor family
  has no true threshold (Napp & Preskill, QIC 13, 490, 2013): the model uses an effective p_th = 2e-4,
  of the order of the pseudo-thresholds reported there, and caps d at 25, beyond which the threshold
  model is not meaningful. Both numbers are approximations.
- ``shyps``: SHYPS subsystem hypergraph-product simplex codes [[(2^r - 1)^2, r^2, 2^(r-1)]] (Malcolm et
  al., arXiv:2502.07150, 2025): distances 4, 8, 16, 32, each block holding r^2 logical qubits. Data
  qubits are doubled for ancillas (approximation). p_th = 0.01 and a = 0.03 are assumed equal to the
  surface code's (the paper reports logical error rates comparable to the surface code at equal
  distance); T factories place one logical qubit per block share, ceil(n/k) physical qubits.

All three need gate-based qubits; Majorana qubits are refused with a clear message.
"""

from __future__ import annotations

from .expr import Formula
from .qec import QecScheme
from .qubits import ModelError

_GATE_CYCLE = "(8 * twoQubitGateTime + 2 * oneQubitMeasurementTime) * codeDistance"


def _gate_only(name: str, qubit) -> None:
    if qubit.is_majorana:
        raise ModelError(f"{name} is modelled for gate-based qubits only")


def color_code(qubit) -> QecScheme:
    _gate_only("color_code", qubit)
    return QecScheme(
        "color_code", 0.03, 0.002, Formula(_GATE_CYCLE),
        Formula("(3 * codeDistance * codeDistance + 1) / 2"),
        notes=("threshold: Chamberland et al. 2020; footprint and cycle time approximate",),
    )


def bacon_shor(qubit) -> QecScheme:
    _gate_only("bacon_shor", qubit)
    return QecScheme(
        "bacon_shor", 0.03, 2e-4,
        Formula("(4 * twoQubitGateTime + 2 * oneQubitMeasurementTime) * codeDistance"),
        Formula("3 * codeDistance * codeDistance - 2 * codeDistance"), max_code_distance=25,
        notes=("no true threshold in 2D; effective p_th approximate (Napp & Preskill 2013)",),
    )


def _shyps_size(d: int) -> tuple[int, int]:
    r = d.bit_length()  # d = 2^(r-1)
    return (2**r - 1) ** 2, r * r


def shyps(qubit) -> QecScheme:
    _gate_only("shyps", qubit)
    # Block size depends on d; the formula gives a block's qubits, k is for the smallest block and the
    # estimator takes k(d) from block_size() below.
    return QecScheme(
        "shyps", 0.03, 0.01, Formula(_GATE_CYCLE),
        Formula("2 * (2 * codeDistance - 1) ^ 2"), max_code_distance=32, distances=(4, 8, 16, 32),
        logical_qubits_per_block=9,
        notes=("SHYPS family (Malcolm et al. 2025); p_th and a assumed equal to the surface code's",),
    )


def block_size(scheme: QecScheme, d: int) -> int:
    """Logical qubits per block at distance d (r^2 for SHYPS, else the scheme's constant)."""
    if scheme.name == "shyps":
        return _shyps_size(d)[1]
    return scheme.logical_qubits_per_block


FAMILIES = {"color_code": color_code, "bacon_shor": bacon_shor, "shyps": shyps}
