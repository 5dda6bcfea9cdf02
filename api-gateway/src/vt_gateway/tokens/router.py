"""/api/v1/users/me/tokens: create (token shown once), list, revoke personal access tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from vt_gateway.deps import CurrentUser
from vt_gateway.errors import authed
from vt_gateway.tokens import service
from vt_gateway.tokens.schemas import TokenCreate, TokenCreated, TokenList
from vt_kit import SessionDep

router = APIRouter(prefix="/users/me/tokens", tags=["tokens"])

TokenId = Annotated[uuid.UUID, Path(description="Token id (from the list).")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    summary="Create a personal access token",
    responses=authed(),
)
async def create_token(
    body: TokenCreate, principal: CurrentUser, session: SessionDep
) -> TokenCreated:
    """For scripts and AI assistants (the MCP server): send it as `Authorization: Bearer <token>`.
    The token is in this answer only; the server keeps just a hash. Scopes: `read`, `backtest`,
    `paper`. Live trading, broker accounts, credentials and token management stay behind a
    password login whatever the scopes."""
    return await service.create(session, principal.user_id, body)


@router.get("", response_model=TokenList, summary="Your active tokens", responses=authed())
async def list_tokens(principal: CurrentUser, session: SessionDep) -> TokenList:
    """Newest first; never the token itself (only its first characters, `prefix`)."""
    return TokenList(items=await service.list_active(session, principal.user_id))


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a token",
    responses=authed(404),
)
async def revoke_token(token_id: TokenId, principal: CurrentUser, session: SessionDep) -> Response:
    """Immediate: the next request with the token is refused (401)."""
    await service.revoke(session, principal.user_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
