"""Exceptions raised by the drover client.

Every error answer of the server is JSON ``{"error": {"code", "message",
"field"}}``; the client raises it as an exception of the class that fits its
HTTP status, carrying the same ``code`` (stable: switch on it), ``message``
(for people) and ``field`` (the request field at fault, when the server names
one).
"""

from __future__ import annotations

import builtins
from typing import Optional

__all__ = [
    "Error",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "QuotaExceeded",
    "ServerError",
    "ConnectionError",
    "Timeout",
    "error_for_status",
]


class Error(Exception):
    """Base class of every error of the drover client.

    Attributes:
        code: the API's stable error code, e.g. ``"target_missing"``.
        message: a human-readable explanation.
        field: the request field the error is about, or ``None``.
        status: the HTTP status of the answer (0 when there was none).
    """

    def __init__(self, message: str, code: str = "error", field: Optional[str] = None, status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.message} [{self.code}]{where}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r}, status={self.status})"


class BadRequest(Error):
    """400: the request is wrong (bad parameter, bad CSV, unknown target column, ...)."""


class Unauthorized(Error):
    """401: no API token, or the wrong one."""


class Forbidden(Error):
    """403: the token is valid but may not do this."""


class NotFound(Error):
    """404: no such dataset, experiment, artifact or endpoint."""


class Conflict(Error):
    """409: the object is in the wrong state (cancel of a finished experiment, artifacts of an unfinished one)."""


class PayloadTooLarge(Error):
    """413: the upload is over the server's size limit."""


class QuotaExceeded(Error):
    """429: over a quota (e.g. too many queued experiments for this user)."""


class ServerError(Error):
    """5xx: the server failed (details in its log) or a service behind it is unavailable."""


class ConnectionError(Error, builtins.ConnectionError):  # noqa: A001 - mirrors the builtin on purpose
    """The server could not be reached at all."""


class Timeout(Error, builtins.TimeoutError):
    """A wait ran past its timeout; the experiment itself goes on."""


_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: QuotaExceeded,
}


def error_for_status(status: int, code: str, message: str, field: Optional[str] = None) -> Error:
    """Returns the exception that fits an HTTP error answer."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else Error
    return cls(message, code=code, field=field, status=status)
