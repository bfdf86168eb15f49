"""Go `time.Duration` constants as operators read them: `200 * time.Millisecond` printed the
way `Duration.String()` prints it (`200ms`, `1m0s`, `6h0m0s`), the text `--help` shows."""

from __future__ import annotations

import re
from fractions import Fraction

_NS = {
    "Nanosecond": Fraction(1),
    "Microsecond": Fraction(1_000),
    "Millisecond": Fraction(1_000_000),
    "Second": Fraction(1_000_000_000),
    "Minute": Fraction(60_000_000_000),
    "Hour": Fraction(3_600_000_000_000),
}
_NUM = r"\d+(?:\.\d+)?"
_TERM = re.compile(
    rf"^(?:(?P<n1>{_NUM})\s*\*\s*)?time\.(?P<u1>[A-Z][a-z]+)$"
    rf"|^time\.(?P<u2>[A-Z][a-z]+)\s*\*\s*(?P<n2>{_NUM})$"
)


def duration_ns(text: str) -> Fraction | None:
    """`200 * time.Millisecond`, `time.Hour * 6`, `time.Minute + 30*time.Second` → nanoseconds;
    None for anything else (a variable, a call, a bare number)."""
    total = Fraction(0)
    terms = [t.strip() for t in text.split("+")]
    if not terms or any(not t for t in terms):
        return None
    for term in terms:
        match = _TERM.match(term.strip("() "))
        if match is None:
            return None
        unit = match.group("u1") or match.group("u2")
        number = match.group("n1") or match.group("n2") or "1"
        if unit not in _NS:
            return None
        total += Fraction(number) * _NS[unit]
    return total


def _trim(value: Fraction) -> str:
    """A non-negative number as Go prints a duration's parts: `1.5`, `200`, no trailing 0s."""
    whole = int(value)
    rest = value - whole
    if not rest:
        return str(whole)
    digits = f"{float(value):.9f}".rstrip("0").rstrip(".")
    return digits


def go_duration(ns: Fraction) -> str:
    """Nanoseconds as Go's `time.Duration.String()` writes them: `0s`, `200ms`, `1.5s`,
    `1m0s`, `6h0m0s`."""
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns == 0:
        return "0s"
    if ns < _NS["Second"]:
        for unit, suffix in (("Millisecond", "ms"), ("Microsecond", "µs"), ("Nanosecond", "ns")):
            if ns >= _NS[unit]:
                return f"{sign}{_trim(ns / _NS[unit])}{suffix}"
    hours = int(ns // _NS["Hour"])
    ns -= hours * _NS["Hour"]
    minutes = int(ns // _NS["Minute"])
    ns -= minutes * _NS["Minute"]
    seconds = _trim(ns / _NS["Second"])
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def as_string_call(value: str) -> str | None:
    """What `.String()` gives for a constant's value: a duration printed the Go way; None
    when the value is not a duration."""
    ns = duration_ns(value)
    return go_duration(ns) if ns is not None else None
