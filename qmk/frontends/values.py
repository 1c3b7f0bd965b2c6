"""The values QIR readers hand to ``QvmBuilder.call`` and get back from it (see builder.py)."""

from __future__ import annotations

from dataclasses import dataclass

DYN_Q = "\x00d"  # placeholder prefix of dynamic qubit names until QvmBuilder.finish() names them


@dataclass(frozen=True, slots=True)
class Ptr:
    """A constant pointer argument (``null`` = 0, ``inttoptr (i64 k ...)`` = k)."""

    id: int


@dataclass(frozen=True, slots=True)
class Label:
    data: bytes

    def text(self) -> str:
        """UTF-8 when it is; otherwise escaped, so odd bytes never crash and re-emitting is stable."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return self.data.decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value computed at run time that the static lowering cannot know."""

    what: str


@dataclass(frozen=True, slots=True)
class DynQubit:
    index: int


@dataclass(frozen=True, slots=True)
class DynResult:
    index: int


@dataclass(eq=False, slots=True)
class ArrayVal:
    """A legacy ``%Array*`` from ``array_create_1d``, holding the control qubits of a ``__ctl`` call."""

    items: list


@dataclass(frozen=True, slots=True)
class ElemRef:
    """``array_get_element_ptr_1d(array, index)``: where a following ``store`` puts a control qubit."""

    array: ArrayVal
    index: int


@dataclass(frozen=True, slots=True)
class Bit:
    """A measured bit: event ``event`` (a final name), XORed with ``invert``."""

    event: str
    invert: bool = False

    def negate(self) -> "Bit":
        return Bit(self.event, not self.invert)

    def guard(self, value: bool) -> dict:
        """The guard that holds when this bit equals ``value``."""
        return {"event": self.event, "equals": int(bool(value) != self.invert)}


def describe(v) -> str:
    if isinstance(v, Ptr):
        return "a null pointer" if v.id == 0 else f"pointer {v.id}"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, float):
        return f"the number {v!r}"
    if isinstance(v, int):
        return f"the integer {v}"
    if isinstance(v, Label):
        return "a string label"
    if isinstance(v, DynQubit):
        return "a dynamically allocated qubit"
    if isinstance(v, (DynResult, Bit)):
        return "a measurement result"
    if v is None:
        return "nothing"
    return type(v).__name__
