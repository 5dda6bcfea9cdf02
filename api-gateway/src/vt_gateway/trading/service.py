"""Routing to the two trading services (paper and live run as separate processes) and merging
their lists.

Ids carry no environment, so the gateway finds an object by asking the paper service and then the
live one (a 404 from both is the answer: not yours, or no such id) and remembers where each id
lives; an id never moves between environments. A live service that is down never breaks paper:
lookups fall through to the other service, and merged lists name what is missing in
`unavailable`.
"""

from __future__ import annotations

import base64
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import orjson

from vt_gateway.pagination import PageParams
from vt_gateway.upstream import PassThroughProblem, Upstream, UpstreamReply, Upstreams
from vt_kit import (
    BadRequest,
    NotFound,
    ProblemError,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
)

Kind = Literal["deployments", "accounts", "exceptions"]
ENVIRONMENTS: tuple[Literal["paper", "live"], ...] = ("paper", "live")
DEFAULT_SORT = "-created_at"
_DOWN = (Unavailable, UpstreamTimeout, UpstreamError)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _check_account_id(account_id: str) -> None:
    """Ids in bodies are free text in the contracts: refuse what cannot be an account here."""
    if not _ID.match(account_id):
        raise NotFound(
            "There is no broker account with this id: list yours with GET /api/v1/trading/accounts."
        )


class Locations:
    """LRU of (user, kind, id) -> environment: saves the second lookup for live objects."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str, str], str] = OrderedDict()

    def get(self, user_id: str, kind: str, object_id: str) -> str | None:
        key = (user_id, kind, object_id)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, user_id: str, kind: str, object_id: str, environment: str) -> None:
        self._items[(user_id, kind, object_id)] = environment
        self._items.move_to_end((user_id, kind, object_id))
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _is_not_found(exc: ProblemError) -> bool:
    return isinstance(exc, PassThroughProblem) and exc.status == 404


async def on_owner(
    up: Upstreams,
    where: Locations,
    user_id: str,
    kind: Kind,
    object_id: str,
    call: Callable[[Upstream], Awaitable[UpstreamReply]],
) -> UpstreamReply:
    """Run `call` against the service that holds `object_id` (a 404 there means: try the other)."""
    known = where.get(user_id, kind, object_id)
    order = [known] + [e for e in ENVIRONMENTS if e != known] if known else list(ENVIRONMENTS)
    first_error: ProblemError | None = None
    for environment in order:
        try:
            reply = await call(up.trading(environment))
        except ProblemError as exc:
            if _is_not_found(exc) or isinstance(exc, _DOWN):
                # not there (or that service is down): the other one may hold it
                if first_error is None or (_is_not_found(first_error) and isinstance(exc, _DOWN)):
                    first_error = exc
                continue
            where.put(user_id, kind, object_id, environment)
            raise
        where.put(user_id, kind, object_id, environment)
        return reply
    assert first_error is not None
    raise first_error


async def for_account(
    up: Upstreams,
    where: Locations,
    user_id: str,
    account_id: str | None,
    call: Callable[[Upstream], Awaitable[UpstreamReply]],
) -> UpstreamReply:
    """Account-level calls: no account means the user's default paper account."""
    if account_id is None:
        return await call(up.trading_paper)
    _check_account_id(account_id)

    async def probe(upstream: Upstream) -> UpstreamReply:
        known = where.get(user_id, "accounts", account_id)
        if known is None:  # make sure the account is there before acting on it
            await upstream.request("GET", f"/accounts/{account_id}", user_id=user_id)
        return await call(upstream)

    return await on_owner(up, where, user_id, "accounts", account_id, probe)


async def account_environment(
    up: Upstreams, where: Locations, user_id: str, account_id: str
) -> Literal["paper", "live"]:
    """The environment an account of the user's lives in (404 when neither service has it)."""
    _check_account_id(account_id)
    known = where.get(user_id, "accounts", account_id)
    if known is None:

        async def probe(upstream: Upstream) -> UpstreamReply:
            return await upstream.request("GET", f"/accounts/{account_id}", user_id=user_id)

        await on_owner(up, where, user_id, "accounts", account_id, probe)
        known = where.get(user_id, "accounts", account_id)
    return "live" if known == "live" else "paper"


# ------------------------------------------------------------------------------ merged lists


@dataclass
class _Stream:
    """Where one environment's list continues: the upstream cursor and items already taken."""

    cursor: str | None
    skip: int
    done: bool = False


def _encode(streams: dict[str, _Stream]) -> str | None:
    if all(s.done for s in streams.values()):
        return None
    raw = {e: [s.cursor, s.skip, s.done] for e, s in streams.items()}
    return base64.urlsafe_b64encode(orjson.dumps(raw)).decode().rstrip("=")


def _decode(cursor: str | None, environments: tuple[str, ...]) -> dict[str, _Stream]:
    if cursor is None:
        return {e: _Stream(None, 0) for e in environments}
    bad = BadRequest("The cursor is not valid: pass next_cursor from the previous page unchanged.")
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise bad from exc
    if not isinstance(raw, dict) or set(raw) != set(environments):
        raise bad
    streams: dict[str, _Stream] = {}
    for environment, value in raw.items():
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not (value[0] is None or isinstance(value[0], str))
            or not isinstance(value[1], int)
            or isinstance(value[1], bool)
            or not 0 <= value[1] <= 100
            or not isinstance(value[2], bool)
        ):
            raise bad
        streams[environment] = _Stream(value[0], value[1], value[2])
    return streams


def _sort_key(field: str, item: dict[str, Any]) -> tuple[int, Any]:
    value = item.get(field)
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, Decimal(repr(value)))
    try:
        return (1, Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return (2, str(value))  # ISO timestamps (UTC) and ids sort as text


async def _take(
    upstream: Upstream,
    user_id: str,
    path: str,
    params: dict[str, Any],
    stream: _Stream,
    want: int,
) -> list[tuple[dict[str, Any], str | None, int, bool]]:
    """Up to `want` items from where `stream` stands, each with (page cursor, index in it, last)."""
    taken: list[tuple[dict[str, Any], str | None, int, bool]] = []
    cursor, skip = stream.cursor, stream.skip
    while len(taken) < want:
        limit = min(100, skip + want - len(taken))
        reply = await upstream.request(
            "GET", path, user_id=user_id, params={**params, "limit": limit, "cursor": cursor}
        )
        body = reply.json()
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise UpstreamError(
                f"The {upstream.name} service answered a list without items.",
                service=upstream.name,
            )
        nxt = body.get("next_cursor")
        for index, item in enumerate(items):
            if index >= skip and isinstance(item, dict):
                last = nxt is None and index == len(items) - 1
                taken.append((item, cursor, index, last))
        if nxt is None or len(taken) >= want:
            break
        cursor, skip = str(nxt), 0
    return taken[:want]


async def merged_list(
    up: Upstreams,
    user_id: str,
    path: str,
    page: PageParams,
    *,
    environment: str | None = None,
    params: dict[str, Any] | None = None,
) -> bytes:
    """One page of a list that lives in both services, merged by the `sort` field."""
    environments = (environment,) if environment else ENVIRONMENTS
    sort = page.sort or DEFAULT_SORT
    field, descending = sort.lstrip("-"), sort.startswith("-")
    streams = _decode(page.cursor, environments)
    query = {**(params or {}), "sort": sort}
    candidates: list[tuple[str, tuple[dict[str, Any], str | None, int, bool]]] = []
    unavailable: list[str] = []
    for env, stream in streams.items():
        if stream.done:
            continue
        try:
            rows = await _take(up.trading(env), user_id, path, query, stream, page.limit)
        except ProblemError as exc:
            if isinstance(exc, _DOWN) and environment is None:
                unavailable.append(env)  # the other environment still answers
                continue
            raise
        if not rows:
            stream.done = True
        candidates.extend((env, row) for row in rows)
    # stable (also with reverse=True): equal keys keep paper first and each service's own order
    ordered = sorted(candidates, key=lambda c: _sort_key(field, c[1][0]), reverse=descending)
    chosen = ordered[: page.limit]
    for env in streams:
        mine = [row for e, row in chosen if e == env]
        left = [row for e, row in candidates if e == env]
        if mine:
            _item, cursor, index, last = mine[-1]
            streams[env] = _Stream(cursor, index + 1, last)
        elif not left and env not in unavailable:
            streams[env].done = True
    items = [row[0] for _env, row in chosen]
    return orjson.dumps(
        {"items": items, "next_cursor": _encode(streams), "unavailable": unavailable}
    )
