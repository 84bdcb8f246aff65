"""The access-control matrix (``shuiquan.core.access.MATRIX``), proved route by route and role by role.

Every named route of the URL resolver must have a row (a new route without one fails
``test_every_route_has_a_row``). Each row is probed for each column's demo account with the Django
test client: pages by GET (a form page's GET is its write probe; POST-only pages by an empty POST),
the API by GET (list/detail), ``PATCH {}`` (a no-op update: the write probe of an editable
resource) and an empty ``POST`` for action routes. Detail routes use a seeded object in the
role's scope where one exists. The observed letter must equal the table's.

``ACCESS_MATRIX_RECORD=path`` writes the observed table (python literal) to ``path`` instead of
failing, for reviewing a change of the table.
"""

from __future__ import annotations

import os
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from shuiquan.core.access import COLUMNS, LEVELS, MATRIX, is_api, iter_routes, render_markdown, route_names
from shuiquan.core.scoping import VIEW

pytestmark = pytest.mark.django_db

#: Values for non-model URL arguments, and the model behind ``pk``-like arguments of views that
#: do not declare one.
LITERALS = {
    "kind": {"registry:import": "water_users", "registry:import_template": "water_users",
             "api:registry-import": "water_users", "metering:upload_template": "csv",
             "supervision:national_schema": "export"},
    "engine": {"allocation:run_create": "regional"},
    "action": {"allocation:run_action": "review", "trading:trade_action": "verify"},
    "trade_type": {"trading:apply": "permit"},
    "slug": {"*": "sector-quotas"},
}
MODELS = {
    "portal:notice_manage_detail": "portal.SupplyDemandNotice",
    "registry:withdrawalpermit_status": "registry.WithdrawalPermit",
    "ledger:right_detail": "ledger.WaterRight", "ledger:entry_detail": "ledger.JournalEntry",
    "allocation:run_detail": "allocation.AllocationRun", "allocation:run_edit": "allocation.AllocationRun",
    "allocation:run_action": "allocation.AllocationRun",
    "allocation:certificate_detail": "allocation.Certificate", "allocation:certificate_pdf": "allocation.Certificate",
    "allocation:riverplan_detail": "allocation.RiverPlan", "allocation:riverplan_edit": "allocation.RiverPlan",
    "allocation:riverplan_approve": "allocation.RiverPlan",
    "trading:savings_detail": "trading.SavingsVerification", "trading:savings_file": "trading.SavingsVerification", "trading:pooling_detail": "trading.Pooling",
    "trading:orderbook_session": "trading.OrderBookSession", "trading:orderbook_draw": "trading.OrderBookSession",
    "trading:orderbook_close": "trading.OrderBookSession", "trading:order_cancel": "trading.Order",
    "trading:restriction_lift": "trading.TradingRestriction", "trading:config_edit": "trading.SectorQuota",
    "metering:device_detail": "registry.MeteringDevice", "metering:permit_detail": "registry.WithdrawalPermit",
    "metering:alarm_acknowledge": "metering.Alarm",
    "supervision:assessment_detail": "registry.Region", "supervision:figures_edit": "supervision.AssessmentFigures",
    "supervision:complaint_detail": "supervision.Complaint", "supervision:enforcement_detail": "supervision.Enforcement",
    "supervision:inspection_detail": "supervision.SiteInspection",
    "supervision:evaluation_detail": "supervision.TradeEvaluation",
    "supervision:national_detail": "supervision.NationalExport",
    "finance:entry_detail": "finance.FundEntry", "finance:account_detail": "finance.FundAccount",
    "finance:pledge_detail": "finance.Pledge", "finance:feeright_detail": "finance.FeeRightTransfer",
    "pilot:task_detail": "pilot.PilotTask",
    "api:trading-reserve-detail": "ledger.Reserve",
    "api:supervision-assessment-detail": "registry.Region",
}
#: Arguments whose model follows from their name.
ARG_MODELS = {"trade_pk": "trading.Trade", "trade_id": "trading.Trade", "region_id": "registry.Region"}
#: Prefix of a route name → model, for the trades' and batches' function views.
PREFIX_MODELS = {"trading:trade_": "trading.Trade", "trading:agreement_pdf": "trading.Trade",
                 "trading:certificate_pdf": "trading.Trade", "trading:impact_trade": "trading.Trade",
                 "trading:register_intent": "trading.Trade", "trading:auction": "trading.Trade",
                 "metering:batch_": "metering.IngestionBatch"}

#: Page names that are forms or actions: a 200 on GET there means "may write".
WRITE_NAME = re.compile(r"(_add|_edit|_delete|_new|_create|_action|_approve|_acknowledge|_confirm|_cancel|_close|"
                        r"_draw|_lift|_evaluate|^registry:import$|_intent|:upload$|:apply$|:apply_choose$|"
                        r"_status$|:reconcile$|:run_new$|policy_edit$|audit_verify$)")
ARG = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _model_of(name, callback, arg):
    if arg in ARG_MODELS:
        return apps.get_model(ARG_MODELS[arg])
    if name in MODELS:
        return apps.get_model(MODELS[name])
    for prefix, label in PREFIX_MODELS.items():
        if name.startswith(prefix):
            return apps.get_model(label)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    model = getattr(cls, "model", None) or getattr(getattr(cls, "queryset", None), "model", None)
    assert model is not None, f"no model known for {name} <{arg}>: add it to MODELS in {__file__}"
    return model


#: Routes whose ``pk`` must be a particular kind of object.
SAMPLE_FILTERS = {"supervision:assessment_detail": {"kind": "county"}, "api:supervision-assessment-detail": {"kind": "county"}}


class NoSample(Exception):
    """No seeded object of the kind a route needs: its cells are ``n``."""


def _sample(model, user, name=""):
    qs = model._default_manager.filter(**SAMPLE_FILTERS.get(name, {})).order_by("pk")
    if user is not None and hasattr(qs, "restrict"):
        obj = qs.restrict(user, VIEW).first()
        if obj is not None:
            return obj
    return qs.first()


def _string_arg(name, arg, user):
    from shuiquan.allocation.models import Certificate
    from shuiquan.portal.models import PolicyDocument, SupplyDemandNotice
    from shuiquan.trading.models import Listing, Trade

    if arg in LITERALS:
        table = LITERALS[arg]
        return table.get(name, table.get("*"))
    if arg == "key":
        return PolicyDocument.objects.order_by("pk").values_list("key", flat=True).first()
    if arg == "token":
        return Certificate.objects.order_by("pk").values_list("token", flat=True).first()
    if arg == "number":
        if "notice" in name:
            return SupplyDemandNotice.objects.exclude(number=None).order_by("pk").values_list("number", flat=True).first()
        if "listing" in name:
            return Listing.objects.exclude(number=None).order_by("pk").values_list("number", flat=True).first()
        from shuiquan.trading import market

        return market.completed_trades().exclude(number=None).order_by("pk").values_list("number", flat=True).first() \
            or Trade.objects.exclude(number=None).values_list("number", flat=True).first()
    raise AssertionError(f"no sample for {name} <{arg}>: add it to LITERALS in {__file__}")


def url_for(name, route, callback, user):
    kwargs = {}
    for match in ARG.finditer(route):
        converter, arg = (match.group(1), match.group(2)) if match.group(2) else ("int", match.group(3))
        if arg == "format":
            continue
        if arg == "file_pk":
            from shuiquan.core.models import Attachment

            kwargs[arg] = Attachment.objects.order_by("pk").values_list("pk", flat=True).first() or 1
        elif converter in ("int", None) or arg in ("pk",) or arg.endswith(("_pk", "_id")):
            obj = _sample(_model_of(name, callback, arg), user, name)
            if obj is None:
                raise NoSample(name)
            kwargs[arg] = obj.pk
        else:
            kwargs[arg] = _string_arg(name, arg, user)
    return reverse(name, kwargs=kwargs)


def _methods(callback):
    actions = getattr(callback, "actions", None)
    if actions:
        return set(actions)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}
    return None  # function view: unknown, probe GET


DENIED = (401, 403, 404)


def _denied(response) -> bool:
    if response.status_code in DENIED:
        return True
    if response.status_code == 302 and "/accounts/login/" in response.get("Location", ""):
        return True
    return False


class _Refusals:
    """Counts ``Forbidden`` raised while a write is probed: pages catch domain errors and redirect
    with a message, so a refusal there is not visible in the status code."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        from shuiquan.core.errors import Forbidden

        self._init = Forbidden.__init__
        refusals = self

        def init(exc, *args, **kwargs):
            refusals.count += 1
            refusals._init(exc, *args, **kwargs)

        Forbidden.__init__ = init
        return self

    def __exit__(self, *exc):
        from shuiquan.core.errors import Forbidden

        Forbidden.__init__ = self._init


def _post(client, url, **kwargs):
    """POST, and whether it was refused (by status, or by a Forbidden the view turned into a message)."""
    with _Refusals() as refusals:
        r = client.post(url, **kwargs)
    return r, (_denied(r) or r.status_code == 405 or refusals.count > 0)


def probe(client, name, route, callback, user) -> str:
    """One cell. Whatever the probe changes is rolled back, so cells do not depend on each other."""
    from django.db import transaction

    with transaction.atomic():
        letter = _probe(client, name, route, callback, user)
        transaction.set_rollback(True)
    return letter


def _probe(client, name, route, callback, user) -> str:
    if name == "core:logout":
        # Its own session, so that probing it does not sign the shared client out.
        client = Client()
        if user is not None:
            client.force_login(user)
        r = client.post(reverse(name))
        return "w" if r.status_code == 302 else "-"
    try:
        url = url_for(name, route, callback, user)
    except NoSample:
        return "n"
    methods = _methods(callback)
    if is_api(route):
        readable = methods is None or "get" in methods
        letter = "-"
        if readable:
            r = client.get(url)
            if r.status_code == 405:
                readable = False
            elif _denied(r):
                return "-"
            else:
                # 400: the route answers (it needs query parameters the probe does not send).
                assert r.status_code in (200, 400), (name, url, r.status_code, r.content[:300])
                letter = "r"
                body = r.json() if r.get("Content-Type", "").startswith("application/json") else None
                if isinstance(body, dict) and "results" in body and body.get("count") == 0:
                    letter = "e"
        if methods and "patch" in methods:
            r = client.patch(url, {}, content_type="application/json")
            return "w" if not _denied(r) else letter
        if not readable:
            r, refused = _post(client, url, data={}, content_type="application/json")
            assert r.status_code < 500, (name, url, r.status_code, r.content[:300])
            if refused:
                return "-"
            # 400: the (empty) input was refused before any access check could speak.
            # 409: refused for the sample object's state before the access check could speak.
            return {400: "v", 409: "s"}.get(r.status_code, "w")
        return letter
    r = client.get(url)
    if r.status_code == 405:
        r, refused = _post(client, url, data={})
        assert r.status_code < 500, (name, url, r.status_code, r.content[:300])
        return "-" if refused else "w"
    assert r.status_code < 500, (name, url, r.status_code, r.content[:300])
    if _denied(r):
        return "-"
    return "w" if WRITE_NAME.search(name) else "r"


def _clients(users):
    out = []
    for _head, username, _ in COLUMNS:
        client = Client()
        user = users[username] if username else None
        if user is not None:
            client.force_login(user)
        out.append((client, user))
    return out


def probed_columns(index: int) -> list[int]:
    """The columns probed for the ``index``-th route in this run.

    Anonymous always (cheap). The signed-in columns are shared between the two database stages of
    ``make test`` (SQLite probes one half of the cells, PostgreSQL the other, in a checkerboard), so
    that each stage stays within about a minute and one ``make test`` still walks every cell.
    ``ACCESS_MATRIX_FULL=1`` (or recording) probes every cell in one run.
    """
    from django.db import connection

    if os.environ.get("ACCESS_MATRIX_FULL") == "1" or os.environ.get("ACCESS_MATRIX_RECORD"):
        return list(range(len(COLUMNS)))
    half = 0 if connection.vendor == "sqlite" else 1
    return [0] + [c for c in range(1, len(COLUMNS)) if (index + c) % 2 == half]


def observe(names, users) -> dict[str, str]:
    """name → observed letters, ``?`` where a column was not probed in this run."""
    routes = {name: (route, callback) for name, route, callback in iter_routes()}
    order = {name: i for i, name in enumerate(route_names())}
    clients = _clients(users)
    out = {}
    for name in names:
        cells = ["?"] * len(COLUMNS)
        for c in probed_columns(order[name]):
            cells[c] = probe(clients[c][0], name, *routes[name], clients[c][1])
        out[name] = "".join(cells)
    return out


def test_every_route_has_a_row():
    names = set(route_names())
    missing = sorted(names - set(MATRIX))
    stale = sorted(set(MATRIX) - names)
    assert not missing, f"routes without a row in shuiquan/core/access.py MATRIX: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert all(len(v) == len(COLUMNS) and set(v) <= set(LEVELS) for v in MATRIX.values())


GROUPS = ["core", "portal", "registry", "ledger", "allocation", "trading", "metering", "supervision", "finance",
          "pilot", "api:registry", "api:ledger", "api:allocation", "api:trading", "api:metering",
          "api:supervision", "api:finance", "api:pilot", "api:public", "other"]


def _group(name):
    if name.startswith("api:"):
        part = name.split(":")[1].split("-")[0]
        return f"api:{part}" if f"api:{part}" in GROUPS else "other"
    ns = name.split(":")[0] if ":" in name else "other"
    return ns if ns in GROUPS else "other"


@pytest.mark.parametrize("group", GROUPS)
def test_each_role_gets_exactly_the_access_of_the_matrix(group, users):
    names = [n for n in route_names() if _group(n) == group]
    observed = observe(names, users)
    record = os.environ.get("ACCESS_MATRIX_RECORD")
    if record:
        with open(record, "a", encoding="utf-8") as fh:
            for name in names:
                fh.write(f"    {name!r}: {observed[name]!r},\n")
        return
    def agrees(table, seen):
        return table is not None and all(o in ("?", t) for t, o in zip(table, seen))

    diff = {n: f"table {MATRIX.get(n)} observed {observed[n]}" for n in names if not agrees(MATRIX.get(n), observed[n])}
    heads = " ".join(h for h, _, _ in COLUMNS)
    assert not diff, f"columns: {heads}\n" + "\n".join(f"{k}: {v}" for k, v in diff.items())


def test_the_committed_doc_is_current():
    from django.conf import settings

    doc = settings.BASE_DIR / "docs" / "access-control.md"
    assert doc.read_text(encoding="utf-8") == render_markdown(), "run: .venv/bin/python manage.py access_matrix"
