"""Errors a request can cause, with the Chinese message its sender sees.

Raised anywhere below a route or callback; the gate (dashboard/auth/gate.py) answers them
with their status and message, never a traceback.
"""

from __future__ import annotations


class RequestError(Exception):
    """A request the product refuses, with an HTTP status and a message for people."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(RequestError):
    """Malformed or out-of-range request values (400)."""

    status = 400


class TooBusy(RequestError):
    """A limit on concurrent work was reached (429)."""

    status = 429


class TooLarge(RequestError):
    """The answer would exceed a configured size (413)."""

    status = 413
