"""Internal service-to-service auth: every internal route requires the shared service token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from vt_kit.context import user_id_var
from vt_kit.problems import Unauthorized


async def require_internal_token(
    request: Request,
    x_internal_token: Annotated[
        str | None, Header(alias="X-Internal-Token", include_in_schema=False)
    ] = None,
    x_user_id: Annotated[str | None, Header(alias="X-User-Id", include_in_schema=False)] = None,
) -> None:
    """Reject calls that do not carry the internal token; remember the acting user for logs."""
    expected: str = request.app.state.settings.internal_token.get_secret_value()
    if not x_internal_token or not hmac.compare_digest(
        x_internal_token.encode(), expected.encode()
    ):
        raise Unauthorized(
            "This is an internal service: calls must come through the API gateway with the service token."
        )
    if x_user_id:
        user_id_var.set(x_user_id)


InternalAuth = Depends(require_internal_token)
