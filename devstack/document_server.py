"""A JSON document served on a free loopback port: the stand-in for an identity provider's key set
(a JWKS, Google's OIDC certificates) in local runs and tests. The document can be swapped while it
is served (key rotation), and fetches are counted."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class DocumentServer:
    """Serves ``document`` as JSON to every GET, at :attr:`url` (``path`` on a free 127.0.0.1 port)."""

    def __init__(self, document: Any, path: str = "/") -> None:
        self.document = document
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                body = json.dumps(server.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> DocumentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
