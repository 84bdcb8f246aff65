"""Units. Volumes are integer cubic metres everywhere (no floats); money is Decimal yuan.

The seed prints volumes in 万立方米 (10⁴ m³) and 亿立方米 (10⁸ m³); these helpers convert exactly
and refuse any figure that does not come out as a whole number of cubic metres.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN = 10_000  # 万
YI = 100_000_000  # 亿
FEN = Decimal("0.01")

UNIT_FACTORS = {"m3": 1, "10k_m3": WAN, "100m_m3": YI}


def to_m3(value: str | int | Decimal, unit: str) -> int:
    """Exact integer m³ from a figure in ``unit`` (``m3``, ``10k_m3`` = 万m³, ``100m_m3`` = 亿m³)."""
    if isinstance(value, float):
        raise TypeError("volumes must not be floats")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    m3 = number * UNIT_FACTORS[unit]
    if m3 != m3.to_integral_value():
        raise ValueError(f"{value} {unit} is not a whole number of cubic metres")
    return int(m3)


def money(value: str | int | Decimal) -> Decimal:
    """Decimal yuan rounded to the fen (half up)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


def wan(m3: int | None, places: int = 2) -> str:
    """m³ as 万m³ text, e.g. 1234567 → '123.46'."""
    if m3 is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return f"{(Decimal(m3) / WAN).quantize(q, rounding=ROUND_HALF_UP):,}"


def yi(m3: int | None, places: int = 4) -> str:
    """m³ as 亿m³ text, e.g. 2809400000 → '28.0940'."""
    if m3 is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return f"{(Decimal(m3) / YI).quantize(q, rounding=ROUND_HALF_UP):,}"


def human_volume(m3: int | None) -> str:
    """A volume in the unit the seed would use: 亿立方米 from 1亿, 万立方米 from 1万, else 立方米."""
    if m3 is None:
        return "—"
    if abs(m3) >= YI:
        return f"{yi(m3)} 亿立方米"
    if abs(m3) >= WAN:
        return f"{wan(m3)} 万立方米"
    return f"{m3:,} 立方米"


def split_by_weights(total: int, weights: list[Decimal | int]) -> list[int]:
    """Split an integer ``total`` in proportion to ``weights`` so the parts sum exactly to ``total``.

    Largest-remainder method: each part is floored, and the units left over go to the largest
    fractional remainders (ties to the earlier item), so the result is reproducible.
    """
    if total < 0:
        raise ValueError("total must be non-negative")
    weights = [Decimal(w) for w in weights]
    wsum = sum(weights)
    if not weights:
        return []
    if wsum <= 0:
        raise ValueError("weights must sum to a positive number")
    exact = [Decimal(total) * w / wsum for w in weights]
    floors = [int(x) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors
