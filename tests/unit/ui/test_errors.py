"""Errors of page routes are pages in the page's language; API routes keep problem+json; the
services' refusal codes read in the page's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.testing import TestClient

from services.polls.errors import PollsError
from services.polls.polls.domain import MAX_ANONYMITY_BATCH, NewPoll, PollService
from shared.eligibility import Eligibility, check_eligibility
from shared.tally.definition import Option, SingleChoice
from shared.web.problems import PROBLEM_MEDIA_TYPE, ProblemError, exception_handlers
from shared.web.ui.csrf import CSRF_FIELD, check_csrf
from shared.web.ui.i18n import translations
from shared.web.ui.pages import UiSettings, current_session
from shared.web.ui.plugin import UiPlugin
from shared.web.ui.refusals import (
    eligibility_message,
    issue_message,
    poll_issue_message,
    problem_message,
)
from tests.unit.ui._session import STATE, TOKENS, SignedIn

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@get("/polls/{poll_id:str}")
async def poll_page(poll_id: FromPath[str]) -> str:
    raise NotFoundException(detail=f"no poll {poll_id}")


@post("/polls/{poll_id:str}/edit", status_code=200)
async def edit(request: Request[Any, Any, Any], poll_id: FromPath[str]) -> str:
    data = await request.form()
    session = current_session(request)
    assert session is not None
    check_csrf(request, session, data.get(CSRF_FIELD))
    raise ProblemError(409, "poll-frozen", "Questions are frozen", "The poll is scheduled.")


@get("/api/v1/polls/{poll_id:str}")
async def api_poll(poll_id: FromPath[str]) -> str:
    raise NotFoundException(detail=f"no poll {poll_id}")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = UiSettings("polls", "http://polls.test", "http://discussions.test", False)
    plugin = UiPlugin(settings, [tmp_path], [poll_page, edit, api_poll])
    app = Litestar(
        plugins=[plugin],
        exception_handlers=exception_handlers,
        middleware=[SignedIn()],
        state=State(STATE),
    )
    with TestClient(app) as test_client:
        yield test_client


SIGNED_IN = {"x-test-sid": "session-one"}


def test_a_missing_page_is_a_russian_page_with_the_status_and_request_id(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/polls/nope", headers={"accept": BROWSER, "x-request-id": "abcd1234ef"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Страница не найдена" in response.text
    assert "abcd1234ef" in response.text
    assert 'href="/"' in response.text


def test_an_unknown_address_is_a_page_too_and_english_on_request(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/no/such/page?lang=en", headers={"accept": BROWSER})
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert '<html lang="en">' in response.text


def test_csrf_refusal_is_a_page_saying_the_form_expired(client: TestClient[Litestar]) -> None:
    response = client.post("/polls/p1/edit", data={}, headers={"accept": BROWSER, **SIGNED_IN})
    assert response.status_code == 403
    assert "Форма устарела" in response.text
    assert "Обновите страницу" in response.text


def test_a_conflict_page_explains_the_refusal_in_the_page_language(
    client: TestClient[Litestar],
) -> None:
    token = TOKENS.for_session("session-one")
    response = client.post(
        "/polls/p1/edit", data={CSRF_FIELD: token}, headers={"accept": BROWSER, **SIGNED_IN}
    )
    assert response.status_code == 409
    assert "изменить можно только описание" in response.text


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v1/polls/nope", BROWSER),
        ("/polls/nope", "application/json"),
        ("/polls/nope", "*/*"),
        ("/polls/nope", ""),
    ],
)
def test_api_and_non_browser_requests_keep_problem_json(
    client: TestClient[Litestar], path: str, accept: str
) -> None:
    response = client.get(path, headers={"accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert body["status"] == 404
    assert body["type"].endswith("/not-found")


class _Who:
    sub = "s1"
    oktmo = "71701000"
    birth_date = dt.date(2015, 1, 1)
    trusted = True


@pytest.mark.parametrize(
    ("rules", "russian"),
    [
        (Eligibility(min_age=18), "исполнилось 18 лет"),
        (Eligibility(territory=("45",)), "за пределами территории"),
        (Eligibility(roll=("other",)), "в список участников"),
    ],
)
def test_eligibility_codes_read_in_russian(rules: Eligibility, russian: str) -> None:
    refusal = check_eligibility(rules, _Who(), dt.date(2026, 1, 1))
    assert refusal is not None
    assert russian in eligibility_message(translations("ru").gettext, refusal)
    assert eligibility_message(translations("en").gettext, refusal).isascii()


def test_unconfirmed_account_and_already_voted_read_in_russian() -> None:
    ru = translations("ru").gettext
    assert "Госуслуг" in problem_message(
        ru, "not-eligible", "", {"reason": "account-not-confirmed"}
    )
    assert "по коду проверки" in problem_message(ru, "already-voted")
    assert "пока голосование открыто" in problem_message(ru, "poll-not-open")
    assert "сроки общественного обсуждения" in problem_message(ru, "period-not-open")
    assert "Запрос отклонён" in problem_message(ru, "some-new-code")


@pytest.mark.parametrize(
    ("reason", "russian"),
    [
        ("this question must be answered", "Ответьте на этот вопрос."),
        ("choose between 1 and 2 options", "Выберите от 1 до 2 вариантов ответа."),
        ("expected a whole number from 1 to 5", "Выберите значение от 1 до 5."),
        ("approve between 1 and 3 projects", "Выберите от 1 до 3 проектов."),
        ("12 points given, at most 10 allowed", "Распределено баллов: 12, а можно не больше 10."),
        ("something new", "Этот ответ недопустим."),
    ],
)
def test_ballot_issues_read_in_russian(reason: str, russian: str) -> None:
    assert issue_message(translations("ru").gettext, reason) == russian


def _refused_batch(k: int) -> PollsError:
    """The poll domain's own refusal of anonymity batch ``k``."""
    when = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with pytest.raises(PollsError) as refused:
        PollService()._build(
            "p1",
            NewPoll(
                organisation="tyumen-city",
                title="Сквер",
                kind="survey",
                questions=(
                    SingleChoice(
                        id="q1",
                        text="Да?",
                        options=(Option(id="o1", label="Да"), Option(id="o2", label="Нет")),
                    ),
                ),
                eligibility=Eligibility(),
                opens_at=when,
                closes_at=when + dt.timedelta(days=7),
                description="",
                show_intermediate_results=False,
                anonymity_batch=k,
            ),
            territory=("71701",),
            created_by="s1",
            created_at=when,
        )
    return refused.value


@pytest.mark.parametrize(
    ("k", "russian", "english"),
    [
        (5, "Пакет анонимности: укажите не меньше 10.", "Anonymity batch: give at least 10."),
        (
            MAX_ANONYMITY_BATCH + 1,
            f"Пакет анонимности: укажите не больше {MAX_ANONYMITY_BATCH}.",
            f"give at most {MAX_ANONYMITY_BATCH}.",
        ),
    ],
)
def test_a_refused_anonymity_batch_reads_in_the_page_language(
    k: int, russian: str, english: str
) -> None:
    refused = _refused_batch(k)
    assert refused.status == 422
    (issue,) = refused.extra["errors"]
    assert issue["path"] == "anonymity_batch"
    ru = poll_issue_message(translations("ru").gettext, issue["path"], issue["reason"])
    en = poll_issue_message(translations("en").gettext, issue["path"], issue["reason"])
    assert ru is not None
    assert ru.startswith(russian)
    assert en is not None
    assert english in en
    assert poll_issue_message(translations("ru").gettext, "title", issue["reason"]) is None
