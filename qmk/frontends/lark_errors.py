"""Source positions and lark syntax errors turned into compiler-style diagnostics.

Lark reports errors with its terminal names (``SEMICOLON``, ``__ANON_0``, ``NNINTEGER``); users must
never see those (STYLE.md). ``syntax_error`` describes a literal terminal by its text (``';'``) and a
pattern terminal by the plain-words name its grammar module gives it (``an identifier``), and places
the error at ``file:line:col`` of the whole source even when only a slice of it was parsed.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, InputError
from ..ir import Location


class Positions:
    """Offset -> (line, col), 1-based. Offsets asked in increasing order cost O(distance moved)."""

    __slots__ = ("_bol", "_line", "_pos", "name", "text")

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self._pos, self._line, self._bol = 0, 1, 0

    def line_col(self, pos: int) -> tuple[int, int]:
        if pos < self._pos:
            self._pos, self._line, self._bol = 0, 1, 0
        text = self.text
        nl = text.count("\n", self._pos, pos)
        if nl:
            self._line += nl
            self._bol = text.rfind("\n", 0, pos) + 1
        self._pos = pos
        return self._line, pos - self._bol + 1

    def loc(self, pos: int) -> Location:
        line, col = self.line_col(pos)
        return Location(self.name, line, col)


def _describe_terminal(parser, name: str, words: dict[str, str]) -> str:
    if name == "$END":
        return "end of input"
    if name in words:
        return words[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return "something else"
    if pattern.type == "str":
        return repr(pattern.value)
    return words.get(name, "something else")


def _found(token) -> str:
    if token is None or token.type == "$END":
        return "end of input"
    text = str(token)
    return repr(text if len(text) <= 30 else text[:27] + "...")


def syntax_error(exc, parser, text: str, name: str, *, offset: int = 0, end: int | None = None, code: str,
                 words: dict[str, str], what: str = "syntax error") -> InputError:
    """An InputError for a lark ``UnexpectedInput`` raised while parsing ``text[offset:end]``."""
    end = len(text[:end].rstrip())  # an unexpected end is reported just after the last token
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    expected: set[str] = set()
    if isinstance(exc, UnexpectedCharacters):
        pos = offset + exc.pos_in_stream
        ch = text[pos] if pos < len(text) else ""
        found = repr(ch) if ch else "end of input"
        expected = set(exc.allowed or ())
    elif isinstance(exc, UnexpectedToken):
        start = getattr(exc.token, "start_pos", None)
        pos = end if exc.token.type == "$END" or start is None else offset + start
        found = _found(exc.token)
        expected = set(exc.expected or ())
    elif isinstance(exc, UnexpectedEOF):
        pos = end
        found = "end of input"
        expected = set(exc.expected or ())
    else:  # pragma: no cover - lark raises only the three above for syntax errors
        pos, found = offset, "input"
    descs = sorted({_describe_terminal(parser, t, words) for t in expected} - {"something else"})
    message = f"{what}: unexpected {found}"
    if descs:
        message += "; expected " + (descs[0] if len(descs) == 1 else "one of " + ", ".join(descs[:10]))
    loc = Positions(text, name).loc(min(pos, len(text)))
    return InputError.from_diag(Diagnostic(code, message, loc=loc))
