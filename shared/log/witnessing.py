"""Submitting checkpoints to independent witnesses (C2SP tlog-witness) and keeping their
cosignatures.

One loop per replica; only the holder of the ``ledger-cosigner`` lease submits, so every
witness sees one client per log. Each round, for every log whose latest checkpoint a witness
has not cosigned yet, the loop sends that checkpoint with a consistency proof from the size the
witness last cosigned (``add-checkpoint``); a 409 answering with the witness's own size is
followed once by a proof from that size. The witness's signature lines are checked against
its published key before they are stored next to the checkpoint.

A witness that is down or slow only delays its cosignatures: integration, checkpoints and
ballots never wait for it (the loop runs apart from the integrator, with short timeouts and a
pause after a failure). Only a tally certificate or a report waits, for the configured quorum
on the final checkpoint (:meth:`shared.log.service.LogService.certify`).
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass

import httpx
import structlog

from shared.config import WitnessEndpoint
from shared.lease import Lease
from shared.log.cosignature import (
    CosignatureError,
    WitnessKey,
    add_signature_lines,
    verified_cosignatures,
)
from shared.log.merkle import ProofError
from shared.log.note import NoteError
from shared.log.store import LogStore
from shared.periodic import run_periodically

__all__ = ("Cosigner", "Witness")

_log = structlog.get_logger("vmeste.witnessing")
_SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True, slots=True)
class Witness:
    url: str
    key: WitnessKey

    @classmethod
    def of(cls, endpoint: WitnessEndpoint) -> Witness:
        return cls(endpoint.url.rstrip("/"), WitnessKey.parse(endpoint.key))

    @property
    def name(self) -> str:
        """``name+hexid``: how cosignatures are filed."""
        return f"{self.key.name}+{self.key.key_id:08x}"


class Cosigner:
    def __init__(
        self,
        store: LogStore,
        witnesses: list[Witness],
        lease: Lease,
        *,
        interval_s: float = 0.5,
        timeout_s: float = 3.0,
        pause_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.witnesses = witnesses
        self.lease = lease
        self.interval_s = interval_s
        self._timeout_s = timeout_s
        self._pause_s = pause_s
        self._transport = transport  # tests talk to an in-process witness
        self._down_until: dict[str, float] = {}
        # A witness that refuses a log (it does not follow it, or a fork) is asked again
        # only after a pause, not every round.
        self._refused_until: dict[tuple[str, str], float] = {}
        self.holding = False

    async def run_once(self) -> int:
        """One round; returns how many cosignatures it stored."""
        if not self.witnesses:
            return 0
        self.holding = await self.lease.acquire()
        if not self.holding:
            return 0
        stored = 0
        heads = await self.store.head_sizes()
        async with httpx.AsyncClient(timeout=self._timeout_s, transport=self._transport) as http:
            for witness in self.witnesses:
                if time.monotonic() < self._down_until.get(witness.name, 0.0):
                    continue
                cosigned = await self.store.cosigned_sizes(witness.name)
                for log_id, head in heads.items():
                    # None: never cosigned, so even an empty log's checkpoint (size 0, the
                    # final one of a poll or period nobody took part in) goes to the witness.
                    cosigned_size = cosigned.get(log_id)
                    known = cosigned_size or 0
                    if cosigned_size is not None and known >= head:
                        continue
                    latest = await self.store.latest_checkpoint(log_id)
                    if latest is None or (cosigned_size is not None and latest[0] <= known):
                        continue  # the head moved; its checkpoint is being signed
                    size, note = latest
                    if time.monotonic() < self._refused_until.get((witness.name, log_id), 0.0):
                        continue
                    try:
                        stored += await self._submit(http, witness, log_id, known, size, note)
                    except (httpx.HTTPError, OSError) as exc:
                        self._down_until[witness.name] = time.monotonic() + self._pause_s
                        _log.warning("witness unreachable", witness=witness.name, error=str(exc))
                        break
        return stored

    async def _submit(
        self, http: httpx.AsyncClient, witness: Witness, log_id: str, old: int, size: int, note: str
    ) -> int:
        for _ in range(2):
            proof = await self.store.consistency(log_id, old, size) if old else []
            body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
            response = await http.post(
                f"{witness.url}/add-checkpoint",
                content=(body + "\n" + note).encode(),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
            if response.status_code == 200:
                return await self._keep(witness, log_id, size, note, response.text)
            media = response.headers.get("content-type", "").split(";")[0].strip()
            if response.status_code == 409 and media == _SIZE_TYPE:
                theirs = int(response.text.strip() or "0")
                if theirs == old or theirs > size:
                    break
                old = theirs  # the witness knows another size: prove consistency from it
                continue
            break
        self._refused_until[(witness.name, log_id)] = time.monotonic() + 12 * self._pause_s
        _log.warning(
            "witness refused a checkpoint",
            witness=witness.name,
            log=log_id,
            size=size,
            status=response.status_code,
            answer=response.text[:200],
        )
        return 0

    async def _keep(self, witness: Witness, log_id: str, size: int, note: str, text: str) -> int:
        lines = [line + "\n" for line in text.splitlines() if line.strip()]
        try:
            verified = verified_cosignatures(add_signature_lines(note, lines), [witness.key])
        except (CosignatureError, NoteError, ProofError) as exc:
            _log.warning("witness answered a bad cosignature", witness=witness.name, error=str(exc))
            return 0
        if not verified:
            _log.warning("witness answered no cosignature of its key", witness=witness.name)
            return 0
        mine = [line for line in lines if line.startswith(f"— {witness.key.name} ")]
        await self.store.add_cosignature(log_id, size, witness.name, "".join(mine))
        return 1

    async def run(self, stop: asyncio.Event) -> None:
        await run_periodically(
            self.run_once, self.interval_s, stop, "cosigning round", self._release
        )

    async def _release(self) -> None:
        if self.holding:
            await self.lease.release()
