"""The national water-rights trading system interface (全国水权交易系统对接, task list item 9).

Export: a JSON document in the versioned format ``schemas/national-export-<version>.json`` (JSON
Schema draft 2020-12) with the platform's water rights, certificates and completed trades. Each
export is validated against the schema before it is stored; every record in it is tracked
(``NationalExportItem``) with a digest of its content, so the next export sends only records that
are new or changed since they were last sent (or were rejected).

Acknowledgement: the national system answers with ``schemas/national-ack-<version>.json``; the
import validates it, refuses it whole if it names a batch or record we did not send, and marks
each record accepted (with the national system's id) or rejected (with its message). Importing
the same acknowledgement (its ``ack_id``) again changes nothing.

Version: ``SCHEMA_VERSION``; the export's ``schema_version`` and the schema's ``$id`` both carry
it; a format change is a new schema file and a new version (docs/national-interface.md).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from shuiquan.core import audit
from shuiquan.core.errors import Conflict, ValidationFailed  # noqa: F401  (ValidationFailed is used by the views too)
from shuiquan.core.scoping import require_role

from .choices import ExportStatus
from .models import NationalAcknowledgement, NationalExport, NationalExportItem

SCHEMA_VERSION = "1.0.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
PLATFORM = {"code": "NANYANG-SHUIQUAN", "name": "南阳市用水权登记与交易平台", "region_code": "411300"}
EXPORTED_RIGHT_KINDS = ("regional", "river", "groundwater", "snwd", "reservoir", "withdrawal", "irrigation", "household", "reserve",
                        "outside")


@cache
def schema(kind: str = "export", version: str = SCHEMA_VERSION) -> dict:
    return json.loads((SCHEMA_DIR / f"national-{kind}-{version}.json").read_text(encoding="utf-8"))


def validator(kind: str = "export") -> Draft202012Validator:
    return Draft202012Validator(schema(kind), format_checker=FormatChecker())


def errors(document: dict, kind: str = "export") -> list[str]:
    """Schema violations of ``document`` (empty: valid), as 'path: message' lines."""
    out = []
    for e in sorted(validator(kind).iter_errors(document), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{path}: {e.message}")
    return out


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


def _money(value) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.01'))}"


def _price(value) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.0001'))}"


def _dt(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _region(region) -> tuple[str | None, str]:
    if region is None:
        return None, ""
    return (region.code if region.code else None), region.name


def right_party(right) -> dict:
    """The holder of a right, de-identified: households by code, individual water users as 个人用水户."""
    code, name = _region(right.region)
    kind = right.holder_kind
    holder = right.holder_name
    out = {"kind": kind, "name": holder, "region_code": code, "region_name": name}
    if right.household_id:
        out["name"] = f"灌溉用水户 {right.household.code}"
    elif right.water_user_id:
        wu = right.water_user
        if wu.kind == "individual":
            out["name"] = "个人用水户"
        elif wu.credit_code:
            out["credit_code"] = wu.credit_code
    if right.holder_region_id and right.holder_region.kind == "outside":
        out["kind"] = "outside"
    return out


def trade_party(trade, side: str) -> dict:
    right = getattr(trade, f"{side}_right")
    if right is not None:
        return right_party(right)
    code, name = _region(getattr(trade, f"{side}_region"))
    return {"kind": getattr(trade, f"{side}_kind") or "authority", "name": getattr(trade, f"{side}_name") or "—", "region_code": code,
            "region_name": name}


def right_record(right) -> dict:
    return {
        "record_id": f"right:{right.pk}", "number": right.number, "kind": right.kind, "holder": right_party(right),
        "source_type": right.source_type, "use": right.use, "annual_volume_m3": right.annual_volume_m3,
        "valid_from": right.valid_from.isoformat(), "valid_to": right.valid_to.isoformat(), "status": right.status,
        "certificate_number": right.certificate_number, "legal_basis": right.legal_basis,
        "permit_number": right.permit.number if right.permit_id else None, "parent_number": right.parent.number if right.parent_id else None,
        "balances": [{"year": b.year, "balance_m3": b.balance, "locked_m3": b.locked}
                     for b in sorted(right.balances.all(), key=lambda b: b.year)],
    }


def certificate_record(cert) -> dict:
    from shuiquan.allocation.certificates import verification_path

    return {
        "record_id": f"certificate:{cert.pk}", "number": cert.number, "machine_number": cert.machine_number, "kind": cert.kind,
        "right_number": cert.right.number, "holder": cert.holder_public, "volume_m3": cert.volume_m3,
        "valid_from": cert.valid_from.isoformat(), "valid_to": cert.valid_to.isoformat(), "issuer": cert.issuer,
        "issued_at": timezone.localtime(cert.issued_at).isoformat(), "status": cert.status, "verification_path": verification_path(cert),
    }


def trade_record(trade) -> dict:
    from shuiquan.finance.funds import tax_for

    return {
        "record_id": f"trade:{trade.pk}", "number": trade.number, "trade_type": trade.trade_type, "mode": trade.mode,
        "is_snwd": trade.is_snwd, "status": trade.status, "seller": trade_party(trade, "seller"), "buyer": trade_party(trade, "buyer"),
        "volume_m3": trade.volume_m3, "start_year": trade.start_year, "end_year": trade.end_year, "use": trade.use or "",
        "unit_price": _price(trade.unit_price), "total_price": _money(trade.total_price), "seller_fee": _money(trade.seller_fee),
        "buyer_fee": _money(trade.buyer_fee), "tax": _money(tax_for(trade)), "proceeds": _money(trade.proceeds),
        "agreement_number": trade.agreement_number or "", "certificate_number": trade.certificate_number or "",
        "agreed_at": _dt(trade.agreed_at), "settled_at": _dt(trade.settled_at), "registered_at": _dt(trade.registered_at),
        "ledger_entry": trade.entry.number if trade.entry_id else None,
    }


def digest(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def current_records() -> dict[str, list[dict]]:
    """Every record the national system should hold now."""
    from shuiquan.allocation.models import Certificate
    from shuiquan.ledger.models import WaterRight
    from shuiquan.trading.choices import COMPLETED_STATES
    from shuiquan.trading.models import Trade

    rights = (WaterRight.objects.filter(kind__in=EXPORTED_RIGHT_KINDS).exclude(number__isnull=True)
              .select_related("region", "holder_region", "water_user", "household", "permit", "parent").prefetch_related("balances")
              .order_by("pk"))
    certs = Certificate.objects.select_related("right").order_by("pk")
    trades = (Trade.objects.filter(status__in=COMPLETED_STATES).exclude(number__isnull=True)
              .select_related("seller_right__region", "seller_right__water_user", "seller_right__household", "seller_right__holder_region",
                              "buyer_right__region", "buyer_right__water_user", "buyer_right__household", "buyer_right__holder_region",
                              "seller_region", "buyer_region", "entry").order_by("pk"))
    return {"rights": [right_record(r) for r in rights], "certificates": [certificate_record(c) for c in certs],
            "trades": [trade_record(t) for t in trades]}


def _already_sent() -> set[tuple[str, str, str]]:
    """(type, id, digest) of records sent and not rejected: unchanged ones are not sent again."""
    return set(NationalExportItem.objects.exclude(status=ExportStatus.REJECTED).values_list("record_type", "record_id", "payload_sha256"))


def build(*, since=None, only_changes: bool = True) -> tuple[dict, dict[str, list[tuple[dict, str]]]]:
    """The export document and, per record type, its (record, digest) pairs."""
    sent = _already_sent() if only_changes else set()
    records = current_records()
    chosen: dict[str, list[tuple[dict, str]]] = {}
    for plural, rtype in (("rights", "right"), ("certificates", "certificate"), ("trades", "trade")):
        rows = []
        for rec in records[plural]:
            d = digest(rec)
            if (rtype, rec["record_id"], d) in sent:
                continue
            rows.append((rec, d))
        chosen[plural] = rows
    now = timezone.localtime()
    document = {
        "schema_version": SCHEMA_VERSION,
        "batch_id": f"NY-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}",
        "generated_at": now.isoformat(),
        "since": _dt(since),
        "platform": dict(PLATFORM),
        "counts": {k: len(v) for k, v in chosen.items()},
        "records": {k: [rec for rec, _d in v] for k, v in chosen.items()},
    }
    return document, chosen


@transaction.atomic
def export(*, actor, only_changes: bool = True) -> NationalExport:
    """Build, validate against the schema, store and track one export batch (the city bureau)."""
    require_role(actor, message="国家系统数据报送由市水利局办理", message_en="Only the city water bureau exports to the national system")
    document, chosen = build(only_changes=only_changes)
    problems = errors(document)
    if problems:
        raise ValidationFailed("schema_invalid", f"导出文件不符合格式 {SCHEMA_VERSION}：{problems[0]}",
                               f"The export does not validate against format {SCHEMA_VERSION}: {problems[0]}",
                               detail={"errors": problems[:50]})
    body = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    row = NationalExport.objects.create(batch_id=document["batch_id"], schema_version=SCHEMA_VERSION, created_by=actor,
                                        counts=document["counts"], sha256=hashlib.sha256(body.encode()).hexdigest(), payload=document)
    items = []
    for plural, rtype in (("rights", "right"), ("certificates", "certificate"), ("trades", "trade")):
        for rec, d in chosen[plural]:
            items.append(NationalExportItem(export=row, record_type=rtype, record_id=rec["record_id"], number=rec["number"] or "",
                                            payload_sha256=d))
    NationalExportItem.objects.bulk_create(items, batch_size=1000)
    audit.record(actor=actor, action="national_export", obj=row, region_code="",
                 after={"batch_id": row.batch_id, "schema_version": SCHEMA_VERSION, "counts": row.counts, "sha256": row.sha256})
    return row


@transaction.atomic
def import_acknowledgement(document, *, actor) -> tuple[NationalAcknowledgement, bool]:
    """Import the national system's acknowledgement; returns (row, created). Idempotent by ``ack_id``."""
    require_role(actor, message="国家系统回执由市水利局导入", message_en="Only the city water bureau imports acknowledgements")
    if not isinstance(document, dict):
        raise ValidationFailed("ack_invalid", "回执须为JSON对象", "The acknowledgement must be a JSON object")
    problems = errors(document, "ack")
    if problems:
        raise ValidationFailed("ack_invalid", f"回执不符合格式 {SCHEMA_VERSION}：{problems[0]}",
                               f"The acknowledgement does not validate against format {SCHEMA_VERSION}: {problems[0]}",
                               detail={"errors": problems[:50]})
    existing = NationalAcknowledgement.objects.filter(ack_id=document["ack_id"]).first()
    if existing is not None:
        if existing.export.batch_id != document["batch_id"]:
            raise Conflict("ack_id_reused", "该回执编号已用于另一批次", "This acknowledgement id was used for another batch")
        return existing, False
    export_row = NationalExport.objects.select_for_update().filter(batch_id=document["batch_id"]).first()
    if export_row is None:
        raise ValidationFailed("unknown_batch", f"没有批次 {document['batch_id']}", f"No such batch: {document['batch_id']}")
    items = {(i.record_type, i.record_id): i for i in export_row.items.select_for_update()}
    unknown = [f"{r['record_type']}:{r['record_id']}" for r in document["results"] if (r["record_type"], r["record_id"]) not in items]
    mismatched = [r["record_id"] for r in document["results"] if not r["record_id"].startswith(r["record_type"] + ":")]
    if unknown or mismatched:
        raise ValidationFailed("unknown_records", f"回执包含本批次未报送的记录：{(unknown or mismatched)[:5]}",
                               f"The acknowledgement names records not in the batch: {(unknown or mismatched)[:5]}",
                               detail={"unknown": unknown[:50], "mismatched": mismatched[:50]})
    now = timezone.now()
    accepted = rejected = 0
    for r in document["results"]:
        item = items[(r["record_type"], r["record_id"])]
        item.status = r["status"]
        item.national_id = r.get("national_id", "")[:80]
        item.message = r.get("message", "")[:500]
        item.acknowledged_at = now
        item.save(update_fields=["status", "national_id", "message", "acknowledged_at"])
        accepted += r["status"] == ExportStatus.ACCEPTED
        rejected += r["status"] == ExportStatus.REJECTED
    ack = NationalAcknowledgement.objects.create(ack_id=document["ack_id"], export=export_row, imported_by=actor, accepted=accepted,
                                                 rejected=rejected, payload=document)
    audit.record(actor=actor, action="national_ack", obj=export_row, region_code="",
                 after={"ack_id": ack.ack_id, "accepted": accepted, "rejected": rejected})
    return ack, True


def status_of(record_type: str, record_id: str) -> NationalExportItem | None:
    """The latest export item of a record (its national id once accepted)."""
    return NationalExportItem.objects.filter(record_type=record_type, record_id=record_id).order_by("-export_id").first()
