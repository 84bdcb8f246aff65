"""Fuzzing the whole API with Schemathesis, in-process (WSGI), as every role and anonymously.

Every operation of ``/api/openapi.json`` gets a few generated requests (valid and invalid input,
mutating operations included: they run against the test database and are rolled back). Each
request is sent as one role drawn from the demo accounts (machines authenticate with
``Authorization: Bearer <token>``) or anonymously, and path ids are sometimes replaced by the id of
a seeded object, or of one the role may see, so the happy paths are reached too. Checks:

- no 5xx, ever;
- every 4xx body is the platform's error shape ``{"code", "rule", "message", "message_en",
  "detail"?}`` (``shuiquan.core.api.errors``; ``detail`` only when there is one);
- 2xx bodies conform to the schema's response for that status.

Bounded: ``FUZZ_EXAMPLES`` generated cases per operation (deterministic seed), about a minute per
database stage on two cores.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from shuiquan.core.scoping import VIEW

pytestmark = pytest.mark.django_db

#: The demo accounts the fuzzer acts as (None: anonymous).
ROLES = [None, "city_admin", "neixiang_officer", "damogang_manager", "association_rep", "permit_holder",
         "buyer_holder", "finance_officer", "bank_officer", "auditor", "snwd_unit"]

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
schema.config.generation.update(modes=["positive", "negative"])


def check_error_shape(ctx, response, case):
    """Every 4xx answer is ``{"code", "rule", "message", "message_en", "detail"?}``."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert isinstance(body, dict), f"error body is not an object: {response.text[:300]}"
    missing = {"code", "rule", "message", "message_en"} - set(body)
    extra = set(body) - {"code", "rule", "message", "message_en", "detail"}
    assert not missing and not extra, f"error body keys {sorted(body)}: missing {sorted(missing)}, unexpected {sorted(extra)}"
    assert isinstance(body["code"], str) and body["code"], body
    assert body["rule"] is None or isinstance(body["rule"], str), body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["message_en"], str) and body["message_en"], body
    assert isinstance(body.get("detail", {}), dict), body
    return True


def _model_for(path: str):
    """The model behind an operation's ``{id}`` (its viewset's queryset), if any."""
    try:
        match = resolve(path.replace("{id}", "1"))
    except Resolver404:
        return None
    cls = getattr(match.func, "cls", None)
    queryset = getattr(cls, "queryset", None)
    return queryset.model if queryset is not None else None


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes "old" connections around each request, which on PostgreSQL would
    close the test's transaction; Django's own test client disconnects the same handlers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(users):
    from rest_framework.authtoken.models import Token

    return {name: Token.objects.get_or_create(user=users[name])[0].key for name in ROLES if name}


@schema.given(data=st.data())
@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_api_fuzz(case, data, tokens, users):
    role = data.draw(st.sampled_from(ROLES), label="role")
    if "id" in (case.path_parameters or {}):
        model = _model_for(case.operation.path)
        source = data.draw(st.sampled_from(["generated", "any", "visible"]), label="id source")
        if model is not None and source != "generated":
            qs = model._default_manager.all()
            if source == "visible" and role:
                qs = qs.restrict(users[role], VIEW) if hasattr(qs, "restrict") else qs
            pks = list(qs.order_by("pk").values_list("pk", flat=True)[:5])
            if pks:
                case.path_parameters["id"] = data.draw(st.sampled_from(pks), label="id")
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    response = case.call(headers=headers)
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance, check_error_shape], headers=headers
    )
