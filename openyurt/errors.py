"""The errors our Kubernetes adapters raise, whatever library or fake is behind them.

Controllers branch on a handful of outcomes (absent, stale, expired, throttled, refused, unreachable),
so each gets a class and everything else is a plain :class:`ApiError` carrying the server's ``Status``
(code, reason, message, causes). Adapters translate kubernetes-asyncio and aiohttp failures into these
and chain the original with ``raise ... from``; no third-party exception escapes an adapter, so the
runtime never imports a client library to catch something.

:class:`TerminalError` is the controller-runtime marker: a reconcile failure that retrying cannot fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class StatusCause:
    """One entry of ``Status.details.causes``: which field, and why."""

    reason: str = ""
    message: str = ""
    field: str = ""


class ApiError(Exception):
    """A request the API server (or our stand-in for it) refused, with its ``Status``."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        causes: tuple[StatusCause, ...] = (),
        status: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes
        self.status: dict[str, Any] = dict(status) if status is not None else _status(code, reason, message, causes)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}" if self.reason else f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, reason={self.reason!r}, message={self.message!r})"

    @property
    def retryable(self) -> bool:
        """Whether trying the same request later may succeed (throttling, outages, server errors)."""
        return self.code == 0 or self.code == 429 or self.code >= 500


class NotFoundError(ApiError):
    """404: the object (or its namespace, or the resource) does not exist."""


class ConflictError(ApiError):
    """409 Conflict: a stale resourceVersion or precondition; re-read before writing again."""


class AlreadyExistsError(ConflictError):
    """409 AlreadyExists: a create of a name that is taken."""


class GoneError(ApiError):
    """410 Expired/Gone: a resourceVersion or continue token older than the server's history."""


class InvalidError(ApiError):
    """422 Invalid: the object fails validation; ``causes`` name the fields."""


class TooManyRequestsError(ApiError):
    """429: throttled; retry later."""


class UnavailableError(ApiError):
    """The server could not be reached or did not answer in time (code 0), or answered 503/504."""


class TerminalError(Exception):
    """A reconcile failure that will not go away by retrying (a bad spec); never requeued."""


def _status(code: int, reason: str, message: str, causes: tuple[StatusCause, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if causes:
        out["details"] = {
            "causes": [{k: v for k, v in attrs.asdict(c).items() if v} for c in causes],
        }
    return out


def error_class(code: int, reason: str = "") -> type[ApiError]:
    """The most specific class for an HTTP code (and reason, which splits 409)."""
    if code == 404:
        return NotFoundError
    if code == 409:
        return AlreadyExistsError if reason == "AlreadyExists" else ConflictError
    if code == 410:
        return GoneError
    if code == 422:
        return InvalidError
    if code == 429:
        return TooManyRequestsError
    if code in (0, 503, 504):
        return UnavailableError
    return ApiError


def from_status(status: Mapping[str, Any], code: int | None = None) -> ApiError:
    """Build the error a ``Status`` body describes; ``code`` is the HTTP status when the body lacks one."""
    raw_code = status.get("code")
    real_code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else (code or 500)
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or reason or f"HTTP {real_code}")
    details = status.get("details")
    causes: tuple[StatusCause, ...] = ()
    if isinstance(details, Mapping) and isinstance(details.get("causes"), list):
        causes = tuple(
            StatusCause(str(c.get("reason") or ""), str(c.get("message") or ""), str(c.get("field") or ""))
            for c in details["causes"]
            if isinstance(c, Mapping)
        )
    return error_class(real_code, reason)(real_code, reason, message, causes=causes, status=status)


def make_error(code: int, reason: str, message: str, *, causes: tuple[StatusCause, ...] = ()) -> ApiError:
    """An error of the right class built from parts (used by fakes and fault injection)."""
    return error_class(code, reason)(code, reason, message, causes=causes)


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, NotFoundError)
