"""Airlock's one exception tree.

Every error a client can see is an :class:`AirlockError`. Each class carries its HTTP
status, the OpenAI ``error.type`` and a machine-readable ``error.code``; one handler in the
server renders them into the OpenAI error shape::

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}, "decision_id": ...}

Messages never contain keys, prompt text or personal data: they name fields, rules and
levels only.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AirlockError",
    "AuthenticationError",
    "BodyTooLargeError",
    "ConfigError",
    "InternalError",
    "InvalidRequestError",
    "ModelNotFoundError",
    "PermissionDeniedError",
    "PolicyBlockedError",
    "RateLimitedError",
    "ServiceUnavailableError",
    "UpstreamError",
    "UpstreamTimeoutError",
]


class AirlockError(Exception):
    """Base class: an error with an HTTP status and an OpenAI-shaped body."""

    status: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    default_code: ClassVar[str] = "internal_error"
    #: policy blocks tell the official SDKs not to retry (``x-should-retry: false``)
    should_retry: ClassVar[bool | None] = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param
        self.headers = dict(headers or {})
        #: extra members merged into the ``error`` object (e.g. ``innererror``, ``rules``)
        self.extra = dict(extra or {})

    def body(self, decision_id: str | None) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "param": self.param,
            "code": self.code,
        }
        error.update(self.extra)
        return {"error": error, "decision_id": decision_id}

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        return headers


class InvalidRequestError(AirlockError):
    """Malformed JSON, wrong types, unsupported values: 400."""

    status = 400
    error_type = "invalid_request_error"
    default_code = "invalid_request"
    should_retry = False


class BodyTooLargeError(InvalidRequestError):
    status = 413
    default_code = "request_too_large"


class AuthenticationError(AirlockError):
    """Missing, malformed, unknown or revoked key: 401."""

    status = 401
    error_type = "authentication_error"
    default_code = "invalid_api_key"
    should_retry = False


class PermissionDeniedError(AirlockError):
    """A valid key without the scope or entitlement for this route or model: 403."""

    status = 403
    error_type = "permission_error"
    default_code = "insufficient_scope"
    should_retry = False


class ModelNotFoundError(AirlockError):
    status = 404
    error_type = "invalid_request_error"
    default_code = "model_not_found"
    should_retry = False


class RateLimitedError(AirlockError):
    status = 429
    error_type = "rate_limit_error"
    default_code = "rate_limit_exceeded"
    should_retry = True


class PolicyBlockedError(AirlockError):
    """The policy refused the request. Carries the rule ids that fired."""

    status = 400
    error_type = "invalid_request_error"
    default_code = "content_filter"
    should_retry = False

    def __init__(
        self,
        message: str,
        *,
        rules: list[str],
        code: str | None = None,
        status: int | None = None,
        param: str | None = "prompt",
        extra: dict[str, Any] | None = None,
    ) -> None:
        merged = {"rules": list(rules)}
        merged.update(extra or {})
        super().__init__(message, code=code, param=param, extra=merged)
        self.rules = list(rules)
        if status is not None:
            self.status = status  # type: ignore[misc]


class UpstreamError(AirlockError):
    """Every eligible deployment failed."""

    status = 502
    error_type = "server_error"
    default_code = "upstream_error"
    should_retry = True


class UpstreamTimeoutError(UpstreamError):
    status = 504
    default_code = "upstream_timeout"


class ServiceUnavailableError(AirlockError):
    """A fail-closed dependency (store, vault, ledger, detector) is unavailable: 503."""

    status = 503
    error_type = "server_error"
    default_code = "service_unavailable"
    should_retry = True


class InternalError(AirlockError):
    status = 500
    error_type = "server_error"
    default_code = "internal_error"


class ConfigError(Exception):
    """Configuration that cannot be loaded. The message names the key path and the fix."""
