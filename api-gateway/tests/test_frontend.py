"""Serving the static front end at `/` next to the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx


async def test_not_built_page(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "make frontend" in r.text
    assert (await gw.get("/strategies")).status_code == 404


async def test_serves_the_static_export(make_gateway: Any, tmp_path: Path) -> None:
    from vt_gateway.testing import gateway_settings

    (tmp_path / "index.html").write_text("<html>home</html>")
    (tmp_path / "404.html").write_text("<html>missing</html>")
    (tmp_path / "login.html").write_text("<html>login</html>")
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "index.html").write_text("<html>strategies</html>")
    static = tmp_path / "_next" / "static" / "chunks"
    static.mkdir(parents=True)
    (static / "app-123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("do not serve")
    client: httpx.AsyncClient = await make_gateway(gateway_settings(VT_FRONTEND_DIR=str(tmp_path)))

    assert (await client.get("/")).text == "<html>home</html>"
    assert (await client.get("/login")).text == "<html>login</html>"
    assert (await client.get("/strategies")).text == "<html>strategies</html>"
    assert (await client.get("/strategies/")).text == "<html>strategies</html>"
    js = await client.get("/_next/static/chunks/app-123.js")
    assert js.status_code == 200
    assert "immutable" in js.headers["cache-control"]
    assert "max-age=31536000" in js.headers["cache-control"]
    assert (await client.get("/login")).headers["cache-control"] == "no-cache"
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.text == "<html>missing</html>"
    assert (await client.get("/_next/static/nope.js")).status_code == 404
    assert "do not serve" not in (await client.get("/../secret.txt")).text
    assert "do not serve" not in (await client.get("/%2e%2e/secret.txt")).text
    api = await client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert (await client.head("/login")).status_code == 200
