"""No 500s: every trading API operation answered with junk input returns a 4xx in the core shape."""

import json

import pytest

pytestmark = pytest.mark.django_db

JUNK = [{}, {"volume_m3": "lots", "unit_price": "1e9999", "buyer": "permit:", "side": "both", "lots": -1}, {"trade_type": ["x"]}, "[]"]


def test_every_trading_operation_refuses_junk_without_a_server_error(api, users, rights):
    schema = json.loads(api(None).get("/api/openapi.json?format=json").content)
    clients = {"city_admin": api(users["city_admin"]), "permit_holder": api(users["permit_holder"])}
    checked = 0
    for path, ops in schema["paths"].items():
        if not path.startswith("/api/v1/trading/"):
            continue
        url = path.replace("{id}", "1")
        for method in ops:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for client in clients.values():
                bodies = JUNK if method in ("post", "put", "patch") else [None]
                for body in bodies:
                    if isinstance(body, str):
                        resp = getattr(client, method)(url, body, content_type="application/json")
                    else:
                        resp = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
                    assert resp.status_code < 500, (method, url, body, resp.status_code, resp.content[:300])
                    if resp.status_code >= 400 and resp.headers.get("Content-Type", "").startswith("application/json"):
                        data = resp.json()
                        assert {"code", "message", "message_en"} <= set(data), (url, data)
                    checked += 1
    assert checked > 100
