"""QEC profile strings: ``logical:FAMILY(key=value, ...)``, e.g. ``logical:surface_code(d=9)``.

The family names are case-insensitive and have aliases (``Surface``, ``SHYPS`` as the seed wrote them).
Parameters are numbers; ``d`` (code distance) is a positive integer and defaults per family.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# canonical family -> aliases (lower case)
FAMILIES: dict[str, tuple[str, ...]] = {
    "surface_code": ("surface", "surface_code", "rotated_surface", "surface_code_gate_based"),
    "floquet_code": ("floquet", "floquet_code", "honeycomb"),
    "color_code": ("color", "color_code"),
    "bacon_shor": ("bacon_shor", "baconshor", "bacon-shor"),
    "shyps": ("shyps", "qldpc", "shyps_qldpc"),
}
_ALIAS = {alias: fam for fam, aliases in FAMILIES.items() for alias in aliases}

DEFAULT_PROFILE = "logical:surface_code(d=9)"

_RE = re.compile(r"^\s*logical\s*:\s*([A-Za-z][A-Za-z0-9_\-]*)\s*(?:\((.*)\))?\s*$")
_PARAM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class ProfileError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Profile:
    family: str
    params: tuple[tuple[str, float | int], ...] = ()

    @property
    def distance(self) -> int:
        return int(dict(self.params).get("d", 9))

    def __str__(self) -> str:
        inner = ",".join(f"{k}={v}" for k, v in self.params)
        return f"logical:{self.family}({inner})"


def parse_profile(text: str) -> Profile:
    """Parse a profile string; raises ProfileError with a message that says what is wrong."""
    if not isinstance(text, str):
        raise ProfileError("a profile is a string like 'logical:surface_code(d=9)'")
    m = _RE.match(text)
    if not m:
        raise ProfileError(f"'{text}' is not of the form 'logical:FAMILY(key=value,...)'")
    fam = _ALIAS.get(m.group(1).lower())
    if fam is None:
        raise ProfileError(f"unknown QEC family '{m.group(1)}' (known: {', '.join(FAMILIES)})")
    params: list[tuple[str, float | int]] = []
    body = (m.group(2) or "").strip()
    if body:
        for part in body.split(","):
            pm = _PARAM.match(part)
            if not pm:
                raise ProfileError(f"bad parameter '{part.strip()}' in '{text}' (expected key=number)")
            key, raw = pm.group(1), pm.group(2)
            val: float | int = int(raw) if re.fullmatch(r"[-+]?\d+", raw) else float(raw)
            if any(k == key for k, _ in params):
                raise ProfileError(f"parameter '{key}' given twice in '{text}'")
            params.append((key, val))
    d = dict(params).get("d")
    if d is not None and (not isinstance(d, int) or d < 1 or d > 10_000):
        raise ProfileError(f"code distance d={d} must be an integer from 1 to 10000")
    return Profile(fam, tuple(params))
