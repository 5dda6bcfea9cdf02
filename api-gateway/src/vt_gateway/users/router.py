"""/api/v1/users/me and /api/v1/admin/users."""

from __future__ import annotations

from fastapi import APIRouter, Request

from vt_gateway.auth.schemas import UserRead
from vt_gateway.deps import AdminUser, CurrentUser
from vt_gateway.errors import authed
from vt_gateway.pagination import PageDep
from vt_gateway.users import service
from vt_gateway.users.schemas import UserPage, UserSettingsUpdate
from vt_kit import SessionDep

router = APIRouter(tags=["users"])


@router.get("/users/me", response_model=UserRead, summary="Who am I", responses=authed(404))
async def me(principal: CurrentUser, session: SessionDep) -> UserRead:
    """Your account and settings (a stored LLM API key shows only as `has_llm_api_key`)."""
    return service.to_read(await service.get_me(session, principal.user_id))


@router.patch(
    "/users/me/settings",
    response_model=UserRead,
    summary="Change your settings",
    responses=authed(404),
)
async def update_settings(
    body: UserSettingsUpdate, principal: CurrentUser, session: SessionDep, request: Request
) -> UserRead:
    """Default capital and costs for new backtests, LLM provider/model preference and, optionally,
    your own LLM API key (stored encrypted, never returned)."""
    user = await service.get_me(session, principal.user_id)
    await service.update_settings(session, user, body, request.app.state.secret_box)
    return service.to_read(user)


@router.get(
    "/admin/users",
    response_model=UserPage,
    summary="List users (admin)",
    tags=["admin"],
    responses=authed(400),
)
async def list_users(_admin: AdminUser, session: SessionDep, page: PageDep) -> UserPage:
    """Every account, newest first (`sort=created_at` for oldest first). Administrators only."""
    return await service.list_users(session, page)
