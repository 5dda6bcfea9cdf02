"""The browser session: access + refresh cookies (HttpOnly) and the readable CSRF cookie."""

from __future__ import annotations

from fastapi import Response

from vt_gateway.deps import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE, REFRESH_COOKIE_PATH
from vt_gateway.security import new_csrf_token
from vt_gateway.settings import Settings


def set_session_cookies(
    response: Response,
    settings: Settings,
    *,
    access_token: str,
    access_ttl: int,
    refresh_token: str,
    refresh_ttl: int,
) -> None:
    secure = settings.cookie_secure
    response.set_cookie(
        ACCESS_COOKIE,
        access_token,
        max_age=access_ttl,
        path="/",
        httponly=True,
        secure=secure,
        samesite="lax",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=refresh_ttl,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    # readable by the app's JavaScript, which echoes it in X-CSRF-Token (double submit)
    response.set_cookie(
        CSRF_COOKIE,
        new_csrf_token(),
        max_age=refresh_ttl,
        path="/",
        httponly=False,
        secure=secure,
        samesite="strict",
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    secure = settings.cookie_secure
    response.delete_cookie(ACCESS_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, secure=secure, httponly=True, samesite="strict"
    )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="strict")
