"""Fetching a file over HTTP(S), checking its SHA-256, and writing it atomically.

Nothing unverified ever reaches its final name: the payload is hashed in memory, then
written with the checkpoints' `atomic_write` (a temporary file in the same directory,
synced, renamed with ``os.replace``).
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.request
from collections.abc import Sequence

_TIMEOUT = 60.0


class DownloadError(OSError):
    """No mirror gave a file with the expected size and SHA-256."""


def _fetch(url: str, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes from ``url`` (tests replace this function)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"refusing to fetch {url!r}: only http(s) URLs are allowed")
    with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
        return response.read(max_bytes + 1)


def fetch_verified(urls: Sequence[str], size: int, sha256: str) -> bytes:
    """The first payload among ``urls`` that has exactly ``size`` bytes and this SHA-256."""
    problems = []
    for url in urls:
        try:
            payload = _fetch(url, size)
        except (OSError, http.client.HTTPException) as err:  # URLError, timeouts: OSError
            problems.append(f"{url}: {err}")
            continue
        problem = _verify(payload, size, sha256)
        if problem is None:
            return payload
        problems.append(f"{url}: {problem}")
    raise DownloadError("download failed from every mirror:\n  " + "\n  ".join(problems))


def _verify(payload: bytes, size: int, sha256: str) -> str | None:
    if len(payload) != size:
        return f"expected {size} bytes, got {len(payload)}{'+' if len(payload) > size else ''}"
    digest = hashlib.sha256(payload).hexdigest()
    if digest != sha256:
        return f"SHA-256 mismatch: expected {sha256}, got {digest}"
    return None
