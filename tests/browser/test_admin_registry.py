"""An admin keeps the registry in the browser: registers an organisation, edits its territory
and embedding sites, grants a role by pseudonymous id, sends an invitation link that another
person accepts in their own browser, revokes a role and reads the audit trail; an auditor
reads the trail too. Every step is checked through the API."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, api_post, sign_in


def _me(context: Any, base: str) -> dict[str, Any]:
    answer = context.request.get(f"{base}/me")
    assert answer.status == 200, answer.text()
    me: dict[str, Any] = answer.json()
    return me


def _members(context: Any, base: str, slug: str) -> list[dict[str, Any]]:
    answer = context.request.get(f"{base}/api/v1/admin/memberships?organisation={slug}")
    assert answer.status == 200, answer.text()
    found: list[dict[str, Any]] = answer.json()["memberships"]
    return found


def test_an_admin_keeps_the_registry_and_an_invited_person_accepts_in_their_own_browser(
    stack: Stack, browser: Any, context: Any, page: Any, screenshots: Path
) -> None:
    base = stack.polls
    slug = f"yalutorovsk-{secrets.token_hex(3)}"
    sign_in(page, base, "admin", "/admin")
    expect(page.get_by_role("navigation").get_by_role("link", name="Реестр")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Реестр организаций")

    # Register an organisation.
    form = page.locator("form[data-create-organisation]")
    form.get_by_label("Краткое имя").fill(slug)
    form.get_by_label("Официальное название").fill("Администрация города Ялуторовска")
    form.get_by_label("Территория: коды ОКТМО").fill("71715000")
    form.get_by_label("Сайты, на которых можно встраивать виджеты").fill("https://yalutorovsk.ru")
    page.screenshot(path=screenshots / "admin-registry.png", full_page=True)
    form.get_by_role("button", name="Зарегистрировать").click()
    page.wait_for_url(f"{base}/admin/organisations/{slug}")
    made = context.request.get(f"{base}/api/v1/admin/organisations/{slug}").json()
    assert made["name"] == "Администрация города Ялуторовска"
    assert [t["oktmo"] for t in made["territory"]] == ["71715000"]
    assert made["embed_origins"] == ["https://yalutorovsk.ru"]

    # Edit its territory and embedding sites.
    edit = page.locator("form[data-edit-organisation]")
    edit.get_by_label("Территория: коды ОКТМО").fill("71715000\n71701000")
    edit.get_by_label("Сайты, на которых можно встраивать виджеты").fill(
        "https://yalutorovsk.ru\nhttps://ялуторовск.рф"
    )
    edit.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_contain_text("Организация сохранена")
    expect(page.locator("table[data-territory] tr[data-oktmo]")).to_have_count(2)
    edited = context.request.get(f"{base}/api/v1/admin/organisations/{slug}").json()
    assert [t["oktmo"] for t in edited["territory"]] == ["71715000", "71701000"]
    assert edited["embed_origins"] == [
        "https://yalutorovsk.ru",
        "https://xn--b1aqbmaljdi2j.xn--p1ai",
    ]

    # Grant a moderator's permission by the person's pseudonymous id.
    citizen = browser.new_context(viewport={"width": 1024, "height": 900}, locale="ru-RU")
    try:
        citizen_page = citizen.new_page()
        sign_in(citizen_page, base, "citizen-tyumen", "/")
        citizen_sub = _me(citizen, base)["sub"]
        grant = page.locator("form[data-grant]")
        grant.get_by_label("Псевдонимный идентификатор человека").fill(citizen_sub)
        grant.get_by_label("Модерация предложений").check()
        grant.get_by_role("button", name="Выдать").click()
        expect(page.get_by_role("status")).to_contain_text("Роль выдана")
        [granted] = [m for m in _members(context, base, slug) if m["sub"] == citizen_sub]
        assert granted["role"] == "official"
        assert granted["permissions"] == ["moderate"]
        # It reaches the person's session at its next refresh.
        assert _me(citizen, base)["roles"] == ["citizen"]
        assert api_post(citizen, f"{base}/auth/refresh").status == 200
        assert _me(citizen, base)["organisations"] == [
            {
                "org": slug,
                "role": "official",
                "territory": ["71715000", "71701000"],
                "permissions": ["moderate"],
            }
        ]
    finally:
        citizen.close()

    # An invitation link, accepted by another person in their own browser.
    invite = page.locator("form[data-invite]")
    invite.get_by_label("Ответы на предложения").check()
    invite.get_by_role("button", name="Создать ссылку-приглашение").click()
    link = page.locator("[data-invitation-url]").input_value()
    assert link.startswith(f"{base}/invitations/")
    page.screenshot(path=screenshots / "admin-invitation-link.png", full_page=True)
    invitee = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    try:
        invitee_page = invitee.new_page()
        invitee_page.goto(link)
        invitee_page.locator('button[name="code"][value="elder-ishim"]').click()
        invitee_page.wait_for_url(link)
        expect(invitee_page.get_by_role("heading", level=1)).to_have_text("Приглашение")
        expect(invitee_page.locator("main")).to_contain_text("Ответы на предложения")
        invitee_page.screenshot(path=screenshots / "invitation.png", full_page=True)
        invitee_page.get_by_role("button", name="Принять роль").click()
        expect(invitee_page.locator("[data-accepted]")).to_contain_text("Роль ваша")
        invitee_page.screenshot(path=screenshots / "invitation-accepted.png", full_page=True)
        invitee_sub = _me(invitee, base)["sub"]
        # The link works once.
        invitee_page.goto(link)
        expect(invitee_page.locator("[data-refusal]")).to_contain_text("уже воспользовались")
    finally:
        invitee.close()
    [accepted] = [m for m in _members(context, base, slug) if m["sub"] == invitee_sub]
    assert accepted["permissions"] == ["respond"]
    invitations = context.request.get(
        f"{base}/api/v1/admin/invitations?organisation={slug}"
    ).json()["invitations"]
    assert [(i["state"], i["accepted_by"]) for i in invitations] == [("accepted", invitee_sub)]

    # Revoke the invitee's role.
    page.goto(f"{base}/admin/organisations/{slug}")
    expect(page.locator("tr[data-member]")).to_have_count(2)
    page.screenshot(path=screenshots / "admin-organisation.png", full_page=True)
    page.locator(f'tr[data-member="{invitee_sub}"]').get_by_role("button", name="Отозвать").click()
    expect(page.get_by_role("status")).to_contain_text("Роль отозвана")
    assert [m["sub"] for m in _members(context, base, slug)] == [citizen_sub]

    # The trail shows every change, to the admin and to an auditor.
    page.goto(f"{base}/admin/trail")
    rows = page.locator("table[data-trail] tr[data-change]")
    expect(rows.first).to_contain_text("Роль отозвана")
    expect(rows.first).to_contain_text(invitee_sub)
    page.screenshot(path=screenshots / "admin-trail.png", full_page=True)
    admin_sub = _me(context, base)["sub"]
    changes = context.request.get(f"{base}/api/v1/admin/trail?limit=20").json()["changes"]
    mine = [(c["action"], c["actor"]) for c in changes if c["organisation"] == slug]
    assert mine == [
        ("membership.revoke", admin_sub),
        ("membership.grant", invitee_sub),
        ("invitation.accept", invitee_sub),
        ("invitation.create", admin_sub),
        ("membership.grant", admin_sub),
        ("organisation.update", admin_sub),
        ("organisation.create", admin_sub),
    ]
    auditor = browser.new_context(viewport={"width": 1024, "height": 900}, locale="ru-RU")
    try:
        auditor_page = auditor.new_page()
        sign_in(auditor_page, base, "auditor", "/admin/trail")
        expect(auditor_page.locator("table[data-trail] tr[data-change]").first).to_contain_text(
            invitee_sub
        )
        refused = auditor_page.goto(f"{base}/admin")
        assert refused is not None
        assert refused.status == 403
    finally:
        auditor.close()
