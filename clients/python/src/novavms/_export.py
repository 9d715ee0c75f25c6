"""Where ``export_to`` writes: a path (written to a temporary file beside it and renamed into place
only when the whole CSV has arrived) or an open binary file (cut back to where it started when the
transfer breaks, when it can seek). A broken transfer never leaves a file that looks complete.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

__all__ = ["Destination", "ExportResult", "Sink"]

Destination = Union[str, "os.PathLike[str]", BinaryIO]


@dataclass(frozen=True)
class ExportResult:
    """What ``export_to`` wrote: ``rows`` (the server's X-Export-Rows), ``bytes`` written, the
    ``object_url`` (``gs://...``) the server also stored the CSV at, and the ``path`` (None for a
    file object)."""

    rows: int | None
    bytes: int
    object_url: str | None
    path: Path | None


class Sink:
    """A destination being written; :meth:`commit` makes it final, :meth:`abort` takes it back."""

    def __init__(self, destination: Destination) -> None:
        self.written = 0
        self.path: Path | None = None
        self._temporary: Path | None = None
        if isinstance(destination, (str, os.PathLike)):
            self.path = Path(destination)
            handle, name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
            )
            self._temporary = Path(name)
            self._file: BinaryIO = os.fdopen(handle, "wb")
            self._start: int | None = None
        else:
            self._file = destination
            self._start = destination.tell() if destination.seekable() else None

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.written += len(chunk)

    def commit(self) -> None:
        if self._temporary is not None and self.path is not None:
            self._file.close()
            os.replace(self._temporary, self.path)
            self._temporary = None
        else:
            self._file.flush()

    def abort(self) -> None:
        if self._temporary is not None:
            self._file.close()
            self._temporary.unlink(missing_ok=True)
            self._temporary = None
        elif self._start is not None:
            self._file.seek(self._start)
            self._file.truncate()

    def result(self, rows: str | None, object_url: str | None) -> ExportResult:
        return ExportResult(
            rows=int(rows) if rows and rows.isdigit() else None,
            bytes=self.written,
            object_url=object_url,
            path=self.path,
        )
