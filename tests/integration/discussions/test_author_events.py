"""Authors' events reach polls' notifications inbox and the operator's webhook, each signed
with its own secret, with the same webhook-id on both and on every retry; publishing a report
tells every author of the period."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from litestar import Litestar

from services.discussions.settings import DiscussionsSettings
from shared.outbox.webhooks import generate_secret
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, open_period, wait_status
from tests.integration.discussions.test_responses import SECRET, Receiver

NOTIFY_SECRET = generate_secret()


def _socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket]]:
    inbox, webhook = _socket(), _socket()
    yield inbox, webhook
    inbox.close()
    webhook.close()


@pytest.fixture
def options(sockets: tuple[socket.socket, socket.socket]) -> DiscussionsSettings:
    inbox, webhook = (s.getsockname()[1] for s in sockets)
    return DiscussionsSettings(
        webhook_url=f"http://127.0.0.1:{webhook}/hooks/vmeste",
        webhook_secret=SECRET,
        notify_url=f"http://127.0.0.1:{inbox}/internal/notifications/events",
        notify_secret=NOTIFY_SECRET,
        scheduler_interval_s=0.05,
        outbox_interval_s=0.05,
    )


async def test_response_and_report_reach_the_inbox_and_the_webhook(
    app: Litestar, people: People, sockets: tuple[socket.socket, socket.socket]
) -> None:
    inbox = Receiver(sockets[0], fail=1, secret=NOTIFY_SECRET)
    webhook = Receiver(sockets[1], fail=0, secret=SECRET)
    servers = [
        await asyncio.start_server(inbox.handle, sock=sockets[0]),
        await asyncio.start_server(webhook.handle, sock=sockets[1]),
    ]
    official = people.official()
    first, second = "first-" + "5" * 16, "second-" + "6" * 16
    try:
        async with app_client(app) as client:
            _, period_id = await open_period(client, official, ends_in=2.5)
            ids = []
            for sub in (first, second):
                submitted = await comment(client, period_id, people.citizen(sub=sub))
                ids.append(submitted.json()["id"])
                await moderate(client, official, ids[-1])
            answered = await client.post(
                f"/api/v1/comments/{ids[0]}/response",
                json={"disposition": "rejected", "justification": "Противоречит закону."},
                headers=official,
            )
            assert answered.status_code == 204
            await wait_status(client, period_id, "closed", within=15)
            published = await client.post(f"/api/v1/periods/{period_id}/report", headers=official)
            assert published.status_code == 201, published.text
            for _ in range(150):
                if any(b["topic"] == "period.report_published" for b in webhook.bodies):
                    break
                await asyncio.sleep(0.1)
    finally:
        for server in servers:
            server.close()
    by_topic = {b["topic"]: b for b in inbox.bodies}
    assert by_topic["comment.responded"]["author"] == first
    assert by_topic["comment.responded"]["disposition"] == "rejected"
    report = by_topic["period.report_published"]
    assert report["authors"] == sorted([first, second])
    assert report["period"] == period_id
    # The same messages, by id, on both receivers; the inbox saw each at least twice.
    assert {b["id"] for b in inbox.bodies} == {b["id"] for b in webhook.bodies}
    assert all(inbox.ids.count(b["id"]) >= 2 for b in inbox.bodies)
