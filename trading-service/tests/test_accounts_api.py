"""Accounts over the internal API: creation, the default paper account, risk limits,
ownership (another user's ids answer 404), environment segregation, problem+json refusals."""

from __future__ import annotations

import httpx
from tr_testkit import h, sql


async def test_create_list_get_and_limits(
    api: httpx.AsyncClient, user: str, database_url: str
) -> None:
    r = await api.post(
        "/accounts",
        json={"name": "Main paper", "starting_cash": "250000", "credentials": {"api_key": "k1"}},
        headers=h(user),
    )
    assert r.status_code == 201, r.text
    acct = r.json()
    assert acct["environment"] == "paper"
    assert acct["venue"] == "paper"
    assert acct["has_credentials"] is True
    assert "credentials" not in acct
    assert "k1" not in r.text
    assert acct["risk_limits"]["max_position_pct"] == 5.0

    stored = sql(
        database_url,
        "SELECT credentials_enc FROM trading_paper.broker_accounts WHERE id = %s",
        acct["id"],
    )[0][0]
    assert stored
    assert "k1" not in stored

    page = (await api.get("/accounts", headers=h(user))).json()
    assert [a["id"] for a in page["items"]] == [acct["id"]]
    assert (await api.get(f"/accounts/{acct['id']}", headers=h(user))).json()[
        "name"
    ] == "Main paper"

    limits = {**acct["risk_limits"], "max_position_pct": 50.0, "max_orders_per_minute": 1000}
    r = await api.put(f"/accounts/{acct['id']}/risk-limits", json=limits, headers=h(user))
    assert r.status_code == 200, r.text
    assert r.json()["risk_limits"]["max_position_pct"] == 50.0

    audit = (
        await api.get("/trading/audit", params={"account_id": acct["id"]}, headers=h(user))
    ).json()
    assert audit["verified"] is True
    assert [e["kind"] for e in audit["items"]] == ["account.created", "account.risk_limits"]
    assert "k1" not in str(audit)


async def test_other_users_ids_answer_404(
    api: httpx.AsyncClient, user: str, other_user: str
) -> None:
    acct = (await api.post("/accounts", json={"name": "Mine"}, headers=h(user))).json()
    for method, path, body in (
        ("GET", f"/accounts/{acct['id']}", None),
        ("PUT", f"/accounts/{acct['id']}/risk-limits", {}),
        ("GET", "/trading/risk", None),
    ):
        params = {"account_id": acct["id"]} if path.startswith("/trading") else None
        r = await api.request(method, path, json=body, params=params, headers=h(other_user))
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await api.get("/accounts", headers=h(other_user))).json()["items"] == []


async def test_default_paper_account_is_created_on_first_use(
    api: httpx.AsyncClient, user: str
) -> None:
    risk = await api.get("/trading/risk", headers=h(user))
    assert risk.status_code == 200, risk.text
    body = risk.json()
    assert body["state"] == "active"
    assert body["environment"] == "paper"
    assert body["limits"]["max_gross_exposure_pct"] == 30.0
    assert float(body["equity"]) == 1_000_000
    accounts = (await api.get("/accounts", headers=h(user))).json()["items"]
    assert [a["name"] for a in accounts] == ["Paper"]


async def test_refusals_are_problems_that_say_what_to_do(api: httpx.AsyncClient, user: str) -> None:
    r = await api.post(
        "/accounts", json={"name": "x", "venue": "ibkr", "environment": "live"}, headers=h(user)
    )
    assert r.status_code == 422
    assert "paper and live never mix" in r.json()["detail"]
    await api.post("/accounts", json={"name": "dup"}, headers=h(user))
    r = await api.post("/accounts", json={"name": "dup"}, headers=h(user))
    assert r.status_code == 409
    assert "choose another name" in r.json()["detail"]
    r = await api.get("/accounts", headers={})
    assert r.status_code == 400
    r = await api.get("/accounts", headers={"X-User-Id": user, "X-Internal-Token": "wrong"})
    assert r.status_code == 401
