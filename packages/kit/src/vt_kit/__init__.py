"""vt_kit: the service kit shared by every VibeTrading service.

Names are imported lazily, so a worker process that only needs settings or logging does not
pay for FastAPI and SQLAlchemy at start-up."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vt_kit.app import (
        RedisDep,
        SessionDep,
        create_service_app,
        get_redis,
        get_session,
    )
    from vt_kit.context import (
        CORRELATION_HEADER,
        INTERNAL_TOKEN_HEADER,
        USER_ID_HEADER,
        correlation_id_var,
        user_id_var,
    )
    from vt_kit.http import (
        CircuitBreaker,
        CircuitOpenError,
        make_client,
        retry_async,
    )
    from vt_kit.internal import (
        InternalAuth,
        require_internal_token,
    )
    from vt_kit.logging import (
        configure_logging,
        redact,
    )
    from vt_kit.problems import (
        BadRequest,
        Conflict,
        Forbidden,
        NotFound,
        PayloadTooLarge,
        ProblemError,
        TooManyRequests,
        Unauthorized,
        Unavailable,
        Unprocessable,
        UpstreamError,
        UpstreamTimeout,
        install_problem_handlers,
        problem_response,
    )
    from vt_kit.redis import (
        TokenBucket,
        make_redis,
    )
    from vt_kit.settings import (
        ServiceSettings,
    )

_LOCATIONS: dict[str, str] = {
    "RedisDep": "vt_kit.app",
    "SessionDep": "vt_kit.app",
    "create_service_app": "vt_kit.app",
    "get_redis": "vt_kit.app",
    "get_session": "vt_kit.app",
    "CORRELATION_HEADER": "vt_kit.context",
    "INTERNAL_TOKEN_HEADER": "vt_kit.context",
    "USER_ID_HEADER": "vt_kit.context",
    "correlation_id_var": "vt_kit.context",
    "user_id_var": "vt_kit.context",
    "CircuitBreaker": "vt_kit.http",
    "CircuitOpenError": "vt_kit.http",
    "make_client": "vt_kit.http",
    "retry_async": "vt_kit.http",
    "InternalAuth": "vt_kit.internal",
    "require_internal_token": "vt_kit.internal",
    "configure_logging": "vt_kit.logging",
    "redact": "vt_kit.logging",
    "BadRequest": "vt_kit.problems",
    "Conflict": "vt_kit.problems",
    "Forbidden": "vt_kit.problems",
    "NotFound": "vt_kit.problems",
    "PayloadTooLarge": "vt_kit.problems",
    "ProblemError": "vt_kit.problems",
    "TooManyRequests": "vt_kit.problems",
    "Unauthorized": "vt_kit.problems",
    "Unavailable": "vt_kit.problems",
    "Unprocessable": "vt_kit.problems",
    "UpstreamError": "vt_kit.problems",
    "UpstreamTimeout": "vt_kit.problems",
    "install_problem_handlers": "vt_kit.problems",
    "problem_response": "vt_kit.problems",
    "TokenBucket": "vt_kit.redis",
    "make_redis": "vt_kit.redis",
    "ServiceSettings": "vt_kit.settings",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'vt_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CORRELATION_HEADER",
    "INTERNAL_TOKEN_HEADER",
    "USER_ID_HEADER",
    "BadRequest",
    "CircuitBreaker",
    "CircuitOpenError",
    "Conflict",
    "Forbidden",
    "InternalAuth",
    "NotFound",
    "PayloadTooLarge",
    "ProblemError",
    "RedisDep",
    "ServiceSettings",
    "SessionDep",
    "TokenBucket",
    "TooManyRequests",
    "Unauthorized",
    "Unavailable",
    "Unprocessable",
    "UpstreamError",
    "UpstreamTimeout",
    "configure_logging",
    "correlation_id_var",
    "create_service_app",
    "get_redis",
    "get_session",
    "install_problem_handlers",
    "make_client",
    "make_redis",
    "problem_response",
    "redact",
    "require_internal_token",
    "retry_async",
    "user_id_var",
]
