"""Streams one URL into a partial file, resuming with an HTTP range request when part of it is there."""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from nasbench_lab.errors import DataFileError

CHUNK = 1 << 16
#: default lowest average rate (bytes/s) over each --timeout window before a transfer is called stalled
MIN_RATE = 1024
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class TransferError(DataFileError):
    """The server could not be reached, refused the file, or the transfer stopped; the partial file is kept."""


class WriteError(DataFileError):
    """Writing the partial file failed (for example the disk is full); the partial file was removed."""


@dataclass(frozen=True)
class Transfer:
    """What one fetch did: bytes in the partial file, the total the server announced, whether it resumed."""

    size: int
    total: int | None
    resumed_from: int
    restarted: bool


def _open(url: str, start: int, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": "nasbench-lab", "Accept-Encoding": "identity"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310  (http/https URLs from the manifest)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:
            return None  # the partial file is not a prefix the server can continue: start again
        raise TransferError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise TransferError(f"cannot reach {url} ({reason})") from None
    except TimeoutError:
        raise TransferError(f"no answer from {url} within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise TransferError(f"cannot reach {url} ({exc})") from None


def _continues_at(response, start: int) -> bool:
    """True when the response is the rest of the file from byte ``start`` (a 206 with a matching range)."""
    if response.status != 206:
        return False
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    return match is not None and int(match.group(1)) == start


def _total(response, start: int, appending: bool) -> int | None:
    if appending:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        return int(match.group(3)) if match and match.group(3) != "*" else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def fetch(url: str, part: Path, *, timeout: float, label: str, progress: bool = True,
          min_rate: float = MIN_RATE) -> Transfer:
    """Fetches ``url`` into ``part`` (appending to what is there when the server supports ranges).

    A network failure keeps the partial file so that the next call resumes; a write failure (disk
    full) removes it, so that no partial file is ever left in place of a good one. ``timeout`` bounds
    each wait for data; ``min_rate`` (bytes/s, 0: none) bounds the whole transfer: a server that
    sends less than ``min_rate * timeout`` bytes in any ``timeout`` seconds (a trickle that never
    trips the per-read timeout) stops it, keeping the partial file.
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    start = part.stat().st_size if part.exists() else 0
    response = _open(url, start, timeout)
    restarted = False
    if response is None:
        start, restarted = 0, True
        response = _open(url, 0, timeout)
    with response:
        appending = bool(start) and _continues_at(response, start)
        if start and not appending:
            start, restarted = 0, True  # the server ignored the range request: fetch the whole file again
        total = _total(response, start, appending)
        _copy(response, part, "ab" if appending else "wb", start, total, url, _Limits(timeout, min_rate), label,
              progress)
    size = part.stat().st_size
    if total is not None and size < total:
        raise TransferError(f"the transfer of {url} stopped at {size} of {total} bytes; run the same command "
                            "again to resume")
    return Transfer(size, total, start if appending else 0, restarted)


@dataclass
class _Limits:
    """The per-read timeout and the stall check: bytes counted over windows of ``timeout`` seconds."""

    timeout: float
    min_rate: float
    window_start: float = 0.0
    window_bytes: int = 0

    def start(self) -> None:
        self.window_start, self.window_bytes = time.monotonic(), 0

    def count(self, n: int, url: str) -> None:
        """Adds ``n`` bytes; a TransferError when a finished window averaged below ``min_rate``."""
        self.window_bytes += n
        elapsed = time.monotonic() - self.window_start
        if elapsed < self.timeout:
            return
        if self.window_bytes < self.min_rate * elapsed:
            raise TransferError(f"{url} sent {self.window_bytes} bytes in {elapsed:.3g} s, below the minimum rate of "
                                f"{self.min_rate:g} bytes/s (--min-rate, averaged over --timeout {self.timeout:g} "
                                "s); run the same command again to resume, or use another --mirror") from None
        self.start()


def _copy(response, part: Path, mode: str, start: int, total: int | None, url: str, limits: _Limits, label: str,
          progress: bool) -> None:
    bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
               disable=None if progress else True, leave=False)
    try:
        out = open(part, mode)
    except OSError as exc:
        bar.close()
        raise WriteError(f"cannot write {part} ({exc.strerror or exc})") from None
    read = getattr(response, "read1", response.read)  # read1: what has arrived, so a trickle is measured
    limits.start()
    try:
        while True:
            try:
                block = read(CHUNK)
            except TimeoutError:
                raise TransferError(f"no data from {url} for {limits.timeout:g} s; run the same command again to "
                                    "resume") from None
            except (http.client.IncompleteRead, ConnectionError, OSError, http.client.HTTPException):
                break  # the size check after the loop reports how far it got
            if not block:
                break
            out.write(block)
            bar.update(len(block))
            if limits.min_rate:
                limits.count(len(block), url)
        out.close()
    except OSError as exc:
        if isinstance(exc, DataFileError):
            out.close()
            raise
        _close_quietly(out)
        part.unlink(missing_ok=True)
        raise WriteError(f"cannot write {part} ({exc.strerror or exc}); removed the partial file") from None
    except BaseException:  # Ctrl-C: keep what arrived, flushed, so that the next run resumes
        _close_quietly(out)
        raise
    finally:
        bar.close()


def _close_quietly(handle) -> None:
    try:
        handle.close()
    except OSError:
        pass
