"""HTTP endpoints of the witness: add-checkpoint for logs, read-only views for monitors.

add-checkpoint answers exactly as C2SP tlog-witness fixes: plain-text bodies, and on the 409
that tells the last cosigned size, the body ``<size>\\n`` with the content type
``text/x.tlog.size`` (no charset). The monitors' JSON routes answer errors as RFC 9457
problem documents, like every other service.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, QueryParameter, RawBody

from services.witness.cosigning.domain import AddCheckpointError, Witness
from services.witness.cosigning.store import CosignedRecord, EvidenceRecord
from shared.web.openapi import problems

__all__ = ("SIZE_MEDIA_TYPE", "add_checkpoint_controller", "monitoring_controller")

SIZE_MEDIA_TYPE = "text/x.tlog.size"
_TEXT = "text/plain; charset=utf-8"
_PAGE_MAX = 100


@dataclass
class _AddCheckpointOperation(Operation):
    """Documents the raw text body, which Litestar cannot infer from ``body: RawBody``."""

    def __post_init__(self) -> None:
        conflict = (self.responses or {}).get("409")
        if isinstance(conflict, OpenAPIResponse) and conflict.content is not None:
            # The split-view 409 answers in plain text, the stale-size one in x.tlog.size.
            conflict.content.setdefault(
                "text/plain", OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            )
        self.request_body = RequestBody(
            required=True,
            content={
                "text/plain": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.STRING,
                        description="`old <size>`, at most 63 base64 consistency proof hashes "
                        "(one a line), an empty line, then the log's signed checkpoint.",
                    )
                )
            },
        )


def _text(body: str, status: int = 200, media_type: str = _TEXT) -> Response[bytes]:
    # Given as a header, the content type is sent as is: Litestar would add a charset to
    # text/x.tlog.size, which the standard does not allow.
    return Response(body.encode(), status_code=status, headers={"content-type": media_type})


def _spec(description: str, media_type: str = _TEXT) -> ResponseSpec:
    return ResponseSpec(
        data_container=str, media_type=media_type, description=description, generate_examples=False
    )


def add_checkpoint_controller(witness: Witness) -> type[Controller]:
    class AddCheckpointController(Controller):
        path = "/"
        tags = ["witness"]  # noqa: RUF012 - Litestar reads it as a class attribute

        @post(
            "/add-checkpoint",
            status_code=200,
            media_type=MediaType.TEXT,
            summary="Submit a checkpoint to cosign (C2SP tlog-witness)",
            opt={"errors_as_text": True},
            operation_class=_AddCheckpointOperation,
            responses={
                **problems(413),
                400: _spec("Malformed body, or old size larger than the checkpoint's."),
                403: _spec("No signature by a trusted key of this log."),
                404: _spec("This witness follows no log with this origin."),
                409: _spec(
                    "The old size is not the size last cosigned (body: that size), or a "
                    "checkpoint of the same size with another root was cosigned.",
                    SIZE_MEDIA_TYPE,
                ),
                422: _spec("The consistency proof does not verify."),
            },
        )
        async def add_checkpoint(
            self,
            body: RawBody,
        ) -> Response[bytes]:
            """Cosign the checkpoint if it extends the last one cosigned for its log; the
            answer is this witness's signature line(s) for the checkpoint."""
            try:
                lines = await witness.add_checkpoint(body)
            except AddCheckpointError as refusal:
                if refusal.size is not None:
                    return _text(f"{refusal.size}\n", 409, SIZE_MEDIA_TYPE)
                return _text(f"{refusal.reason}\n", refusal.status)
            return _text(lines)

    return AddCheckpointController


class CosignedLog(msgspec.Struct, kw_only=True):
    origin: str
    size: int
    root: str
    """Base64 root hash."""
    cosigned_at: dt.datetime


class CosignedLogsPage(msgspec.Struct, kw_only=True):
    items: list[CosignedLog]
    next: str | None
    """Pass as ``after`` for the next page; null at the end."""


class Evidence(msgspec.Struct, kw_only=True):
    id: int
    origin: str
    size: int
    cosigned_root: str
    cosigned: str
    """The checkpoint this witness had cosigned, as the log signed it."""
    offered_root: str
    offered: str
    """The conflicting checkpoint it was offered, as the log signed it."""
    detected_at: dt.datetime


class EvidencePage(msgspec.Struct, kw_only=True):
    items: list[Evidence]
    next: int | None
    """Pass as ``after`` for the next page; null at the end."""


class FollowedLogView(msgspec.Struct, kw_only=True):
    origin_prefix: str
    keys: list[str]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _log_view(record: CosignedRecord) -> CosignedLog:
    return CosignedLog(
        origin=record.origin,
        size=record.size,
        root=_b64(record.root),
        cosigned_at=record.cosigned_at,
    )


def _evidence_view(record: EvidenceRecord) -> Evidence:
    return Evidence(
        id=record.id,
        origin=record.origin,
        size=record.size,
        cosigned_root=_b64(record.cosigned_root),
        cosigned=record.cosigned_note,
        offered_root=_b64(record.offered_root),
        offered=record.offered_note,
        detected_at=record.detected_at,
    )


def monitoring_controller(witness: Witness) -> type[Controller]:
    async def cosigned_note(origin: str) -> Response[bytes]:
        note = await witness.latest(origin)
        if note is None:
            raise NotFoundException(f"this witness has cosigned no checkpoint of {origin!r}")
        return _text(note)

    class MonitoringController(Controller):
        path = "/"
        tags = ["witness"]  # noqa: RUF012 - Litestar reads it as a class attribute

        @get(
            "/key",
            media_type=MediaType.TEXT,
            summary="The witness's verifier key",
            responses={200: _spec("`name+hexid+base64(0x04 ‖ key)` and a newline.")},
        )
        async def key(self) -> Response[bytes]:
            """The verifier key of this witness's cosignatures (C2SP tlog-cosignature)."""
            return _text(f"{witness.key}\n")

        @get("/logs", summary="The logs this witness follows")
        async def followed(self) -> list[FollowedLogView]:
            """Origin prefixes and the log verifier keys trusted for each."""
            return [
                FollowedLogView(origin_prefix=log.origin_prefix, keys=[str(k) for k in log.keys])
                for log in witness.logs
            ]

        @get(
            "/checkpoints/{origin:path}",
            media_type=MediaType.TEXT,
            summary="Latest cosigned checkpoint of a log",
            responses={200: _spec("The log's signed checkpoint with this witness's line.")},
        )
        async def checkpoint(self, origin: FromPath[str]) -> Response[bytes]:
            """The latest checkpoint this witness cosigned for the log ``origin`` (its
            origin line, percent-encoded where needed): the log's signed note with this
            witness's cosignature appended."""
            return await cosigned_note(origin.removeprefix("/"))

        @get(
            "/checkpoint",
            media_type=MediaType.TEXT,
            summary="Latest cosigned checkpoint of a log, by query",
            responses={
                200: _spec("The log's signed checkpoint with this witness's line."),
                **problems(404),
            },
        )
        async def checkpoint_by_query(
            self, origin: Annotated[str, QueryParameter(min_length=1)]
        ) -> Response[bytes]:
            """As ``/checkpoints/{origin}``, with the origin as a query parameter."""
            return await cosigned_note(origin)

        @get("/checkpoints", summary="Every log this witness cosigned")
        async def cosigned_logs(
            self,
            after: Annotated[str, QueryParameter()] = "",
            limit: Annotated[int, QueryParameter(ge=1, le=_PAGE_MAX)] = _PAGE_MAX,
        ) -> CosignedLogsPage:
            """Size and root of the latest cosigned checkpoint of each log, by origin."""
            records = await witness.cosigned_logs(after=after, limit=limit)
            last = records[-1].origin if len(records) == limit else None
            return CosignedLogsPage(items=[_log_view(r) for r in records], next=last)

        @get("/equivocations", summary="Evidence of split views")
        async def equivocations(
            self,
            origin: Annotated[str | None, QueryParameter()] = None,
            after: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
            limit: Annotated[int, QueryParameter(ge=1, le=_PAGE_MAX)] = _PAGE_MAX,
        ) -> EvidencePage:
            """Every time a log offered a checkpoint of a size this witness had cosigned
            with another root: both checkpoints, as the log signed them, so anyone can
            check the log's two signatures."""
            records = await witness.equivocations(origin=origin, after=after, limit=limit)
            last = records[-1].id if len(records) == limit else None
            return EvidencePage(items=[_evidence_view(r) for r in records], next=last)

    return MonitoringController
