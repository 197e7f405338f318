"""What each notification says, in Russian and in English, and where it leads."""

from __future__ import annotations

import pytest

from services.polls.notifications.kinds import Kind
from services.polls.notifications.texts import Links, confirmation_email, render

LINKS = Links(
    polls="https://vmeste.example.ru/polls", discussions="https://vmeste.example.ru/discussions"
)
RESPONSE = {
    "tracking_code": "ABCD-EFGH-JK",
    "disposition": "partially_accepted",
    "justification": "Пункт 3 изложен иначе.",
}
POLL = {"poll": "p1", "title": "Благоустройство парка", "closes_at": "2026-12-10T18:00:00+00:00"}
REPORT = {"period": "per1", "draft": "d1"}


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        (
            "ru",
            "Должностное лицо ответило на ваше предложение ABCD-EFGH-JK",
            "Решение: учтено частично. Обоснование: Пункт 3 изложен иначе.",
        ),
        (
            "en",
            "An official responded to your comment ABCD-EFGH-JK",
            "Decision: partially accepted. Justification: Пункт 3 изложен иначе.",
        ),
    ],
)
def test_response(language: str, subject: str, line: str) -> None:
    text = render("response", RESPONSE, language, LINKS)
    assert text.subject == subject
    assert line in text.body
    assert text.link == "https://vmeste.example.ru/discussions/my/comments"
    assert "https://vmeste.example.ru/polls/notifications/settings" in text.body


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        (
            "ru",
            "Открыто голосование вашего муниципалитета: Благоустройство парка",
            "Голосование открыто до 2026-12-10 18:00 (UTC).",
        ),
        (
            "en",
            "A poll of your municipality has opened: Благоустройство парка",
            "Voting is open until 2026-12-10 18:00 (UTC).",
        ),
    ],
)
def test_poll_opened(language: str, subject: str, line: str) -> None:
    text = render("poll_opened", POLL, language, LINKS)
    assert (text.subject, text.link) == (subject, "https://vmeste.example.ru/polls/polls/p1")
    assert line in text.body


@pytest.mark.parametrize(
    ("language", "tally", "report"),
    [
        (
            "ru",
            "Итоги опубликованы: Благоустройство парка",
            "Опубликована сводка предложений обсуждения, в котором вы участвовали",
        ),
        (
            "en",
            "Results are published: Благоустройство парка",
            "The report of a public discussion you took part in is published",
        ),
    ],
)
def test_results_of_a_poll_and_of_a_discussion(language: str, tally: str, report: str) -> None:
    poll = render("result", POLL, language, LINKS)
    assert (poll.subject, poll.link) == (tally, "https://vmeste.example.ru/polls/polls/p1/results")
    discussion = render("result", REPORT, language, LINKS)
    assert discussion.subject == report
    assert discussion.link == "https://vmeste.example.ru/discussions/drafts/d1"


def test_confirmation_mail_in_both_languages_carries_the_link() -> None:
    link = "https://vmeste.example.ru/polls/notifications/confirm?token=t"
    ru = confirmation_email("ru", link)
    en = confirmation_email("en", link)
    assert ru.subject == "Подтвердите адрес электронной почты для уведомлений «Вместе»"
    assert en.subject == "Confirm your e-mail address for Vmeste notifications"
    assert link in ru.body
    assert link in en.body
    assert "Если это были не вы" in ru.body
    assert "If it was not you" in en.body


def test_an_unknown_language_falls_back_to_russian() -> None:
    assert render("response", RESPONSE, "de", LINKS).subject.startswith("Должностное лицо")


def test_no_kind_name_is_part_of_another() -> None:
    """Fan-out finds the people who chose a kind by a substring match on their choices."""
    names = [kind.value for kind in Kind]
    assert not [(a, b) for a in names for b in names if a != b and a in b]
