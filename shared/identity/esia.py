"""The ESIA (Gosuslugi) identity provider: OAuth2 authorization code flow, v2/ac and v3/te.

ESIA requires the client secret to be a GOST R 34.10-2012 signature over the request's
parameters. ``cryptography`` has no GOST, so a signer sidecar (CryptoPro or similar) holds the
key: we POST the string to sign and get the base64 signature back.

Data minimisation: the default scope asks for birth date and addresses only, not the name;
the oid is turned into a pseudonym by the caller and never stored.

Addresses. ``GET /rs/prns/{oid}/addrs`` lists the person's addresses (embedded with
``?embed=(elements)``, or as links to ``/rs/prns/{oid}/addrs/{id}``, which are followed only
to ESIA itself). Each element carries ``type`` — ``PRG`` the registration address (место
регистрации), ``PLV`` the place of residence —, the address in parts (``region``, ``city``,
``district``, ``settlement``, ``street``, ``house``, ``frame``, ``building``, ``flat``,
``zipCode``, ``countryId``), the text ``addressStr``, and ``fiasCode``: the FIAS GUID of the
most precise object the address was matched to in the address register — a house when ESIA
knows it, otherwise the street, the settlement or the city. Only the ``PRG`` element's
``fiasCode`` is read; the address text and parts never leave this module.

The code maps to the OKTMO of the municipality through the address register (ГАР) imported
with ``vmeste territory import`` (:mod:`shared.identity.territory`), at whatever level it is,
falling back to the development table ``fias_oktmo.json``. No ``PRG`` address, or no code,
is refused as ``no-registration-address``; a code the register does not know as
``territory-not-served`` (counted, and recorded for the operator's list of refused codes).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt

from shared.config import MissingSettingError
from shared.identity.person import VerifiedPerson
from shared.identity.provider import IdentityRefusedError, ProviderUnavailableError
from shared.identity.territory.resolver import AddressResolver

__all__ = ("EsiaProvider", "EsiaSettings", "esia_timestamp")

_OID = re.compile(r"^[0-9]{1,20}$")
_SBJ = "urn:esia:sbj"
_SBJ_OID = "urn:esia:sbj:oid"
_SBJ_TRUSTED = "urn:esia:sbj:is_tru"
_REGISTRATION = "PRG"
_DEFAULT_ISSUER = "http://esia.gosuslugi.ru/"
_DEFAULT_SCOPE = "openid birthdate addresses"


def _need(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise MissingSettingError(name, "is required when VMESTE_IDENTITY_PROVIDER=esia")
    return value


@dataclass(frozen=True, slots=True)
class EsiaSettings:
    base_url: str
    """ESIA portal, e.g. https://esia.gosuslugi.ru (test: https://esia-portal1.test.gosuslugi.ru)."""
    client_id: str
    """The platform's mnemonic registered in ESIA."""
    redirect_uri: str
    """Where ESIA sends the browser back: this service's /auth/callback."""
    signer_url: str
    """GOST signer sidecar: POST text, answers the base64 signature."""
    id_token_key: str
    """PEM public key that verifies ESIA's id_token signature."""
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    """JWS algorithms accepted for the id_token."""
    issuer: str = _DEFAULT_ISSUER
    """Expected ``iss`` of the id_token."""
    scope: str = _DEFAULT_SCOPE
    """Requested scopes; no fullname, as the platform never uses names."""
    certificate_hash: str = ""
    """client_certificate_hash of the signing certificate, when ESIA requires it."""
    timeout_s: float = 10.0
    """Per-request timeout towards ESIA and the signer."""

    @classmethod
    def from_env(
        cls, default_redirect_uri: str, environ: Mapping[str, str] = os.environ
    ) -> EsiaSettings:
        key_file = Path(_need(environ, "VMESTE_ESIA_ID_TOKEN_KEY_FILE"))
        try:
            key = key_file.read_text()
        except OSError as exc:
            raise MissingSettingError(
                "VMESTE_ESIA_ID_TOKEN_KEY_FILE", f"unreadable: {exc}"
            ) from None
        algorithms = environ.get("VMESTE_ESIA_ID_TOKEN_ALGORITHMS", "RS256")
        return cls(
            base_url=_need(environ, "VMESTE_ESIA_BASE_URL").rstrip("/"),
            client_id=_need(environ, "VMESTE_ESIA_CLIENT_ID"),
            redirect_uri=environ.get("VMESTE_ESIA_REDIRECT_URI") or default_redirect_uri,
            signer_url=_need(environ, "VMESTE_ESIA_SIGNER_URL"),
            id_token_key=key,
            id_token_algorithms=tuple(a.strip() for a in algorithms.split(",") if a.strip()),
            issuer=environ.get("VMESTE_ESIA_ISSUER") or _DEFAULT_ISSUER,
            scope=environ.get("VMESTE_ESIA_SCOPE") or _DEFAULT_SCOPE,
            certificate_hash=environ.get("VMESTE_ESIA_CERT_HASH", ""),
        )


def esia_timestamp(now: dt.datetime | None = None) -> str:
    """ESIA's timestamp format, ``yyyy.MM.dd HH:mm:ss Z``."""
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y.%m.%d %H:%M:%S %z")


class EsiaProvider:
    name = "esia"

    def __init__(
        self,
        settings: EsiaSettings,
        client: httpx.AsyncClient,
        addresses: AddressResolver | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        # Without a store: the development table only (tests of the protocol).
        self._addresses = addresses or AddressResolver()

    async def start(self, state: str) -> str:
        s = self.settings
        timestamp = esia_timestamp()
        secret = await self._sign(s.client_id + s.scope + timestamp + state + s.redirect_uri)
        params = {
            "client_id": s.client_id,
            "client_secret": secret,
            "redirect_uri": s.redirect_uri,
            "scope": s.scope,
            "response_type": "code",
            "state": state,
            "timestamp": timestamp,
            "access_type": "online",
        }
        if s.certificate_hash:
            params["client_certificate_hash"] = s.certificate_hash
        return f"{s.base_url}/aas/oauth2/v2/ac?{urlencode(params, quote_via=quote)}"

    async def complete(self, code: str, state: str) -> VerifiedPerson:
        tokens = await self._exchange(code)
        oid, trusted = self._subject(tokens["id_token"])
        access = tokens["access_token"]
        person = await self._get_json(f"/rs/prns/{oid}", access)
        birth_date = _birth_date(person)
        fias_code = await self._registration_fias(oid, access)
        return VerifiedPerson(
            oid=oid,
            trusted=trusted,
            birth_date=birth_date,
            address=await self._addresses.registration_address(fias_code),
        )

    async def _sign(self, text: str) -> str:
        try:
            response = await self._client.post(
                self.settings.signer_url,
                content=text.encode(),
                headers={"content-type": "text/plain; charset=utf-8"},
                timeout=self.settings.timeout_s,
            )
            response.raise_for_status()
            raw = base64.b64decode(response.text.strip(), validate=True)
        except (httpx.HTTPError, binascii.Error) as exc:
            raise ProviderUnavailableError(f"signer: {type(exc).__name__}") from exc
        # ESIA takes the signature URL-safe base64 encoded.
        return base64.urlsafe_b64encode(raw).decode()

    async def _exchange(self, code: str) -> dict[str, Any]:
        s = self.settings
        timestamp = esia_timestamp()
        state = str(uuid.uuid4())
        secret = await self._sign(s.client_id + s.scope + timestamp + state + s.redirect_uri + code)
        form = {
            "client_id": s.client_id,
            "code": code,
            "grant_type": "authorization_code",
            "client_secret": secret,
            "state": state,
            "redirect_uri": s.redirect_uri,
            "scope": s.scope,
            "timestamp": timestamp,
            "token_type": "Bearer",
        }
        if s.certificate_hash:
            form["client_certificate_hash"] = s.certificate_hash
        try:
            response = await self._client.post(
                f"{s.base_url}/aas/oauth2/v3/te", data=form, timeout=s.timeout_s
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(f"token exchange: {type(exc).__name__}") from exc
        if 400 <= response.status_code < 500:
            raise IdentityRefusedError(
                "sign-in-refused",
                "Gosuslugi refused the sign-in",
                "The sign-in code was not accepted (it may have expired). Sign in again.",
            )
        if response.status_code != 200:
            raise ProviderUnavailableError(f"token exchange answered {response.status_code}")
        body = _json_object(response)
        if body.get("state") != state or not isinstance(body.get("id_token"), str):
            raise ProviderUnavailableError("token exchange answered an unexpected body")
        if not isinstance(body.get("access_token"), str):
            raise ProviderUnavailableError("token exchange answered no access token")
        return body

    def _subject(self, id_token: str) -> tuple[str, bool]:
        s = self.settings
        try:
            claims = jwt.decode(
                id_token,
                s.id_token_key,
                algorithms=list(s.id_token_algorithms),
                audience=s.client_id,
                issuer=s.issuer,
                # ESIA's sub is the numeric oid, which PyJWT would reject as "not a string";
                # the subject is read from urn:esia:sbj instead.
                options={"require": ["exp", "iss", "aud"], "verify_sub": False},
            )
        except jwt.InvalidTokenError as exc:
            raise IdentityRefusedError(
                "identity-token-invalid",
                "The Gosuslugi answer could not be verified",
                "Sign in again; if it keeps failing, the platform's ESIA settings need attention.",
            ) from exc
        subject = claims.get(_SBJ)
        oid = str(subject.get(_SBJ_OID, "")) if isinstance(subject, dict) else ""
        if not _OID.match(oid):
            raise ProviderUnavailableError("id_token carries no subject oid")
        # is_tru is present only for confirmed accounts.
        trusted = isinstance(subject, dict) and subject.get(_SBJ_TRUSTED) is True
        return oid, trusted

    async def _get_json(self, path_or_url: str, access_token: str) -> dict[str, Any]:
        base = self.settings.base_url
        url = path_or_url if path_or_url.startswith(base + "/") else base + path_or_url
        try:
            response = await self._client.get(
                url,
                headers={"authorization": f"Bearer {access_token}"},
                timeout=self.settings.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(f"person data: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ProviderUnavailableError(f"person data answered {response.status_code}")
        return _json_object(response)

    async def _registration_fias(self, oid: str, access_token: str) -> str | None:
        """The ``fiasCode`` of the ``PRG`` address, at whatever level ESIA gives it."""
        listing = await self._get_json(f"/rs/prns/{oid}/addrs?embed=(elements)", access_token)
        elements = listing.get("elements", [])
        if not isinstance(elements, list):
            raise ProviderUnavailableError("address list is not a list")
        for element in elements:
            # Without embedding ESIA lists links; follow them, but only to ESIA itself so the
            # access token is never sent elsewhere.
            if isinstance(element, str):
                if not element.startswith(self.settings.base_url + "/"):
                    raise ProviderUnavailableError("address link points outside ESIA")
                element = await self._get_json(element, access_token)
            if isinstance(element, dict) and element.get("type") == _REGISTRATION:
                fias = element.get("fiasCode")
                return fias if isinstance(fias, str) else None
        return None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderUnavailableError("answer is not JSON") from exc
    if not isinstance(body, dict):
        raise ProviderUnavailableError("answer is not a JSON object")
    return body


def _birth_date(person: Mapping[str, Any]) -> dt.date:
    raw = person.get("birthDate")
    try:
        return dt.datetime.strptime(str(raw), "%d.%m.%Y").date()
    except ValueError:
        raise IdentityRefusedError(
            "no-birth-date",
            "No birth date",
            "Your Gosuslugi profile has no birth date; complete it on gosuslugi.ru.",
        ) from None
