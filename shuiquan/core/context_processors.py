from .nav import nav_items


def platform(request):
    user = getattr(request, "user", None)
    items = nav_items(user) if user is not None and user.is_authenticated else []
    sections: dict[str, list] = {}
    for item in items:
        sections.setdefault(item.section, []).append(item)
    return {"nav_sections": sections, "platform_name": "水权", "platform_title": "南阳市用水权登记与交易平台"}
