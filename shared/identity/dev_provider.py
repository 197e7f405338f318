"""The development identity provider: a page of fixture people instead of Gosuslugi.

Choosing a person sends the browser to ``/auth/callback?code=<person>&state=<state>``, exactly
as ESIA would, so development exercises the same callback, state check, pseudonym, registry
and session code as production. Refused outside development by the settings.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from shared.identity.fixtures import MUNICIPALITIES, FixturePerson, fixture_people
from shared.identity.person import VerifiedPerson
from shared.identity.provider import IdentityRefusedError

__all__ = ("DevIdentityProvider",)

_TOWNS = {m.oktmo: m.name for m in MUNICIPALITIES.values()}


class DevIdentityProvider:
    name = "dev"

    def __init__(self, page_path: str = "/auth/dev", callback_path: str = "/auth/callback") -> None:
        self.page_path = page_path
        self.callback_path = callback_path

    async def start(self, state: str) -> str:
        return f"{self.page_path}?{urlencode({'state': state})}"

    async def complete(self, code: str, state: str) -> VerifiedPerson:
        for fixture in fixture_people():
            if fixture.key == code:
                return fixture.person
        raise IdentityRefusedError(
            "unknown-fixture-person",
            "Unknown fixture person",
            "Choose a person on the development sign-in page.",
        )

    def page(self, state: str) -> str:
        """The sign-in page: one button per fixture person, each completing the flow."""
        rows = "\n".join(_row(fixture) for fixture in fixture_people())
        return _PAGE.format(
            action=escape(self.callback_path, quote=True),
            state=escape(state, quote=True),
            rows=rows,
        )


def _roles(fixture: FixturePerson) -> str:
    parts = [
        f"{m.role.value} {m.organisation or ''} {' '.join(m.permissions)}".strip()
        for m in fixture.memberships
    ]
    return "; ".join(parts) or "citizen"


def _row(fixture: FixturePerson) -> str:
    person = fixture.person
    account = "подтверждённая (confirmed)" if person.trusted else "неподтверждённая (unconfirmed)"
    town = _TOWNS.get(person.address.oktmo, person.address.oktmo)
    cells = (
        f"<td>{escape(fixture.name)}<br><small>{escape(fixture.note)}</small></td>"
        f"<td>{account}</td><td>{fixture.age}</td>"
        f"<td>{escape(town)} <small>(ОКТМО {escape(person.address.oktmo)})</small></td>"
        f"<td>{escape(_roles(fixture))}</td>"
    )
    button = (
        f'<td><button type="submit" name="code" value="{escape(fixture.key, quote=True)}" '
        f'aria-label="Войти как {escape(fixture.name, quote=True)} '
        f'(sign in as {escape(fixture.key, quote=True)})">Войти (Sign in)</button></td>'
    )
    return f"<tr>{cells}{button}</tr>"


_PAGE = """<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Вход для разработки (Development sign-in) — Вместе</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #767676; padding: .4rem .6rem; text-align: left; }}
button {{ font-size: 1rem; padding: .3rem .8rem; }}
button:focus {{ outline: 3px solid #0b57d0; outline-offset: 2px; }}
</style>
</head>
<body>
<main>
<h1>Вход для разработки (Development sign-in)</h1>
<p>Это не Госуслуги: выберите тестового человека. (This is not Gosuslugi: choose a fixture
person.)</p>
<form method="get" action="{action}">
<input type="hidden" name="state" value="{state}">
<table>
<caption>Тестовые люди (Fixture people)</caption>
<thead><tr><th scope="col">Имя (Name)</th><th scope="col">Учётная запись (Account)</th>
<th scope="col">Возраст (Age)</th><th scope="col">Муниципалитет (Municipality)</th>
<th scope="col">Роли (Roles)</th><th scope="col">Действие (Action)</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</form>
</main>
</body>
</html>
"""
