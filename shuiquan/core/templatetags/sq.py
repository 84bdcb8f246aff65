"""Template filters for volumes and money: ``{{ v|wan }}``, ``{{ v|yi }}``, ``{{ v|volume }}``."""

from django import template
from django.utils.safestring import mark_safe

from .. import units

register = template.Library()


@register.filter
def wan(value, places=2):
    return units.wan(value, int(places))


@register.filter
def yi(value, places=4):
    return units.yi(value, int(places))


@register.filter
def volume(value):
    return units.human_volume(value)


@register.filter
def m3(value):
    return "—" if value is None else f"{int(value):,}"


@register.filter
def yuan(value):
    return "—" if value is None else f"{units.money(value):,}"


@register.filter
def pct(value, places=1):
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.simple_tag
def demo_badge(obj):
    if getattr(obj, "is_demo", False):
        return mark_safe('<span class="badge demo" title="演示数据 demo data">演示数据</span>')
    return ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def attr(obj, name):
    value = obj
    for part in str(name).split("."):
        value = getattr(value, part, None)
        if callable(value) and not hasattr(value, "all"):
            value = value()
        if value is None:
            return None
    return value
