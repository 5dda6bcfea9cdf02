"""/api/v1/users/me/password, /api/v1/users/me/sessions, /api/v1/admin/users/{id}/disable|enable."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from vt_gateway.accounts import service
from vt_gateway.accounts.schemas import PasswordChange, SessionList
from vt_gateway.auth.cookies import clear_session_cookies
from vt_gateway.auth.schemas import UserRead
from vt_gateway.deps import AdminUser, SessionUser, SettingsDep, TokensDep
from vt_gateway.errors import authed
from vt_gateway.users.service import to_read
from vt_kit import RedisDep, SessionDep

router = APIRouter(tags=["account"])

SessionId = Annotated[uuid.UUID, Path(description="Session id (from GET /users/me/sessions).")]
UserId = Annotated[uuid.UUID, Path(description="User id (from GET /admin/users).")]


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your password",
    responses=authed(404),
)
async def change_password(
    body: PasswordChange,
    principal: SessionUser,
    session: SessionDep,
    redis: RedisDep,
    tokens: TokensDep,
    request: Request,
) -> Response:
    """Needs your current password. Every other session is logged out at once (their refresh and
    access tokens stop working); this one stays logged in."""
    await service.change_password(
        session, redis, tokens, request.app.state.passwords, principal, body
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/me/sessions",
    response_model=SessionList,
    summary="Your login sessions",
    responses=authed(),
)
async def list_sessions(principal: SessionUser, session: SessionDep) -> SessionList:
    """Every device or script logged in with your password (one entry per login, kept alive by
    its refreshes); `current` marks the one making this request."""
    return await service.list_sessions(session, principal)


@router.delete(
    "/users/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log a session out",
    responses=authed(404),
)
async def revoke_session(
    session_id: SessionId,
    principal: SessionUser,
    session: SessionDep,
    redis: RedisDep,
    tokens: TokensDep,
) -> Response:
    """Immediate: the session's next request is refused (401) and it cannot refresh."""
    await service.revoke_session(session, redis, tokens, principal, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/users/me/sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out everywhere",
    responses=authed(),
)
async def revoke_all_sessions(
    principal: SessionUser,
    session: SessionDep,
    redis: RedisDep,
    tokens: TokensDep,
    settings: SettingsDep,
) -> Response:
    """Ends every session of yours, this one included, and clears this browser's cookies.
    Personal access tokens are not sessions: revoke them with DELETE /users/me/tokens/{id}."""
    await service.revoke_all_sessions(session, redis, tokens, principal)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, settings)
    return response


@router.post(
    "/admin/users/{user_id}/disable",
    response_model=UserRead,
    summary="Disable an account (admin)",
    tags=["admin"],
    responses=authed(404, 409),
)
async def disable_user(
    user_id: UserId,
    admin: AdminUser,
    session: SessionDep,
    redis: RedisDep,
    tokens: TokensDep,
) -> UserRead:
    """The user can no longer log in or refresh, and every token they hold (personal access
    tokens included) is refused from the very next request. Their data stays. Administrators only;
    you cannot disable yourself."""
    return to_read(await service.disable_user(session, redis, tokens, admin, user_id))


@router.post(
    "/admin/users/{user_id}/enable",
    response_model=UserRead,
    summary="Enable an account again (admin)",
    tags=["admin"],
    responses=authed(404),
)
async def enable_user(
    user_id: UserId, _admin: AdminUser, session: SessionDep, redis: RedisDep
) -> UserRead:
    """The user can log in again (the sessions ended when they were disabled stay ended)."""
    return to_read(await service.enable_user(session, redis, user_id))
