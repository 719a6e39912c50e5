"""A local HTTP server that records every request it gets (and answers each with a 500)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from attrs import frozen


@frozen
class Request:
    method: str
    path: str
    headers: dict[str, str]


class Recorder:
    """``url``: where it listens (127.0.0.1 only); ``requests``: what arrived, in order."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                recorder.requests.append(Request(self.command, self.path, dict(self.headers)))
                body = b'{"error": {"message": "recorder"}}'
                self.send_response(500)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _record  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def recording() -> Iterator[Recorder]:
    server = Recorder()
    try:
        yield server
    finally:
        server.stop()
