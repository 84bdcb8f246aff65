"""Error pages; API paths get the JSON error shape instead of HTML."""

from django.http import JsonResponse
from django.shortcuts import render

from .api.errors import error_body


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def forbidden(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("forbidden", "无权执行此操作", "Forbidden"), status=403)
    return render(request, "core/error.html", {"title": "403", "message": "无权访问 / Forbidden"}, status=403)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "对象不存在", "Not found"), status=404)
    return render(request, "core/error.html", {"title": "404", "message": "页面不存在 / Page not found"}, status=404)


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("server_error", "服务器内部错误", "Server error"), status=500)
    return render(request, "core/error.html", {"title": "500", "message": "服务器内部错误 / Server error"}, status=500)
