"""A fake ESIA portal and GOST signer on a free local port, in a thread.

The fake signer "signs" with SHA-256 (the real one is a GOST sidecar); the fake portal checks
each client_secret against the same function, so a wrongly assembled signed string fails the
token exchange just as it would at ESIA.

Addresses come as ESIA gives them: ``type`` (``PRG`` registration, ``PLV`` residence), the
parts, the text and ``fiasCode``, the FIAS GUID of the most precise object the address was
matched to. ``ADDRESS_AT`` has a registration address at each level — house, street,
settlement, city — of the test register extract (``gar_extract.TYUMEN``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.identity import gar_extract

CLIENT_ID = "VMESTE"
ISSUER = "http://esia.gosuslugi.ru/"
TYUMEN_FIAS = "9ae64229-9f7b-4149-b27a-d1f6ec74b5ce"
TOBOLSK_FIAS = "6d7c3e9e-8d6d-490a-a650-8257dbf5ec36"
MOSCOW_FIAS = "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"

_TYUMEN_REGION = {"countryId": "RUS", "region": "Тюменская область"}
ADDRESS_AT: dict[str, tuple[str, dict[str, str]]] = {
    "house": (
        gar_extract.guid(gar_extract.HOUSE_1),
        {**_TYUMEN_REGION, "city": "г. Тюмень", "street": "ул. Республики", "house": "1"},
    ),
    "street": (
        gar_extract.guid(gar_extract.OSTROVSKOGO),
        {
            **_TYUMEN_REGION,
            "area": "Тюменский р-н",
            "settlement": "рп. Боровский",
            "street": "ул. Островского",
        },
    ),
    "settlement": (
        gar_extract.guid(gar_extract.BOROVSKY),
        {**_TYUMEN_REGION, "area": "Тюменский р-н", "settlement": "рп. Боровский"},
    ),
    "city": (gar_extract.guid(gar_extract.TYUMEN_CITY), {**_TYUMEN_REGION, "city": "г. Тюмень"}),
}
"""Registration addresses by the level ESIA matched them to: (fiasCode, address parts)."""
_PARTS = dict(ADDRESS_AT.values())


def fake_signature(text: bytes) -> bytes:
    return hashlib.sha256(b"gost-stand-in:" + text).digest()


@dataclass
class Account:
    oid: str
    trusted: bool
    birth_date: str
    registration_fias: str | None
    addresses_as_links: bool = False
    id_token_audience: str = CLIENT_ID
    id_token_lifetime_s: int = 3600
    id_token_foreign_key: bool = False


@dataclass
class FakeEsia:
    base_url: str
    signer_url: str
    public_key_pem: str
    accounts: dict[str, Account]
    """Authorization code → account."""
    signed: list[bytes] = field(default_factory=list)
    """Every string the signer was asked to sign."""
    signer_down: bool = False


def _handler(esia: FakeEsia, key: rsa.RSAPrivateKey, foreign: rsa.RSAPrivateKey) -> type:
    tokens: dict[str, Account] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("content-length", "0")))

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path == "/signer":
                text = self._body()
                if esia.signer_down:
                    self._send(503, {"error": "down"})
                    return
                esia.signed.append(text)
                self._send(200, base64.b64encode(fake_signature(text)), "text/plain")
            elif path == "/aas/oauth2/v3/te":
                self._token(parse_qs(self._body().decode()))
            else:
                self._send(404, {"error": "not found"})

        def _token(self, form: dict[str, list[str]]) -> None:
            f = {k: v[0] for k, v in form.items()}
            signed = (
                f["client_id"] + f["scope"] + f["timestamp"] + f["state"] + f["redirect_uri"]
            ) + f["code"]
            secret = base64.urlsafe_b64decode(f["client_secret"])
            account = esia.accounts.get(f["code"])
            if (
                f.get("grant_type") != "authorization_code"
                or f["client_id"] != CLIENT_ID
                or secret != fake_signature(signed.encode())
                or account is None
            ):
                self._send(400, {"error": "invalid_grant"})
                return
            access = f"access-{account.oid}-{time.monotonic_ns()}"
            tokens[access] = account
            now = int(time.time())
            subject: dict[str, object] = {
                "urn:esia:sbj:typ": "P",
                "urn:esia:sbj:oid": int(account.oid),
            }
            if account.trusted:
                subject["urn:esia:sbj:is_tru"] = True
            id_token = jwt.encode(
                {
                    "iss": ISSUER,
                    "aud": account.id_token_audience,
                    "sub": int(account.oid),
                    "iat": now,
                    "exp": now + account.id_token_lifetime_s,
                    "urn:esia:sbj": subject,
                },
                foreign if account.id_token_foreign_key else key,
                algorithm="RS256",
            )
            self._send(
                200,
                {
                    "access_token": access,
                    "id_token": id_token,
                    "state": f["state"],
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )

        def do_GET(self) -> None:
            account = tokens.get(self.headers.get("authorization", "").removeprefix("Bearer "))
            parts = urlsplit(self.path)
            if account is None:
                self._send(401, {"error": "invalid_token"})
                return
            prefix = f"/rs/prns/{account.oid}"
            if parts.path == prefix:
                self._send(200, {"birthDate": account.birth_date, "firstName": "Анна"})
            elif parts.path == prefix + "/addrs":
                elements = [self._address("PLV", MOSCOW_FIAS, 1)]
                if account.registration_fias is not None:
                    elements.append(self._address("PRG", account.registration_fias, 2))
                if account.addresses_as_links:
                    links = [f"{esia.base_url}{prefix}/addrs/{e['id']}" for e in elements]
                    self._send(200, {"size": len(links), "elements": links})
                else:
                    self._send(200, {"size": len(elements), "elements": elements})
            elif parts.path.startswith(prefix + "/addrs/"):
                number = int(parts.path.rsplit("/", 1)[1])
                kind, fias = (
                    ("PLV", MOSCOW_FIAS) if number == 1 else ("PRG", account.registration_fias)
                )
                self._send(200, self._address(kind, fias or "", number))
            else:
                self._send(404, {"error": "not found"})

        @staticmethod
        def _address(kind: str, fias: str, number: int) -> dict[str, object]:
            parts = _PARTS.get(fias, {"countryId": "RUS", "city": "г. Москва"})
            return {
                "id": number,
                "type": kind,
                "stateFacts": ["Identifiable"],
                **parts,
                "addressStr": ", ".join(parts[k] for k in parts if k != "countryId"),
                "fiasCode": fias,
            }

    return Handler


@contextmanager
def running_fake_esia(accounts: dict[str, Account]) -> Iterator[FakeEsia]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    esia = FakeEsia(
        base_url=base, signer_url=f"{base}/signer", public_key_pem=pem.decode(), accounts=accounts
    )
    server.RequestHandlerClass = _handler(esia, key, foreign)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield esia
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
