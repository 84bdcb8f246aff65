"""Domain errors: every refusal carries a stable code, the rule it applies, and a message in
Chinese and English.

Services raise these; the API turns them into JSON (``shuiquan.core.api.errors``) and the pages
into form errors or a message. A ``DomainError`` is always raised inside the service's
transaction, so nothing it was about to write is kept.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal by the domain: bad input, a broken rule, a forbidden action or a conflict."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        message_en: str = "",
        *,
        rule: str | None = None,
        detail: dict[str, Any] | None = None,
        status: int | None = None,
    ):
        self.code = code or self.default_code
        self.message = message
        self.message_en = message_en or message
        self.rule = rule
        self.detail = detail or {}
        if status is not None:
            self.status = status
        super().__init__(f"[{self.code}] {self.message} / {self.message_en}")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "message_en": self.message_en,
        }
        if self.detail:
            body["detail"] = self.detail
        return body

    def localized(self, language: str | None = None) -> str:
        text = self.message_en if (language or "").startswith("en") else self.message
        return f"{self.rule}: {text}" if self.rule else text


class ValidationFailed(DomainError):
    """Input that cannot be accepted as given (HTTP 400). ``detail['fields']`` maps field → messages."""

    status = 400
    default_code = "invalid"


class RuleViolation(DomainError):
    """A rule of the catalogue (A1…, T1…, S1…, M1…, F1…) refuses the action (HTTP 422)."""

    status = 422
    default_code = "rule_violation"

    def __init__(self, rule: str, code: str, message: str, message_en: str, **kwargs):
        super().__init__(code, message, message_en, rule=rule, **kwargs)


class InsufficientVolume(RuleViolation):
    """Available volume (balance − locks) would go below zero for some right and year."""

    default_code = "insufficient_volume"


class Forbidden(DomainError):
    """The actor may not do this, or not to this object (HTTP 403)."""

    status = 403
    default_code = "forbidden"

    def __init__(self, message: str = "无权执行此操作", message_en: str = "You are not allowed to do this", **kwargs):
        kwargs.setdefault("rule", None)
        code = kwargs.pop("code", None)
        super().__init__(code, message, message_en, **kwargs)


class NotFound(DomainError):
    status = 404
    default_code = "not_found"

    def __init__(self, message: str = "对象不存在", message_en: str = "Not found", **kwargs):
        code = kwargs.pop("code", None)
        super().__init__(code, message, message_en, **kwargs)


class Conflict(DomainError):
    """The object is not in a state that allows the action, or a concurrent change won (HTTP 409)."""

    status = 409
    default_code = "conflict"


def field_errors(errors: dict[str, list[str] | str]) -> ValidationFailed:
    """A ``ValidationFailed`` listing field errors (used by services that validate a whole form)."""
    fields = {k: (v if isinstance(v, list) else [v]) for k, v in errors.items()}
    summary = "；".join(f"{k}: {'，'.join(v)}" for k, v in fields.items())
    return ValidationFailed("invalid", f"输入有误：{summary}", f"Invalid input: {summary}", detail={"fields": fields})
