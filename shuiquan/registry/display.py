"""How registry values are shown on pages: volumes in 万立方米 (or 亿立方米) with the exact integer
m³ in a tooltip; exports keep the raw integers."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.translation import gettext as _

from shuiquan.core import units


class Volume:
    """A volume for display: ``123.46 万立方米`` with ``1,234,567 立方米`` as its title.

    ``unit`` is ``wan`` or ``yi``; ``places`` the decimals; ``bare`` leaves the unit out (for
    tables whose header names it)."""

    __slots__ = ("m3", "unit", "places", "bare")

    def __init__(self, m3: int, unit: str = "wan", places: int | None = None, bare: bool = False):
        self.m3 = int(m3)
        self.unit = unit
        self.places = places if places is not None else (4 if unit == "yi" else 2)
        self.bare = bare

    def number(self) -> str:
        return units.yi(self.m3, self.places) if self.unit == "yi" else units.wan(self.m3, self.places)

    def text(self) -> str:
        if self.bare:
            return self.number()
        return f"{self.number()} {_('亿立方米') if self.unit == 'yi' else _('万立方米')}"

    def __str__(self) -> str:
        return self.text()

    def __html__(self) -> str:
        return format_html('<span class="vol" title="{} {}" data-m3="{}">{}</span>', f"{self.m3:,}", _("立方米"), self.m3, self.text())

    def __eq__(self, other):
        return isinstance(other, Volume) and other.m3 == self.m3

    def __hash__(self):
        return hash(self.m3)


def volume(m3: int | None, unit: str = "wan", places: int | None = None, bare: bool = False):
    return None if m3 is None else Volume(m3, unit, places, bare)
