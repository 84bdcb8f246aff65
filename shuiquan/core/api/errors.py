"""The API's error shape: every error response is

    {"code": "...", "rule": "A4" | null, "message": "中文说明", "message_en": "English", "detail": {...}}

with an HTTP status in the 4xx range for anything the client can fix. ``detail.fields`` maps field
names to their messages for invalid input.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import DomainError

_DRF_MESSAGES = {
    exceptions.NotAuthenticated: ("not_authenticated", "未登录或凭证无效", "Authentication credentials were not provided"),
    exceptions.AuthenticationFailed: ("authentication_failed", "身份验证失败", "Authentication failed"),
    exceptions.PermissionDenied: ("forbidden", "无权执行此操作", "You do not have permission to perform this action"),
    exceptions.NotFound: ("not_found", "对象不存在", "Not found"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    exceptions.NotAcceptable: ("not_acceptable", "无法提供所请求的格式", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "不支持的请求内容类型", "Unsupported media type"),
    exceptions.ParseError: ("parse_error", "请求内容格式错误", "Malformed request"),
    exceptions.Throttled: ("throttled", "请求过于频繁，请稍后再试", "Too many requests; try again later"),
}


def error_body(code, message, message_en, *, rule=None, detail=None) -> dict:
    body = {"code": code, "rule": rule, "message": message, "message_en": message_en}
    if detail:
        body["detail"] = detail
    return body


def _flatten(errors) -> dict:
    if isinstance(errors, dict):
        return {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in errors.items()}
    if isinstance(errors, list):
        return {"__all__": [str(x) for x in errors]}
    return {"__all__": [str(errors)]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return Response(
            error_body("invalid", "输入有误", "Invalid input", detail={"fields": _flatten(fields)}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        summary = "；".join(f"{k}: {'，'.join(v)}" for k, v in fields.items())
        response.data = error_body(
            "invalid", f"输入有误：{summary}", f"Invalid input: {summary}", detail={"fields": fields}
        )
        return response
    for cls, (code, zh, en) in _DRF_MESSAGES.items():
        if isinstance(exc, cls):
            detail = {"detail": str(exc.detail)} if getattr(exc, "detail", None) else None
            response.data = error_body(code, zh, en, detail=detail)
            return response
    response.data = error_body("error", str(exc), str(exc))
    return response
