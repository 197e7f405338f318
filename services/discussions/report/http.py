"""The report over HTTP: publish, then JSON (certified bytes), certificate, HTML, CSV."""

from __future__ import annotations

import hashlib

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from services.discussions.db import utcnow
from services.discussions.http import allowed
from services.discussions.report.domain import ReportService
from services.discussions.report.schemas import PublishedOut
from shared.comment_period.report import render_csv, render_html
from shared.identity.claims import Permission, Session
from shared.identity.guards import requires_permission
from shared.web.openapi import problems

__all__ = ("ReportController",)

MANAGE = Permission.DISCUSSIONS_MANAGE.value


class ReportController(Controller):
    path = "/api/v1/periods/{period_id:str}"
    tags = ["report"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/report", guards=[requires_permission(MANAGE)], responses=problems(409))
    async def publish(
        self,
        period_id: FromPath[str],
        session: NamedDependency[Session],
        reports: NamedDependency[ReportService],
    ) -> PublishedOut:
        """Certify and publish the report of a closed period."""
        published = await reports.publish(period_id, allowed=allowed(session, MANAGE), now=utcnow())
        return PublishedOut(
            report_sha256=hashlib.sha256(published.report).hexdigest(),
            certificate=published.certificate,
        )

    @get("/report.json", media_type=MediaType.JSON)
    async def report_json(
        self, period_id: FromPath[str], reports: NamedDependency[ReportService]
    ) -> Response[bytes]:
        """The report exactly as certified (hash it to compare with the certificate)."""
        _, published = await reports.published(period_id)
        return Response(published.report, media_type=MediaType.JSON)

    @get("/report.certificate", media_type=MediaType.TEXT)
    async def certificate(
        self, period_id: FromPath[str], reports: NamedDependency[ReportService]
    ) -> str:
        _, published = await reports.published(period_id)
        return published.certificate

    @get("/report.html", media_type=MediaType.HTML)
    async def report_html(
        self, period_id: FromPath[str], reports: NamedDependency[ReportService]
    ) -> str:
        report, _ = await reports.published(period_id)
        return render_html(report)

    @get("/report.csv", media_type="text/csv; charset=utf-8")
    async def report_csv(
        self, period_id: FromPath[str], reports: NamedDependency[ReportService]
    ) -> Response[str]:
        report, _ = await reports.published(period_id)
        return Response(
            render_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="report-{period_id}.csv"'},
        )
