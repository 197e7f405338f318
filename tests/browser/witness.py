"""A stand-in witness for the browser stack: C2SP tlog-witness ``add-checkpoint`` over HTTP,
cosigning with an Ed25519 cosignature/v1 key the tests hold.

It keeps the latest cosigned checkpoint per origin and cosigns only an append-only extension
of it (409 with ``text/x.tlog.size`` on a stale old size or another root for the same size,
422 on a proof that does not verify), so the logs' witnessing loop runs as against a real
witness. It does not check the log's own signature: the browser tests are about what the
citizen's browser checks, and the tests need the witness key to cosign checkpoints they forge.
"""

from __future__ import annotations

import base64
import http.server
import threading
import time
from typing import Any

from shared.log.checkpoint import parse_checkpoint
from shared.log.cosignature import WitnessSigner, note_parts
from shared.log.merkle import ProofError, verify_consistency
from shared.log.note import NoteError

__all__ = ("TestWitness",)


class TestWitness:
    """One witness: its key, its memory, and an HTTP server at :attr:`url`."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, name: str = "browser-test-witness") -> None:
        self.signer = WitnessSigner.generate(name)
        self._latest: dict[str, tuple[int, bytes]] = {}
        self._lock = threading.Lock()
        witness = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                status, content_type, answer = witness.add_checkpoint(body)
                data = answer.encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def key(self) -> str:
        """The verifier key ``name+hexid+base64(0x04 ‖ key)``."""
        return str(self.signer.key)

    def cosign(self, note: str) -> str:
        """The signature line cosigning ``note``'s checkpoint body now."""
        text, _ = note_parts(note)
        return self.signer.cosign(text, int(time.time()))

    def add_checkpoint(self, request: str) -> tuple[int, str, str]:
        plain = "text/plain; charset=utf-8"
        head, sep, note = request.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old "):
            return 400, plain, "malformed request\n"
        try:
            old = int(lines[0][4:])
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            text, _ = note_parts(note)
            checkpoint = parse_checkpoint(text)
        except (ValueError, NoteError):
            return 400, plain, "malformed request\n"
        with self._lock:
            size, root = self._latest.get(checkpoint.origin, (0, b""))
            if old > checkpoint.size:
                return 400, plain, "old size beyond the checkpoint\n"
            if old != size:
                return 409, "text/x.tlog.size", f"{size}\n"
            if old == checkpoint.size and root != checkpoint.root:
                return 409, plain, "another root for the same size\n"
            if 0 < old < checkpoint.size:
                try:
                    verify_consistency(old, checkpoint.size, proof, root, checkpoint.root)
                except ProofError:
                    return 422, plain, "consistency proof does not verify\n"
            self._latest[checkpoint.origin] = (checkpoint.size, checkpoint.root)
        return 200, plain, self.signer.cosign(text, int(time.time()))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
