"""A loopback HTTP server for a folder, answering range requests and counting what it sends.

Python's http.server serves folders (with the HTML listing fsspec's HTTP filesystem reads as `ls`) but
ignores `Range`, so every read of a parquet footer would download the whole file. This handler answers one
`bytes=a-b` / `bytes=a-` / `bytes=-n` range with 206 and a Content-Range, like the hub's CDN does, and
counts requests and body bytes, so a benchmark or a test can say what a reader cost over the network.
Bound to 127.0.0.1 only; used by bench/sampling.py and tests/pipeline/test_sample_http.py.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class Traffic:
    """Requests and body bytes sent, by kind (range, get: whole files and folder listings, head); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()

    def add(self, kind: str, n: int) -> None:
        with self._lock:
            self.requests[kind] += 1
            self.bytes[kind] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"requests": sum(self.requests.values()), "range_requests": self.requests["range"],
                    "bytes": sum(self.bytes.values()), "range_bytes": self.bytes["range"]}

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.bytes.clear()


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    traffic: Traffic
    protocol_version = "HTTP/1.1"  # keep-alive: a reader's many small ranges reuse one connection

    def log_message(self, *args) -> None:  # no line per request on stderr
        pass

    def do_GET(self) -> None:
        path = self.translate_path(self.path)
        match = _RANGE.match(self.headers.get("Range", "").strip())
        if not match or not os.path.isfile(path):
            return self._whole(path)
        size = os.path.getsize(path)
        a, b = match.groups()
        if a == "":                              # suffix range: the last b bytes
            start, end = max(size - int(b or 0), 0), size - 1
        else:
            start, end = int(a), min(int(b) if b else size - 1, size - 1)
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return self.traffic.add("range", 0)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        with open(path, "rb") as f:
            f.seek(start)
            self.traffic.add("range", self._send(f, end - start + 1))

    def _whole(self, path: str) -> None:
        f = self.send_head()  # headers (or a redirect / listing / 404); returns the body to copy
        if f is None:
            return self.traffic.add("get", 0)
        with f:
            self.traffic.add("get", self._send(f, None))

    def _send(self, f, n: int | None) -> int:
        """Copy n bytes (None: all) of f to the client; the bytes sent. A streaming reader that stops early
        (`datasets` ... take(n)) closes the connection mid-body: count what went out, end quietly."""
        sent = 0
        while n is None or sent < n:
            chunk = f.read(1 << 20 if n is None else min(1 << 20, n - sent))
            if not chunk:
                break
            try:
                self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                break
            sent += len(chunk)
        return sent

    def do_HEAD(self) -> None:
        f = self.send_head()
        if f is not None:
            f.close()
        self.traffic.add("head", 0)

    def end_headers(self) -> None:
        if self.command == "HEAD" or not self.headers.get("Range"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[tuple[str, Traffic]]:
    """Serve `folder` on 127.0.0.1 (a free port) for the duration of the block: (base URL, traffic)."""
    traffic = Traffic()
    handler = type("Handler", (RangeHandler,), {"traffic": traffic})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
