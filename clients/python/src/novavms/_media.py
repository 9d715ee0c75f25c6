"""Media files for ``events.upload_media``: bytes in memory or a file on disk, sent to a signed
upload URL with exactly the headers it was signed with (content type, size range) plus its
``Content-Length``, and never the API's ``Authorization``. A file is streamed, never held whole.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import httpx

from ._errors import UploadError
from ._models import UploadTarget
from ._retries import retry_after_seconds

__all__ = ["Media", "MediaBody", "media_body", "upload_error", "upload_headers"]

Media = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]
"""A media file: its bytes, or the path of a file (``str`` or ``pathlib.Path``)."""
CHUNK = 1 << 20
_XML_MESSAGE = re.compile(rb"<Message>(.*?)</Message>", re.DOTALL)


@dataclass(frozen=True)
class MediaBody:
    """The bytes of one upload: ``data`` in memory, or the file at ``path``; ``size`` in bytes."""

    data: bytes | None
    path: Path | None
    size: int

    def content(self) -> bytes | Iterator[bytes]:
        """What one attempt sends (a file is read afresh by each attempt)."""
        return self.data if self.data is not None else _read(self._file())

    def async_content(self) -> bytes | AsyncIterator[bytes]:
        return self.data if self.data is not None else _read_async(self._file())

    def _file(self) -> Path:
        assert self.path is not None
        return self.path


def media_body(media: Media) -> MediaBody:
    """The body of ``media``; a path that is not a readable file raises ``OSError`` here, before
    anything is sent."""
    if isinstance(media, (bytes, bytearray, memoryview)):
        data = bytes(media)
        return MediaBody(data, None, len(data))
    path = Path(media)
    with path.open("rb"):  # readable now, or OSError before any request
        pass
    return MediaBody(None, path, path.stat().st_size)


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


async def _read_async(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk


def upload_headers(target: UploadTarget, body: MediaBody) -> dict[str, str]:
    """The signed headers of ``target`` and the body's length: nothing else."""
    return {**target.headers, "Content-Length": str(body.size)}


def upload_error(response: httpx.Response) -> UploadError:
    """The error of a refused upload whose body has been read (Cloud Storage's XML ``<Message>``
    when it sends one)."""
    found = _XML_MESSAGE.search(response.content)
    text = (found.group(1) if found else response.content[:200]).decode("utf-8", errors="replace").strip()
    return UploadError(
        text or f"HTTP {response.status_code}",
        status=response.status_code,
        code=None,
        request_id=response.headers.get("x-guploader-uploadid"),
        retry_after=retry_after_seconds(response.headers),
        body=response.content.decode("utf-8", errors="replace"),
    )
