"""/api/v1/auth: register, login, refresh, logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response, status

from vt_gateway.auth import service
from vt_gateway.auth.cookies import clear_session_cookies, set_session_cookies
from vt_gateway.auth.schemas import (
    Credentials,
    LoginRequest,
    RefreshRequest,
    TokenResponse,
    UserRead,
)
from vt_gateway.deps import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    Principal,
    SettingsDep,
    TokensDep,
    authenticate,
    check_csrf,
    client_ip,
    limit_auth,
)
from vt_gateway.errors import problem_responses
from vt_gateway.users.service import to_read, unregistered_read
from vt_kit import RedisDep, SessionDep, Unauthorized

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(limit_auth)])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    summary="Create an account",
    responses=problem_responses(422, 429),
)
async def register(
    body: Credentials, session: SessionDep, settings: SettingsDep, request: Request
) -> UserRead:
    """Create a user with an e-mail and password (argon2id-hashed). Then log in.

    The answer is the same 201 whether or not the address already has an account, so this route
    cannot be used to find out who is registered. For an address that was already registered
    nothing is stored or changed (the body then describes no stored account) and logging in with
    the password just chosen fails with the usual 401."""
    user = await service.register(session, request.app.state.passwords, body.email, body.password)
    if user is None:
        return unregistered_read(body.email)
    return to_read(user, settings)


@router.post(
    "/login",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    summary="Log in",
    responses=problem_responses(401, 422, 429),
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    tokens: TokensDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Returns a short-lived access token (use it as `Authorization: Bearer`) and sets the session
    cookies for browsers: `vt_access`, `vt_refresh` (HttpOnly) and `vt_csrf` (readable)."""
    issued = await service.login(
        session,
        tokens,
        request.app.state.passwords,
        body.email,
        body.password,
        user_agent=request.headers.get("user-agent"),
        ip=client_ip(request),
    )
    set_session_cookies(
        response,
        settings,
        access_token=issued.access_token,
        access_ttl=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_ttl=issued.refresh_expires_in,
    )
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token if body.include_refresh_token else None,
    )


@router.post(
    "/refresh",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    summary="Rotate the refresh token",
    responses=problem_responses(401, 403, 422, 429),
)
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    tokens: TokensDep,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> TokenResponse:
    """Exchange a refresh token (the `vt_refresh` cookie + `X-CSRF-Token`, or `refresh_token` in
    the body) for a new access token and a new refresh token. Each refresh token works once:
    presenting a used one revokes every token of that login."""
    from_body = body.refresh_token if body is not None else None
    token = from_body or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Unauthorized("No refresh token: log in first.", slug="invalid-refresh-token")
    if from_body is None:
        check_csrf(request)
    issued = await service.refresh(
        session,
        tokens,
        token,
        user_agent=request.headers.get("user-agent"),
        ip=client_ip(request),
    )
    set_session_cookies(
        response,
        settings,
        access_token=issued.access_token,
        access_ttl=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_ttl=issued.refresh_expires_in,
    )
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token if from_body else None,
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out",
    responses=problem_responses(403, 422, 429),
)
async def logout(
    request: Request,
    session: SessionDep,
    redis: RedisDep,
    tokens: TokensDep,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> Response:
    """Revoke this login's refresh tokens and the presented access token, and clear the cookies."""
    from_body = body.refresh_token if body is not None else None
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    cookie_session = bearer is None and from_body is None
    if cookie_session and (
        request.cookies.get(REFRESH_COOKIE) or request.cookies.get(ACCESS_COOKIE)
    ):
        check_csrf(request)
    principal: Principal | None = None
    access = bearer or request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            principal = await authenticate(access, bearer is None, tokens, redis)
        except Unauthorized:
            principal = None
    await service.logout(
        session,
        redis,
        refresh_token=from_body or request.cookies.get(REFRESH_COOKIE),
        principal=principal,
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, settings)
    return response
