"""Rendering, language choice, CSRF refusal and escaping on a small app built from the same
parts as the services' pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from litestar.testing import TestClient

from shared.identity.claims import Session
from shared.web.problems import exception_handlers
from shared.web.ui.csrf import CSRF_FIELD, check_csrf
from shared.web.ui.embed import embed_csp
from shared.web.ui.i18n import translations
from shared.web.ui.pages import SignedForm, UiSettings, current_session, page
from shared.web.ui.plugin import UiPlugin
from shared.web.ui.widget import Widget
from tests.unit.ui._session import STATE, TOKENS, SignedIn

HOSTILE = '<script>alert("x")</script>'


@get("/hello")
async def hello(request: Request[Any, Any, Any], name: FromQuery[str] = "") -> Template:
    return page(request, "t/hello.html", name=name)


WIDGET = Widget(kind="poll", texts={"send": "Send my ballot"}, refusals=("already-voted",))


@get("/widget-config")
async def widget_config(request: Request[Any, Any, Any], age: FromQuery[int]) -> dict[str, Any]:
    return WIDGET.config(request, age, "/api/v1/send", "/check")


@get("/badge")
async def badge(request: Request[Any, Any, Any]) -> Template:
    return page(request, "t/badge.html", errors=["one"])


@post("/form", status_code=200)
async def form(request: Request[Any, Any, Any]) -> str:
    data = await request.form()
    session = current_session(request)
    assert session is not None
    check_csrf(request, session, data.get(CSRF_FIELD))
    return "accepted"


@get("/mine")
async def mine(signed_in: NamedDependency[Session]) -> str:
    return signed_in.sid


@post("/signed", status_code=200)
async def signed(signed_form: NamedDependency[SignedForm]) -> str:
    form, session = signed_form
    return f"{session.sid}:{form.get('x')}"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "hello.html").write_text(
        '{% extends "ui/base.html" %}{% block title %}{{ _("Polls") }}{% endblock %}'
        '{% block main %}<p id="name">{{ name }}</p>'
        "<form>{{ csrf() }}</form>"
        "{% endblock %}"
    )
    (tmp_path / "t" / "badge.html").write_text(
        '{% extends "ui/base.html" %}{% from "ui/_macros.html" import status_badge, problems %}'
        "{% block main %}{{ status_badge('open') }}{{ problems(errors) }}{% endblock %}"
    )
    settings = UiSettings("polls", "http://polls.test", "http://discussions.test", False)
    plugin = UiPlugin(settings, [tmp_path], [hello, badge, form, mine, signed, widget_config])
    app = Litestar(
        plugins=[plugin],
        exception_handlers=exception_handlers,
        middleware=[SignedIn()],
        state=State(STATE),
    )
    with TestClient(app) as test_client:
        yield test_client


SIGNED_IN = {"x-test-sid": "session-one"}


def test_pages_are_russian_by_default(client: TestClient[Litestar]) -> None:
    response = client.get("/hello")
    assert response.status_code == 200
    assert '<html lang="ru">' in response.text
    assert "<title>Голосования — Вместе</title>" in response.text


def test_lang_parameter_switches_to_english_and_is_remembered(
    client: TestClient[Litestar],
) -> None:
    first = client.get("/hello?lang=en")
    assert "<title>Polls — Vmeste</title>" in first.text
    assert first.cookies.get("vmeste_lang") == "en"
    assert "<title>Polls — Vmeste</title>" in client.get("/hello").text


def test_each_address_links_to_itself_in_each_language_and_back_from_sign_in(
    client: TestClient[Litestar],
) -> None:
    """The layout's links are made once per address: each page still gets its own."""
    for _ in range(2):  # the second time from the kept links
        for name in ("first", "second"):
            html = client.get("/hello", params={"name": name}).text
            assert f'href="/hello?name={name}&amp;lang=en"' in html
            assert f'href="/hello?name={name}&amp;lang=ru"' in html
            assert f"/auth/login?next=%2Fhello%3Fname%3D{name}" in html
        plain = client.get("/hello").text
        assert 'href="/hello?lang=en"' in plain
        assert 'href="/auth/login?next=%2Fhello"' in plain


def test_a_widgets_texts_follow_the_language_and_the_minimum_age(
    client: TestClient[Litestar],
) -> None:
    """Translated once per language and age: each page still gets its own."""
    for _ in range(2):  # the second time from the kept texts
        english = client.get("/widget-config", params={"age": 14, "lang": "en"}).json()
        russian = client.get("/widget-config", params={"age": 14, "lang": "ru"}).json()
        older = client.get("/widget-config", params={"age": 18, "lang": "en"}).json()
        assert english["messages"]["send"] == "Send my ballot"
        assert russian["messages"]["send"] == translations("ru").gettext("Send my ballot")
        assert russian["messages"]["send"] != "Send my ballot"
        assert english["messages"]["already-voted"] != russian["messages"]["already-voted"]
        assert "at least 14 years" in english["messages"]["too-young"]
        assert "at least 18 years" in older["messages"]["too-young"]
        assert english["submit_url"] == "/api/v1/send"


def test_the_shared_macros_speak_the_pages_language(client: TestClient[Litestar]) -> None:
    """They are imported without the page's context (one module per language): their
    messages come from the per-language template, not from the page's ``lang``."""
    russian = translations("ru").gettext
    for _ in range(2):  # the second time from the module made once
        english = client.get("/badge", params={"lang": "en"}).text
        assert '<span class="badge status-open">Open</span>' in english
        assert "<h2>Please correct the following</h2>" in english
        assert "<li>one</li>" in english
        ours = client.get("/badge", params={"lang": "ru"}).text
        assert f'<span class="badge status-open">{russian("Open")}</span>' in ours
        assert f"<h2>{russian('Please correct the following')}</h2>" in ours
        assert russian("Open") != "Open"


def test_template_values_are_escaped(client: TestClient[Litestar]) -> None:
    response = client.get("/hello", params={"name": HOSTILE})
    assert HOSTILE not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text


def test_form_without_csrf_token_is_refused(client: TestClient[Litestar]) -> None:
    response = client.post("/form", data={"x": "1"}, headers=SIGNED_IN)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/csrf-refused")


def test_form_with_a_foreign_token_is_refused(client: TestClient[Litestar]) -> None:
    response = client.post("/form", data={CSRF_FIELD: "A" * 43}, headers=SIGNED_IN)
    assert response.status_code == 403


def test_a_token_of_another_session_is_refused(client: TestClient[Litestar]) -> None:
    """Bound to the session: a token an attacker got for their own session is useless."""
    theirs = TOKENS.for_session("attacker-session")
    response = client.post("/form", data={CSRF_FIELD: theirs}, headers=SIGNED_IN)
    assert response.status_code == 403


def test_a_non_ascii_token_is_refused_not_a_server_error(client: TestClient[Litestar]) -> None:
    response = client.post("/form", data={CSRF_FIELD: "токен"}, headers=SIGNED_IN)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/csrf-refused")


def test_form_with_the_page_token_is_accepted(client: TestClient[Litestar]) -> None:
    page_html = client.get("/hello", headers=SIGNED_IN).text
    token = TOKENS.for_session("session-one")
    assert f'value="{token}"' in page_html
    assert "vmeste_csrf" not in client.cookies
    assert client.post("/form", data={CSRF_FIELD: token}, headers=SIGNED_IN).text == "accepted"
    header = {**SIGNED_IN, "X-CSRF-Token": token}
    assert client.post("/form", headers=header).text == "accepted"


def test_a_page_for_the_signed_in_gets_their_session(client: TestClient[Litestar]) -> None:
    assert client.get("/mine", headers=SIGNED_IN).text == "session-one"


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(client: TestClient[Litestar]) -> None:
    response = client.get("/mine?lang=en", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=%2Fmine%3Flang%3Den"


def test_a_checked_form_comes_with_the_senders_session(client: TestClient[Litestar]) -> None:
    token = TOKENS.for_session("session-one")
    response = client.post("/signed", data={CSRF_FIELD: token, "x": "1"}, headers=SIGNED_IN)
    assert response.text == "session-one:1"


def test_a_form_without_its_token_reaches_no_handler(client: TestClient[Litestar]) -> None:
    response = client.post("/signed", data={"x": "1"}, headers=SIGNED_IN)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/csrf-refused")


def test_a_form_sent_after_the_session_ended_leads_to_sign_in(
    client: TestClient[Litestar],
) -> None:
    """Not a refusal of a token nobody could have had: the way to sign in and come back."""
    response = client.post("/signed", data={"x": "1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=%2Fsigned"


def test_an_anonymous_page_renders_no_token(client: TestClient[Litestar]) -> None:
    assert 'name="csrf_token" value=""' in client.get("/hello").text


def test_static_files_are_served(client: TestClient[Litestar]) -> None:
    assert client.get("/static/ui/htmx.min.js").status_code == 200
    assert client.get("/static/ui/site.css").status_code == 200


def test_widget_csp_names_only_registered_sites() -> None:
    assert embed_csp(("https://a.example",)).endswith("frame-ancestors https://a.example")
    assert embed_csp(()).endswith("frame-ancestors 'none'")
