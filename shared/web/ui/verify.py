""" "Check my ballot / my comment": find an entry by its tracking code and verify, on the
server, that it is in the log the latest signed checkpoint commits to; or, for a ballot still
waiting in its poll's pool, say so, with how many ballots wait and the batch it will enter
the log with.

The page shows every number it used (leaf index, tree size, proof hashes, the signed note), so
a person who does not trust the server can redo the check with ``vmeste audit``. With
JavaScript the browser redoes it itself (``static/verify.js``) against the keys
:func:`pinned_keys` renders into the page; this server-side check is then the fallback.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from litestar import Request
from litestar.response import Template

from shared.log.checkpoint import open_checkpoint
from shared.log.merkle import ProofError, verify_inclusion
from shared.log.note import NoteError
from shared.log.receipt import (
    ReceiptError,
    normalize_tracking_code,
    tracking_code_range,
)
from shared.log.service import LogService, UnknownEntryError
from shared.web.ui.pages import page

__all__ = ("EntryCheck", "check_tracking_code", "pinned_keys")

Verdict = Literal["invalid_code", "not_found", "pooled", "pending", "included", "failed"]


@dataclass(frozen=True, slots=True)
class EntryCheck:
    verdict: Verdict
    code: str
    entry_hash: str = ""
    leaf_index: int | None = None
    tree_size: int | None = None
    root: str = ""
    proof: tuple[str, ...] = ()
    checkpoint: str = ""
    problem: str = ""
    keys: tuple[str, ...] = field(default=())
    waiting: int | None = None
    """For a pooled ballot: ballots of the poll waiting in the pool now."""
    batch: int | None = None
    """For a pooled ballot: the poll's anonymity batch k."""


async def check_tracking_code(logs: LogService, log_id: str, code: str) -> EntryCheck:
    """Look the code up in ``log_id`` and verify its inclusion in the latest checkpoint."""
    try:
        canonical = normalize_tracking_code(code)
        low, high = tracking_code_range(canonical)
    except ReceiptError as exc:
        return EntryCheck("invalid_code", code, problem=str(exc))
    found = await logs.find_by_hash_range(log_id, low, high)
    if not found:
        held = await logs.feeder.find(log_id, canonical) if logs.feeder else None
        if held is not None:
            return EntryCheck("pooled", canonical, waiting=held.waiting, batch=held.batch)
        return EntryCheck("not_found", canonical)
    entry_hash = found[0]
    keys = logs.verifier_keys()
    latest = await logs.latest_checkpoint(log_id)
    if latest is None:
        return EntryCheck("pending", canonical, entry_hash.hex(), keys=keys)
    size, note = latest
    try:
        proof = await logs.inclusion(log_id, entry_hash, size)
    except UnknownEntryError:
        return EntryCheck("pending", canonical, entry_hash.hex(), checkpoint=note, keys=keys)
    hashes = tuple(base64.b64encode(h).decode() for h in proof.proof)
    shown = EntryCheck(
        "included",
        canonical,
        entry_hash.hex(),
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        proof=hashes,
        checkpoint=note,
        keys=keys,
    )
    try:
        checkpoint, _ = open_checkpoint(note, logs.keys.verifiers(), origin=logs.origin(log_id))
        verify_inclusion(
            proof.leaf_index, checkpoint.size, entry_hash, proof.proof, checkpoint.root
        )
    except (NoteError, ProofError) as exc:
        return replace(shown, verdict="failed", problem=str(exc))
    return replace(shown, root=base64.b64encode(checkpoint.root).decode())


def pinned_keys(logs: LogService, log_id: str, api: str = "/api/v1/logs") -> dict[str, Any]:
    """What a page pins for the browser's own check of an entry of ``log_id``: the content of
    ``GET /api/v1/keys`` (log keys, witness keys, quorum), the log's origin and its API path.

    Rendered into the page when it is sent, so that an API answering other keys later cannot
    make the browser trust them.
    """
    return {
        "keys": list(logs.verifier_keys()),
        "witnesses": [str(w.key) for w in logs.witnesses],
        "quorum": logs.quorum,
        "origin": logs.origin(log_id),
        "log": f"{api}/{log_id}",
    }


async def check_page(
    request: Request[Any, Any, Any],
    logs: LogService,
    log_id: str,
    code: str | None,
    folder: str,
    **context: Any,
) -> Template:
    """The "check my receipt" page of a log (``{folder}/check.html``), or only its result
    (``{folder}/_check_result.html``) for an htmx request, with the code's check if given."""
    result = await check_tracking_code(logs, log_id, code) if code else None
    partial = bool(request.headers.get("hx-request"))
    template = f"{folder}/_check_result.html" if partial else f"{folder}/check.html"
    return page(request, template, code=code or "", result=result, **context)
