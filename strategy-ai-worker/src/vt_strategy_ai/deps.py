"""Request dependencies: the acting user, the LLM provider and upstream clients (from lifespan)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from vt_kit import BadRequest, InternalAuth
from vt_strategy_ai.clients import UpstreamClients
from vt_strategy_ai.llm.base import Provider
from vt_strategy_ai.settings import Settings


async def _user_id(
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> uuid.UUID:
    if not x_user_id:
        raise BadRequest(
            "X-User-Id is required: the gateway forwards the acting user with every call."
        )
    try:
        return uuid.UUID(x_user_id)
    except ValueError:
        raise BadRequest("X-User-Id must be a UUID.") from None


def _provider(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


def _clients(request: Request) -> UpstreamClients:
    clients: UpstreamClients = request.app.state.upstreams
    return clients


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


UserId = Annotated[uuid.UUID, Depends(_user_id)]
ProviderDep = Annotated[Provider, Depends(_provider)]
ClientsDep = Annotated[UpstreamClients, Depends(_clients)]
SettingsDep = Annotated[Settings, Depends(_settings)]
INTERNAL = [InternalAuth]
