"""vt_kit: the service kit shared by every VibeTrading service."""

from vt_kit.app import RedisDep, SessionDep, create_service_app, get_redis, get_session
from vt_kit.context import (
    CORRELATION_HEADER,
    INTERNAL_TOKEN_HEADER,
    USER_ID_HEADER,
    correlation_id_var,
    user_id_var,
)
from vt_kit.http import CircuitBreaker, CircuitOpenError, make_client, retry_async
from vt_kit.internal import InternalAuth, require_internal_token
from vt_kit.logging import configure_logging, redact
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
from vt_kit.redis import TokenBucket, make_redis
from vt_kit.settings import ServiceSettings

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
