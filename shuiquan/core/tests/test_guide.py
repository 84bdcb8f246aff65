"""The user guide (docs/guide/) cannot go stale silently: every image it shows exists and is written
by a browser test that drives the real pages (``screenshot(page, "<name>")`` in some test source),
every PNG in docs/guide/img/ is one that a test writes, every role of ``core.roles.Role`` (and the
public) has its page, linked from the index, and every demo login printed by ``make run`` is in
the index. No database, no browser: it reads files."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from shuiquan.core.demo import PRINTED
from shuiquan.core.roles import Role

GUIDE = Path(settings.BASE_DIR) / "docs" / "guide"
IMG = GUIDE / "img"
SOURCES = Path(settings.BASE_DIR) / "shuiquan"

#: role → its guide page (the public, without login, has one too)
PAGES = {
    Role.CITY_ADMIN: "city_admin.md",
    Role.COUNTY_OFFICER: "county_officer.md",
    Role.DISTRICT_MANAGER: "district_manager.md",
    Role.ASSOCIATION_REP: "association_rep.md",
    Role.PERMIT_HOLDER: "permit_holder.md",
    Role.FINANCE_OFFICER: "finance_officer.md",
    Role.BANK: "bank.md",
    Role.AUDITOR: "auditor.md",
    Role.SNWD_UNIT: "snwd_unit.md",
}
PUBLIC_PAGE = "public.md"

IMAGE_REF = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
PAGE_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s#]+\.md)(?:#[^)]*)?\)")
SCREENSHOT_CALL = re.compile(r"""screenshot\(\s*\w+\s*,\s*["']([^"']+)["']\s*\)""")


def _pages() -> list[Path]:
    return sorted(GUIDE.glob("*.md"))


def _written_by_tests() -> dict[str, Path]:
    """Screenshot name → the test file that writes it."""
    out = {}
    for path in SOURCES.glob("**/tests/test_*.py"):
        for name in SCREENSHOT_CALL.findall(path.read_text(encoding="utf-8")):
            out[name] = path
    return out


def test_every_role_has_a_guide_page_linked_from_the_index():
    assert set(PAGES) == set(Role), "a role was added to core.roles.Role without a guide page (docs/guide/)"
    index = (GUIDE / "README.md").read_text(encoding="utf-8")
    linked = set(PAGE_LINK.findall(index))
    for role, name in [*PAGES.items(), (None, PUBLIC_PAGE)]:
        page = GUIDE / name
        assert page.exists(), f"no guide page {name} for {role}"
        assert name in linked, f"docs/guide/README.md does not link {name}"
        if role is not None:
            title = page.read_text(encoding="utf-8").splitlines()[0]
            assert title.startswith("# ") and str(role.label) in title, f"{name}: the title should name the role {role.label}"


def test_the_index_lists_every_demo_login():
    index = (GUIDE / "README.md").read_text(encoding="utf-8")
    for username in PRINTED:
        assert f"`{username}`" in index, f"docs/guide/README.md does not list the demo login {username}"


def test_every_image_the_guide_shows_exists_and_is_taken_by_a_browser_test():
    written = _written_by_tests()
    used = set()
    for page in _pages():
        refs = IMAGE_REF.findall(page.read_text(encoding="utf-8"))
        if page.name != "README.md" or refs:
            assert refs, f"{page.name} shows no screenshot"
        for ref in refs:
            assert ref.startswith("img/") and ref.endswith(".png"), f"{page.name}: {ref} is not a screenshot in img/"
            name = ref[len("img/"):-len(".png")]
            assert (IMG / f"{name}.png").exists(), f"{page.name}: {ref} does not exist"
            assert name in written, f"{page.name}: no browser test writes {ref} (screenshot(page, {name!r}))"
            assert "pytest.mark.browser" in written[name].read_text(encoding="utf-8"), f"{written[name]} is not a browser test"
            used.add(name)
    assert used


def test_every_screenshot_in_the_folder_is_written_by_a_test():
    written = _written_by_tests()
    stale = sorted(p.name for p in IMG.glob("*.png") if p.stem not in written)
    assert not stale, f"docs/guide/img/ holds screenshots no test writes any more: {stale}"


def test_links_between_guide_pages_resolve():
    for page in _pages():
        for target in PAGE_LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).resolve().exists(), f"{page.name}: broken link {target}"
