"""Validators for identifiers used in the registry.

- 统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters from the 31-character
  set ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z); the 18th is a check character computed from
  the first 17 with weights 3^(i) mod 31.
- 取水许可证编号 (permit number) as this platform issues it: approving authority's 6-digit GB/T 2260
  code, the year of issue and a 4-digit serial within that authority and year: ``411325-2023-0012``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
PERMIT_NUMBER_RE = re.compile(r"^(?P<code>\d{6})-(?P<year>\d{4})-(?P<serial>\d{4})$")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位"), code="credit_code_length")
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARS})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有非法字符：%(chars)s"), code="credit_code_chars", params={"chars": "".join(bad)}
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位错误"), code="credit_code_check")


def validate_permit_number(value: str) -> None:
    if not PERMIT_NUMBER_RE.match(value or ""):
        raise ValidationError(
            _("取水许可证编号格式应为：6位行政区划代码-4位年份-4位流水号，如 411325-2023-0012"), code="permit_number_format"
        )


def validate_gb2260(value: str) -> None:
    if value and not re.fullmatch(r"\d{6}", value):
        raise ValidationError(_("行政区划代码应为6位数字（GB/T 2260）"), code="gb2260")


ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_resident_id(value: str) -> None:
    """GB 11643-1999 citizen identity number: 17 digits and a check character (0-9 or X)."""
    v = (value or "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", v) or resident_id_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号码格式或校验位错误"), code="resident_id")
