"""The HTTP transport of the client: urllib only, JSON in and out, errors as exceptions."""

from __future__ import annotations

import json as _json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any, Dict, Iterator, Mapping, Optional, Tuple, Union

from . import errors

USER_AGENT = "drover-python/0.1.0"

Params = Mapping[str, Union[str, int, float, bool, None]]


class Transport:
    """Sends requests to one drover server with its token."""

    def __init__(self, address: str, token: Optional[str], timeout: float = 60.0) -> None:
        if "://" not in address:
            address = "http://" + address
        parts = urllib.parse.urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"drover: server address {address!r} is not an http(s) URL")
        self.address = address.rstrip("/")
        self.token = token or None
        self.timeout = timeout
        # No redirects: an API answer is never a redirect, and following one
        # could carry the token to another host.
        self._opener = urllib.request.build_opener(_NoRedirect)

    def url(self, path: str, params: Optional[Params] = None) -> str:
        u = self.address + path
        if params:
            q = {k: _param(v) for k, v in params.items() if v is not None}
            if q:
                u += "?" + urllib.parse.urlencode(q)
        return u

    def open(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Params] = None,
        body: Union[bytes, IO[bytes], None] = None,
        content_type: Optional[str] = None,
        length: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """Sends one request and returns the open response (2xx) or raises the server's error."""
        req = urllib.request.Request(self.url(path, params), data=body, method=method)
        req.add_header("User-Agent", USER_AGENT)
        req.add_header("Accept", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if content_type:
            req.add_header("Content-Type", content_type)
        if length is not None:
            req.add_header("Content-Length", str(length))
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            return self._opener.open(req, timeout=self.timeout if timeout is None else timeout)
        except urllib.error.HTTPError as e:
            raise _api_error(e, method, path) from None
        except urllib.error.URLError as e:
            raise errors.ConnectionError(
                f"cannot reach the drover server at {self.address}: {e.reason}", code="unreachable"
            ) from None
        except (socket.timeout, TimeoutError):
            raise errors.ConnectionError(
                f"the drover server at {self.address} did not answer {method} {path} in time", code="timeout"
            ) from None
        except OSError as e:
            raise errors.ConnectionError(f"cannot reach the drover server at {self.address}: {e}", code="unreachable") from None

    def json(self, method: str, path: str, *, params: Optional[Params] = None, payload: Any = None) -> Any:
        """Sends a JSON request (payload None: an empty object for POST) and decodes the JSON answer."""
        body = None
        ctype = None
        if method != "GET":
            body = _json.dumps({} if payload is None else payload).encode()
            ctype = "application/json"
        with self.open(method, path, params=params, body=body, content_type=ctype) as resp:
            raw = resp.read()
        if not raw:
            return None
        try:
            return _json.loads(raw)
        except ValueError:
            raise errors.Error(f"{method} {path}: the server's answer is not JSON", code="bad_response") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


def _param(v: Union[str, int, float, bool]) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _api_error(e: urllib.error.HTTPError, method: str, path: str) -> errors.Error:
    try:
        raw = e.read(1 << 20)
    except Exception:  # the body of an error is best effort
        raw = b""
    finally:
        e.close()
    code, message, field = f"http_{e.code}", "", None
    try:
        body = _json.loads(raw)
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code = str(err.get("code") or code)
            message = str(err.get("message") or "")
            field = err.get("field") or None
    except ValueError:
        pass
    if not message:
        text = raw.decode("utf-8", "replace").strip()
        message = f"{method} {path}: HTTP {e.code}" + (f": {text[:500]}" if text else "")
    return errors.error_for_status(e.code, code, message, field)


def sse_events(resp: Any) -> Iterator[Tuple[str, str, str]]:
    """Parses a text/event-stream answer into (event, id, data) triples.

    Comments (keepalives) and the retry field are skipped; an event without a
    name is "message", as in the EventSource standard.
    """
    name, ident, data = "", "", []
    for raw in resp:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data:
                yield name or "message", ident, "\n".join(data)
            name, ident, data = "", "", []
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
        elif key == "id":
            ident = value
