"""A local HTTP server on 127.0.0.1 for download tests: serves fixture bytes with scripted faults.

The first path segment picks the behaviour: ``files`` (range requests honoured), ``norange``
(ranges ignored), ``cut`` (the first answer per file stops half way), ``redirect`` (302 to
``files``), ``slow`` (headers, then silence), ``trickle`` (headers, then ``server.trickle_bytes``
bytes every ``server.trickle_s`` seconds), ``wrong`` (same length, different bytes); anything
else is a 404. Nothing here reaches any address off this machine.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_RANGE = re.compile(r"bytes=(\d+)-$")


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = files
        self.log: list[tuple[str, str | None, int]] = []
        self.cut_done: set[str] = set()
        self.release = threading.Event()
        self.trickle_s = 0.05
        self.trickle_bytes = 1

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_for(self, name: str) -> list[tuple[str, str | None, int]]:
        return [entry for entry in self.log if entry[0].endswith("/" + name)]


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _status(self, code: int) -> None:
        self.server.log.append((self.path, self.headers.get("Range"), code))
        self.send_response(code)

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        _, mode, name = (self.path.split("/", 2) + ["", ""])[:3]
        body = self.server.files.get(name)
        if body is None or mode not in ("files", "norange", "cut", "redirect", "slow", "trickle", "wrong"):
            self._status(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "redirect":
            self._status(302)
            self.send_header("Location", f"/files/{name}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "wrong":
            body = bytes(b ^ 0xFF for b in body)
        if mode == "slow":
            self._status(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            self.server.release.wait(10)
            return
        if mode == "trickle":
            self._status(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = self.server.trickle_bytes
            for i in range(0, len(body), step):
                if self.server.release.wait(self.server.trickle_s):
                    return
                try:
                    self.wfile.write(body[i:i + step])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return
            return
        if mode == "cut" and name not in self.server.cut_done:
            self.server.cut_done.add(name)
            self._status(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        match = _RANGE.match(self.headers.get("Range", "")) if mode != "norange" else None
        start = int(match.group(1)) if match else 0
        if match and start >= len(body):
            self._status(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._status(206 if match else 200)
        if match:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])


def start(files: dict[str, bytes]) -> FixtureServer:
    server = FixtureServer(files)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def stop(server: FixtureServer) -> None:
    server.release.set()
    server.shutdown()
    server.server_close()
