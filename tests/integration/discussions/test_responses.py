"""Responses: once per published comment, the author notified by a signed webhook (with
retries, the same webhook-id on every attempt) and allowed to rate the response once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar

from services.discussions.settings import DiscussionsSettings
from shared.outbox.webhooks import parse_secret, verify
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._forms import PAGE
from tests.integration.discussions._support import comment, moderate, open_period

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwT3kfNv0xz3s="


class Receiver:
    """A tiny HTTP server answering 500 to the first ``fail`` posts of each message, then 200;
    it keeps the bodies it accepted and the webhook-id of every post, after checking its
    signature."""

    def __init__(self, sock: socket.socket, fail: int = 1, secret: str = SECRET) -> None:
        self.sock = sock
        self.fail = fail
        self.secret = secret
        self.attempts = 0
        self.bodies: list[dict[str, Any]] = []
        self.ids: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        message_id = verify(parse_secret(self.secret), headers, body, dt.datetime.now(dt.UTC))
        self.ids.append(message_id)
        self.attempts += 1
        refused = self.ids.count(message_id) <= self.fail
        status = "500 Internal Server Error" if refused else "200 OK"
        if not refused:
            self.bodies.append(json.loads(body))
        writer.write(
            f"HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
def receiver_socket() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def options(receiver_socket: socket.socket) -> DiscussionsSettings:
    port = receiver_socket.getsockname()[1]
    return DiscussionsSettings(
        webhook_url=f"http://127.0.0.1:{port}/hooks/vmeste",
        webhook_secret=SECRET,
        scheduler_interval_s=0.05,
        outbox_interval_s=0.05,
    )


async def test_author_is_notified_by_webhook_after_a_failed_attempt(
    app: Litestar, people: People, receiver_socket: socket.socket
) -> None:
    receiver = Receiver(receiver_socket, fail=1)
    server = await asyncio.start_server(receiver.handle, sock=receiver_socket)
    official = people.official()
    author = "author-" + "1" * 16
    try:
        async with app_client(app) as client:
            _, period_id = await open_period(client, official)
            submitted = (await comment(client, period_id, people.citizen(sub=author))).json()
            await moderate(client, official, submitted["id"])
            answered = await client.post(
                f"/api/v1/comments/{submitted['id']}/response",
                json={"disposition": "accepted", "justification": "Учтено."},
                headers=official,
            )
            assert answered.status_code == 204
            for _ in range(100):
                topics = [b["topic"] for b in receiver.bodies]
                if "comment.responded" in topics:
                    break
                await asyncio.sleep(0.1)
            responded = [b for b in receiver.bodies if b["topic"] == "comment.responded"]
            assert len(responded) == 1
            assert responded[0]["author"] == author
            assert responded[0]["tracking_code"] == submitted["tracking_code"]
            assert responded[0]["disposition"] == "accepted"
            assert receiver.attempts > len(receiver.bodies)
            # Every attempt of one message carries the same id, the receiver's de-duplication key.
            assert receiver.ids.count(responded[0]["id"]) >= 2
    finally:
        server.close()


async def test_response_rules_and_rating_once(app: Litestar, people: People) -> None:
    official = people.official()
    author = people.citizen(sub="rater-" + "2" * 16)
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        comment_id = (await comment(client, period_id, author)).json()["id"]
        body = {"disposition": "rejected", "justification": "Противоречит закону."}
        url = f"/api/v1/comments/{comment_id}/response"
        unmoderated = await client.post(url, json=body, headers=official)
        assert unmoderated.status_code == 409
        await moderate(client, official, comment_id)
        early = await client.post(
            f"/api/v1/comments/{comment_id}/rating", json={"rating": 5}, headers=author
        )
        assert early.status_code == 409
        no_permission = await client.post(
            url, json=body, headers=people.official(permissions=("moderate",))
        )
        assert no_permission.status_code == 403
        assert (await client.post(url, json=body, headers=official)).status_code == 204
        assert (await client.post(url, json=body, headers=official)).status_code == 409
        rate = f"/api/v1/comments/{comment_id}/rating"
        assert (await client.post(rate, json={"rating": 6}, headers=author)).status_code == 400
        stranger = await client.post(rate, json={"rating": 1}, headers=people.citizen())
        assert stranger.status_code == 403
        assert (await client.post(rate, json={"rating": 2}, headers=author)).status_code == 204
        assert (await client.post(rate, json={"rating": 5}, headers=author)).status_code == 409
        mine = (await client.get("/api/v1/me/comments", headers=author)).json()["items"]
        assert mine[0]["rating"] == 2


async def test_a_response_and_its_correction_show_on_the_discussion_page_at_once(
    app: Litestar, people: People
) -> None:
    """A published comment is rendered once and reused on the page until its response
    changes: the response, and then its correction, show on the next view."""
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        comment_id = (await comment(client, period_id, people.citizen())).json()["id"]
        await moderate(client, official, comment_id)
        page = f"/discussions/{period_id}?lang=en"
        before = (await client.get(page, headers=PAGE)).text
        assert f'data-comment="{comment_id}"' in before
        assert "Response of the authority" not in before

        url = f"/api/v1/comments/{comment_id}/response"
        first = {"disposition": "rejected", "justification": "Противоречит закону."}
        assert (await client.post(url, json=first, headers=official)).status_code == 204
        answered = (await client.get(page, headers=PAGE)).text
        assert "Противоречит закону." in answered
        assert "Corrected" not in answered

        second = {"disposition": "accepted", "justification": "Исправлено: учтено."}
        assert (await client.put(url, json=second, headers=official)).status_code == 204
        corrected = (await client.get(page, headers=PAGE)).text
        assert "Исправлено: учтено." in corrected
        assert "<del>Противоречит закону.</del>" in corrected
        assert "Corrected" in corrected
