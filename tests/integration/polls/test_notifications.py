"""Notifications, end to end through a real SMTP server (aiosmtpd): the settings page, the
address confirmation link, discussions' signed events arriving at the inbox, polls opening and
being tallied, the in-app list, and a relay that is down when a mail is due."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from services.polls.app import create_app
from services.polls.notifications.delivery import NotificationDelivery
from services.polls.notifications.preferences import PreferencesService
from services.polls.notifications.settings import load_notification_settings
from services.polls.notifications.tables import Notification, NotificationPreferences
from services.polls.notifications.texts import Links
from services.polls.polls.store import PollStore
from services.polls.tables import OUTBOX
from shared.config import Settings
from shared.outbox import QueuedMessage
from shared.outbox.webhooks import generate_secret, parse_secret, signed_headers
from shared.web.ui.csrf import CSRF_FIELD
from tests.harness.asgi import app_client
from tests.harness.people import KAZAN, OTHER_TOWN, People
from tests.harness.smtp import MailCatcher, body_of
from tests.integration.discussions._forms import PAGE, csrf_token_of
from tests.integration.polls._support import GOOD_ANSWERS, cast, open_poll, survey_body, wait_status

SECRET = generate_secret()


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture
def app(settings: Settings, mail: MailCatcher) -> Litestar:
    options = load_notification_settings(
        {
            **mail.environ(),
            "VMESTE_NOTIFICATIONS_SECRET": SECRET,
            "VMESTE_POLLS_OUTBOX_INTERVAL_S": "0.05",
        }
    )
    return create_app(settings, options)


async def eventually(check: Callable[[], Any], wait_s: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def save_settings(
    client: httpx.AsyncClient,
    who: dict[str, str],
    *,
    email: list[str],
    in_app: list[str],
    address: str = "",
    lang: str = "ru",
) -> httpx.Response:
    token = await csrf_token_of(client, who)
    return await client.post(
        f"/notifications/settings?lang={lang}",
        data={CSRF_FIELD: token, "email": email, "in_app": in_app, "address": address},
        headers={**who, **PAGE},
        follow_redirects=False,
    )


def link_in(message: EmailMessage) -> str:
    found = re.search(
        r"https://polls\.vmeste\.test(/notifications/confirm\?token=\S+)", body_of(message)
    )
    assert found is not None, body_of(message)
    return found.group(1)


async def subscribe(
    client: httpx.AsyncClient,
    mail: MailCatcher,
    who: dict[str, str],
    address: str,
    kinds: list[str],
    lang: str = "ru",
) -> None:
    """Opt in to ``kinds`` by e-mail and in the app, and confirm the address by its link."""
    saved = await save_settings(client, who, email=kinds, in_app=kinds, address=address, lang=lang)
    assert saved.status_code == 303, saved.text
    (confirmation,) = await eventually(lambda: mail.to(address))
    confirmed = await client.get(link_in(confirmation), headers={**who, **PAGE})
    assert confirmed.status_code == 200, confirmed.text


def signed_event(
    topic: str, payload: dict[str, Any], message_id: uuid.UUID
) -> tuple[bytes, dict[str, str]]:
    body = msgspec.json.encode({"id": str(message_id), "topic": topic, **payload})
    now = int(dt.datetime.now(dt.UTC).timestamp())
    return body, signed_headers(parse_secret(SECRET), str(message_id), now, body)


async def test_address_is_confirmed_by_the_link_mailed_to_it_and_deleted_on_opt_out(
    app: Litestar, people: People, mail: MailCatcher
) -> None:
    sub = secrets.token_hex(16)
    citizen = people.citizen(sub=sub)
    async with app_client(app) as client:
        saved = await save_settings(
            client, citizen, email=["response"], in_app=["response"], address="anna@example.ru"
        )
        assert saved.status_code == 303
        assert saved.headers["location"].endswith("/notifications/settings?saved=sent")
        (confirmation,) = await eventually(lambda: mail.to("anna@example.ru"))
        assert (
            confirmation["Subject"]
            == "Подтвердите адрес электронной почты для уведомлений «Вместе»"
        )
        assert "в течение суток" in body_of(confirmation)
        row = (
            await NotificationPreferences.select().where(NotificationPreferences.sub == sub).first()
        )
        assert row is not None
        assert row["email"] is None
        assert row["pending_email"] == "anna@example.ru"

        stranger = await client.get(link_in(confirmation), headers={**people.citizen(), **PAGE})
        assert stranger.status_code == 400  # the link is bound to its person
        forged = await client.get("/notifications/confirm?token=abc", headers={**citizen, **PAGE})
        assert forged.status_code == 400
        confirmed = await client.get(link_in(confirmation), headers={**citizen, **PAGE})
        assert confirmed.status_code == 200
        assert "Адрес подтверждён" in confirmed.text
        row = (
            await NotificationPreferences.select().where(NotificationPreferences.sub == sub).first()
        )
        assert row is not None
        assert row["email"] == "anna@example.ru"
        assert row["pending_email"] is None
        settings_page = await client.get("/notifications/settings", headers={**citizen, **PAGE})
        assert "anna@example.ru" in settings_page.text

        off = await save_settings(
            client, citizen, email=[], in_app=["response"], address="anna@example.ru"
        )
        assert off.status_code == 303
        row = (
            await NotificationPreferences.select().where(NotificationPreferences.sub == sub).first()
        )
        assert row is not None
        assert row["email"] is None
        assert row["pending_email"] is None
        assert row["in_app_kinds"] == "response"
        bad = await save_settings(
            client, citizen, email=["response"], in_app=[], address="not an address"
        )
        assert bad.status_code == 400
        assert "name@example.ru" in bad.text
        assert len(mail.messages) == 1


async def test_a_response_event_from_discussions_reaches_the_list_and_the_mailbox_once(
    app: Litestar, people: People, mail: MailCatcher
) -> None:
    sub = secrets.token_hex(16)
    citizen = people.citizen(sub=sub)
    async with app_client(app) as client:
        await subscribe(client, mail, citizen, "boris@example.ru", ["response"], lang="en")
        event_id = uuid.uuid4()
        body, headers = signed_event(
            "comment.responded",
            {
                "comment": str(uuid.uuid4()),
                "period": str(uuid.uuid4()),
                "tracking_code": "ABCD-EFGH-JK",
                "author": sub,
                "disposition": "partially_accepted",
                "justification": "Section 3 is reworded.",
            },
            event_id,
        )
        for _ in range(2):  # discussions retries until it sees a 2xx: recorded once
            posted = await client.post(
                "/internal/notifications/events", content=body, headers=headers
            )
            assert posted.status_code == 204, posted.text
        tampered = await client.post(
            "/internal/notifications/events",
            content=body.replace(b"ABCD", b"ZZZZ"),
            headers=headers,
        )
        assert tampered.status_code == 401
        assert tampered.headers["content-type"].startswith("application/problem+json")

        (notice,) = await eventually(
            lambda: [m for m in mail.to("boris@example.ru") if "ABCD-EFGH-JK" in str(m["Subject"])]
        )
        assert notice["Subject"] == "An official responded to your comment ABCD-EFGH-JK"
        assert "Decision: partially accepted. Justification: Section 3 is reworded." in body_of(
            notice
        )
        assert "https://polls.vmeste.test/notifications/settings" in body_of(notice)
        mine = (await client.get("/api/v1/me/notifications?lang=ru", headers=citizen)).json()
        assert mine["unread"] == 1
        (item,) = mine["items"]
        assert item["kind"] == "response"
        assert item["text"] == "Должностное лицо ответило на ваше предложение ABCD-EFGH-JK"
        page = await client.get("/notifications", headers={**citizen, **PAGE})
        assert "ABCD-EFGH-JK" in page.text
        badge = await client.get("/notifications/unread", headers={**citizen, **PAGE})
        assert ">1<" in badge.text
        other = (await client.get("/api/v1/me/notifications", headers=people.citizen())).json()
        assert other == {"unread": 0, "items": []}
        read = await client.post("/api/v1/me/notifications/read", headers=citizen)
        assert read.status_code == 204
        assert (await client.get("/api/v1/me/notifications", headers=citizen)).json()["unread"] == 0
        await asyncio.sleep(0.5)
        assert len([m for m in mail.to("boris@example.ru") if "ABCD" in str(m["Subject"])]) == 1


async def test_mail_due_while_the_relay_is_down_is_sent_once_when_it_is_back(
    app: Litestar, people: People, mail: MailCatcher
) -> None:
    sub = secrets.token_hex(16)
    citizen = people.citizen(sub=sub)
    async with app_client(app) as client:
        await subscribe(client, mail, citizen, "vera@example.ru", ["response"])
        mail.stop()
        event_id = uuid.uuid4()
        body, headers = signed_event(
            "comment.responded",
            {
                "tracking_code": "WXYZ-0000-11",
                "author": sub,
                "disposition": "accepted",
                "justification": "Учтено.",
            },
            event_id,
        )
        posted = await client.post("/internal/notifications/events", content=body, headers=headers)
        assert posted.status_code == 204
        outbox: Any = OUTBOX
        failed = await eventually(
            lambda: (
                outbox.select(outbox.last_error, outbox.attempts)
                .where((outbox.topic == "email") & (outbox.attempts >= 1))
                .first()
            )
        )
        assert failed["last_error"].startswith("SMTP")
        assert "vera@" not in failed["last_error"]
        # The in-app entry does not wait for the relay.
        assert (await client.get("/api/v1/me/notifications", headers=citizen)).json()["unread"] == 1
        mail.start()
        (sent,) = await eventually(
            lambda: [m for m in mail.to("vera@example.ru") if "WXYZ" in str(m["Subject"])]
        )
        assert sent["Subject"] == "Должностное лицо ответило на ваше предложение WXYZ-0000-11"
        assert "Решение: учтено." in body_of(sent)
        assert sent["Message-ID"].startswith(f"<{uuid.uuid5(event_id, 'email' + chr(10) + sub)}@")
        await asyncio.sleep(1.0)
        assert len([m for m in mail.to("vera@example.ru") if "WXYZ" in str(m["Subject"])]) == 1


async def test_a_poll_opening_and_its_tally_reach_the_people_of_its_municipality_only(
    app: Litestar, people: People, mail: MailCatcher
) -> None:
    here, there = secrets.token_hex(16), secrets.token_hex(16)
    resident = people.citizen(sub=here)
    resident_oktmo = KAZAN
    away = people.citizen(sub=there, oktmo=OTHER_TOWN)
    async with app_client(app) as client:
        await subscribe(client, mail, resident, "galina@example.ru", ["poll_opened", "result"])
        await subscribe(client, mail, away, "dmitry@example.ru", ["poll_opened", "result"])
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(opens_in=0.5, closes_in=2.5))
        (opened,) = await eventually(
            lambda: [m for m in mail.to("galina@example.ru") if "Открыто" in str(m["Subject"])]
        )
        assert opened["Subject"] == "Открыто голосование вашего муниципалитета: The park"
        assert f"https://polls.vmeste.test/polls/{poll_id}" in body_of(opened)
        assert (await cast(client, resident, poll_id, GOOD_ANSWERS)).status_code == 201
        await wait_status(client, official, poll_id, "tallied")
        (tallied,) = await eventually(
            lambda: [m for m in mail.to("galina@example.ru") if "Итоги" in str(m["Subject"])]
        )
        assert f"/polls/{poll_id}/results" in body_of(tallied)
        kinds = [
            i["kind"]
            for i in (await client.get("/api/v1/me/notifications", headers=resident)).json()[
                "items"
            ]
        ]
        assert sorted(kinds) == ["poll_opened", "result"]
        assert (await client.get("/api/v1/me/notifications", headers=away)).json()["items"] == []
        # Dmitry moves into the city: once he opens his notifications, the city's polls reach him.
        moved = people.citizen(sub=there)
        assert (await client.get("/notifications", headers={**moved, **PAGE})).status_code == 200
        row = (
            await NotificationPreferences.select()
            .where(NotificationPreferences.sub == there)
            .first()
        )
        assert row is not None
        assert row["oktmo"] == resident_oktmo
        assert [m["Subject"] for m in mail.to("dmitry@example.ru")] == [
            "Подтвердите адрес электронной почты для уведомлений «Вместе»"
        ]


async def test_a_fan_out_repeated_after_a_crash_adds_nothing(
    app: Litestar, people: People, mail: MailCatcher
) -> None:
    """The replica that fanned an event out died before marking it delivered: the next one
    fans it out again, and the entries and mails derived from it are not doubled."""
    sub = secrets.token_hex(16)
    citizen = people.citizen(sub=sub)
    async with app_client(app) as client:
        await subscribe(client, mail, citizen, "lev@example.ru", ["response"])
        fan_out = NotificationDelivery(
            OUTBOX,
            PollStore(),
            None,
            Links(polls="https://polls.vmeste.test", discussions="https://d.vmeste.test"),
            b"k" * 32,
        )
        body = msgspec.json.encode(
            {"topic": "comment.responded", "author": sub, "tracking_code": "LEVV-0000-22"}
        )
        event = QueuedMessage(
            id=uuid.uuid4(),
            topic="comment.responded",
            body=body,
            created_at=dt.datetime.now(dt.UTC),
            attempts=0,
        )
        for _ in range(3):
            await fan_out.deliver(event, dt.datetime.now(dt.UTC))
        assert await Notification.count().where(Notification.sub == sub) == 1
        outbox: Any = OUTBOX
        mails = await outbox.count().where(
            (outbox.topic == "email") & outbox.payload.like(f"%{sub}%")
        )
        assert mails == 1
        (sent,) = await eventually(
            lambda: [m for m in mail.to("lev@example.ru") if "LEVV" in str(m["Subject"])]
        )
        assert sent["Message-ID"].startswith(f"<{uuid.uuid5(event.id, 'email' + chr(10) + sub)}@")


async def test_an_address_left_unconfirmed_is_forgotten_after_a_day(
    app: Litestar, people: People, mail: MailCatcher
) -> None:
    sub = secrets.token_hex(16)
    citizen = people.citizen(sub=sub)
    async with app_client(app) as client:
        saved = await save_settings(
            client, citizen, email=["result"], in_app=[], address="mila@example.ru"
        )
        assert saved.status_code == 303
        (confirmation,) = await eventually(lambda: mail.to("mila@example.ru"))
        preferences = PreferencesService(OUTBOX, b"unused")
        await preferences.forget_unconfirmed(dt.datetime.now(dt.UTC) + dt.timedelta(hours=23))
        assert (await preferences.get(sub)).pending_email == "mila@example.ru"
        await preferences.forget_unconfirmed(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25))
        assert (await preferences.get(sub)).pending_email is None
        late = await client.get(link_in(confirmation), headers={**citizen, **PAGE})
        assert late.status_code == 400
        assert (await preferences.get(sub)).email is None


async def test_settings_saved_too_often_are_refused_so_nobody_floods_mailboxes(
    settings: Settings, people: People, redis_url: str
) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.flushall()
    limited = dataclasses.replace(settings, rate_limits=True)
    async with app_client(create_app(limited, load_notification_settings({}))) as client:
        citizen = people.citizen()
        codes = [
            (await save_settings(client, citizen, email=[], in_app=["result"])).status_code
            for _ in range(21)
        ]
        assert codes == [303] * 20 + [429]
        assert (
            await save_settings(client, people.citizen(), email=[], in_app=[])
        ).status_code == 303
