"""Upload checks: size limit and type, by extension and by content (magic bytes)."""

from __future__ import annotations

from django.conf import settings

from .errors import ValidationFailed

#: kind → (extensions, leading bytes that the content must start with, or None to check text)
KINDS = {
    "xlsx": ((".xlsx",), (b"PK\x03\x04",)),
    "pdf": ((".pdf",), (b"%PDF-",)),
    "png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "csv": ((".csv", ".txt"), None),
}


def check_upload(upload, kinds=("pdf", "png", "jpeg"), max_bytes: int | None = None) -> str:
    """Refuse an upload that is too large or not one of ``kinds``; return its kind."""
    limit = max_bytes or settings.SHUIQUAN_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is None:
        raise ValidationFailed("bad_file", "未收到文件", "No file received")
    if size > limit:
        raise ValidationFailed(
            "file_too_large", f"文件过大（{size} 字节，上限 {limit} 字节）", f"File too large ({size} bytes; limit {limit})",
        )
    name = (getattr(upload, "name", "") or "").lower()
    head = upload.read(16)
    upload.seek(0)
    for kind in kinds:
        exts, magics = KINDS[kind]
        if not name.endswith(exts):
            continue
        if magics is None:
            if b"\x00" in head:
                break
            return kind
        if any(head.startswith(m) for m in magics):
            return kind
        break
    allowed = "、".join(e for k in kinds for e in KINDS[k][0])
    raise ValidationFailed(
        "bad_file_type", f"文件类型不符（允许：{allowed}）", f"File type not allowed (allowed: {allowed})",
    )
