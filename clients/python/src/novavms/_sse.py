"""A Server-Sent Events decoder, as the WHATWG HTML standard's "event stream interpretation" says.

Text is fed in chunks of any size (a line or a CRLF may be split between chunks). Lines end with
CRLF, LF or CR; a line starting with ``:`` is a comment (the server's heartbeat); ``field: value``
loses one space after the colon; ``data`` lines join with ``\\n``; ``id`` sets the last event id at
the message's end (kept across messages, also by one without data; one holding NUL is ignored);
``retry`` (digits only) is the reconnection time in milliseconds; a blank line dispatches the message
when it has data. Unknown fields are ignored.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["SSEDecoder", "ServerSentEvent"]

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclasses.dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched message: its ``event`` type (``message`` when none was given), ``data`` and the
    last event ``id`` at its dispatch (``""`` when none was ever given)."""

    event: str
    data: str
    id: str


class SSEDecoder:
    """Feed it text with :meth:`feed`; :attr:`last_id` is the last event id of the messages ended so far,
    :attr:`retry_ms` the last reconnection time given (None before one)."""

    def __init__(self) -> None:
        self.last_id = ""
        self._id = ""  # the id field of the message being read, committed to last_id at its end
        self.retry_ms: int | None = None
        self._buffer = ""
        self._skip_lf = False  # the previous chunk ended with CR: a LF starting this one is its pair
        self._started = False
        self._event = ""
        self._data: list[str] = []

    def feed(self, text: str) -> list[ServerSentEvent]:
        """The messages that ``text`` completes, in order."""
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        buffer = self._buffer + text
        events: list[ServerSentEvent] = []
        start = 0
        for end in _LINE_END.finditer(buffer):
            event = self._line(buffer[start : end.start()])
            if event is not None:
                events.append(event)
            start = end.end()
            if end.group() == "\r" and start == len(buffer):
                self._skip_lf = True
        self._buffer = buffer[start:]
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        self.last_id = self._id
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        return ServerSentEvent(event, "\n".join(data), self.last_id)
