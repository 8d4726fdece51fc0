"""Numbers for people: ``100M``, ``2.5k``, ``35%``; shared by the terminal report and the charts."""

from __future__ import annotations

import math


def number(x: float, digits: int = 3) -> str:
    """A count with a k/M/B suffix and ``digits`` significant digits.

    Example:
        >>> number(100_000_000), number(2_540), number(0.5), number(-1_234_567)
        ('100M', '2.54k', '0.5', '−1.23M')

    Negative numbers take a real minus sign (U+2212), as printed text does.
    """
    if not math.isfinite(x):
        return "never" if x > 0 else "-"
    sign = "\u2212" if x < 0 else ""
    x = abs(x)
    if x < 0.005:  # rounding noise of a paired difference, not a quantity
        return "0"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= size * 0.9995:
            return sign + _sig(x / size, digits) + suffix
    return sign + _sig(x, digits)


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(x)))
    return f"{x:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:.0f}"


def signed(x: float, digits: int = 2) -> str:
    """A signed coefficient with a real minus sign: ``+0.62``, ``−0.15`` (never ``-0.00``).

    Example:
        >>> signed(0.621), signed(-0.149), signed(-0.0001)
        ('+0.62', '−0.15', '+0.00')
    """
    text = f"{round(x, digits) + 0.0:+.{digits}f}"
    return text.replace("-", "\u2212")


def signed_number(x: float) -> str:
    """A difference as a human number with its sign: ``+2.5B``, ``0``, ``−1.2M`` (a real minus sign).

    Example:
        >>> signed_number(2.5e9), signed_number(0.0), signed_number(-1.2e6)
        ('+2.5B', '0', '−1.2M')
    """
    return ("+" if x > 0 else "\u2212" if x < 0 else "") + number(abs(x))


def percent(p: float) -> str:
    """A probability as a percentage: whole percent, or one decimal below 1% and above 99%; never a rounded
    ``0.0%`` or ``100.0%`` for a chance that is neither none nor all.

    Example:
        >>> percent(0.35), percent(0.004), percent(1.0), percent(0.0002), percent(0.9999)
        ('35%', '0.4%', '100%', '<0.1%', '>99.9%')
    """
    if p in (0.0, 1.0) or 0.01 <= p <= 0.99:
        return f"{p * 100:.0f}%"
    if p < 0.0005:
        return "<0.1%"
    if p > 0.9995:
        return ">99.9%"
    return f"{p * 100:.1f}%"


def interval(mid: float, lo: float, hi: float) -> str:
    """``median (lo-hi)`` in human numbers.

    Example:
        >>> interval(14.6e9, 7.7e9, 35.4e9)
        '14.6B (7.7B to 35.4B)'
    """
    return f"{number(mid)} ({number(lo)} to {number(hi)})"
