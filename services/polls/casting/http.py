"""HTTP endpoint of casting: the hot path."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from services.polls.casting.domain import CastService
from services.polls.casting.schemas import CastRequest, ReceiptView
from shared.identity import Session
from shared.identity.middleware import REVOCATION_CHECKED_BY_ROUTE
from shared.web.openapi import problems

__all__ = ("CastingController",)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", max_length=200, required=False),
]


class CastingController(Controller):
    path = "/api/v1/polls/{poll_id:str}/ballots"
    tags = ["ballots"]  # noqa: RUF012 - Litestar reads it as a class attribute

    # The revocation check rides on the gate's Redis round trip (CastService.cast).
    @post(
        "/",
        responses=problems(403, 409, 422),
        opt={REVOCATION_CHECKED_BY_ROUTE: True},
    )
    async def cast_ballot(
        self,
        session: NamedDependency[Session],
        poll_id: FromPath[str],
        data: JSONBody[CastRequest],
        casting: NamedDependency[CastService],
        idempotency_key: IdempotencyKey = None,
    ) -> ReceiptView:
        """Cast your ballot; 201 with the signed receipt and tracking code.

        403 not-eligible (with ``reason``), 409 poll-not-open, 409 already-voted (with the
        original ``tracking_code``), 422 invalid-ballot (each issue's path and reason).
        Retrying with the same Idempotency-Key returns the original receipt.
        """
        done = await casting.cast(session, poll_id, data.answers, idempotency_key)
        receipt = done.receipt
        return ReceiptView(
            poll=poll_id,
            tracking_code=receipt.tracking_code,
            entry_hash=receipt.entry_hash.hex(),
            accepted_at=receipt.accepted_at,
            receipt=receipt.note,
            check=f"/api/v1/logs/{poll_id}/tracking/{receipt.tracking_code}",
        )
