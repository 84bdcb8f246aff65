"""How registry values are shown on pages: volumes in 万立方米 (or 亿立方米) with the exact integer
m³ in a tooltip; exports keep the raw integers."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from shuiquan.core import units


def volume(m3: int | None, unit: str = "wan", places: int | None = None, bare: bool = False) -> SafeString | None:
    """``123.46 万立方米`` (HTML) with ``1,234,567 立方米`` as its title; ``unit`` is ``wan`` or ``yi``,
    ``places`` the decimals (default 2 for 万, 4 for 亿); ``bare`` leaves the unit out, for tables
    whose header names it. ``None`` stays ``None`` (shown as —)."""
    if m3 is None:
        return None
    m3 = int(m3)
    places = places if places is not None else (4 if unit == "yi" else 2)
    number = units.yi(m3, places) if unit == "yi" else units.wan(m3, places)
    text = number if bare else f"{number} {_('亿立方米') if unit == 'yi' else _('万立方米')}"
    return format_html('<span class="vol" title="{} {}" data-m3="{}">{}</span>', f"{m3:,}", _("立方米"), m3, text)
