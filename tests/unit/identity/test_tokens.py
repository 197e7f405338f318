"""Session tokens: what verifies, and every way a forged or stale token is refused."""

from __future__ import annotations

import base64
import datetime as dt
import gc
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.identity.claims import OrganisationGrant, Session
from shared.identity.keys import SessionKeyRing
from shared.identity.tokens import (
    AUDIENCE,
    ISSUER,
    InvalidSessionTokenError,
    SessionClaims,
    TokenService,
)
from tests.harness.clock import FakeClock
from tests.unit.identity._keys import key_ring

CLAIMS = SessionClaims(
    sub="a" * 64,
    trusted=True,
    birth_date=dt.date(1990, 5, 17),
    oktmo="71701000",
    region="72",
    roles=("citizen", "official"),
    orgs=(
        OrganisationGrant(
            org="tyumen-city", role="official", territory=("71701000",), permissions=("moderate",)
        ),
    ),
    sid="sid-1",
)
LIFETIME = dt.timedelta(minutes=15)


def _service(
    keys: SessionKeyRing | None = None, *, audience: str = AUDIENCE, issuer: str = ISSUER
) -> TokenService:
    return TokenService(keys or key_ring(), lifetime=LIFETIME, audience=audience, issuer=issuer)


def _b64(data: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _refused(service: TokenService, token: str) -> str:
    with pytest.raises(InvalidSessionTokenError) as caught:
        service.verify(token)
    return caught.value.reason


def test_issued_token_verifies_to_the_same_session() -> None:
    service = _service()
    token, issued = service.issue(CLAIMS)
    session = service.verify(token)
    assert session == issued
    assert isinstance(session, Session)
    assert session.exp - session.iat == 900
    assert session.has_permission("moderate", "tyumen-city")
    assert not session.has_permission("moderate", "tobolsk-city")
    assert not session.has_permission("polls:manage")


def test_verified_sessions_are_left_out_of_garbage_collection() -> None:
    # Thousands are kept verified; they hold no cycle, so the collector need not walk them.
    service = _service()
    session = service.verify(service.issue(CLAIMS)[0])
    assert session.orgs
    assert not gc.is_tracked(session)
    assert not any(gc.is_tracked(grant) for grant in session.orgs)


def test_header_names_eddsa_and_the_current_key() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == service.keys.current_kid


def test_every_token_has_its_own_id() -> None:
    service = _service()
    assert service.issue(CLAIMS)[1].jti != service.issue(CLAIMS)[1].jti


def test_expired_token_is_refused() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS, now=time.time() - LIFETIME.total_seconds() - 60)
    assert "expired" in _refused(service, token)


def test_token_for_another_audience_is_refused() -> None:
    keys = key_ring()
    token, _ = _service(keys, audience="someone-else").issue(CLAIMS)
    assert "audience" in _refused(_service(keys), token)


def test_token_from_another_issuer_is_refused() -> None:
    keys = key_ring()
    token, _ = _service(keys, issuer="elsewhere").issue(CLAIMS)
    assert "invalid" in _refused(_service(keys), token)


def test_token_signed_by_another_key_under_our_key_id_is_refused() -> None:
    ours = key_ring()
    theirs = Ed25519PrivateKey.generate()
    forged = SessionKeyRing(current_kid=ours.current_kid, signing_key=theirs, public_keys={})
    token, _ = _service(forged).issue(CLAIMS)
    assert "signature" in _refused(_service(ours), token)


def test_token_signed_by_an_unknown_key_is_refused() -> None:
    token, _ = _service(key_ring()).issue(CLAIMS)
    assert "unknown key" in _refused(_service(key_ring()), token)


def test_alg_none_is_refused() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS)
    _, payload, _ = token.split(".")
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': service.keys.current_kid})}.{payload}."
    assert "algorithm" in _refused(service, unsigned)


def test_hmac_keyed_with_the_public_key_is_refused() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS)
    claims = jwt.decode(token, options={"verify_signature": False})
    header = {"alg": "HS256", "typ": "JWT", "kid": service.keys.current_kid}
    body = f"{_b64(header)}.{_b64(claims)}"
    public = service.keys.public_keys[service.keys.current_kid]
    secret = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    forged = f"{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert "algorithm" in _refused(service, forged)


def test_tampered_payload_is_refused() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["citizen", "admin"]
    assert "signature" in _refused(service, f"{header}.{_b64(claims)}.{signature}")


def test_flipped_signature_bit_is_refused() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS)
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[0] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert "signature" in _refused(service, f"{header}.{payload}.{flipped}")


def test_token_without_key_id_is_refused() -> None:
    service = _service()
    claims = jwt.decode(service.issue(CLAIMS)[0], options={"verify_signature": False})
    token = jwt.encode(claims, service.keys.signing_key, algorithm="EdDSA")
    assert "names no key" in _refused(service, token)


def test_token_missing_the_session_id_is_refused() -> None:
    service = _service()
    claims = jwt.decode(service.issue(CLAIMS)[0], options={"verify_signature": False})
    del claims["sid"]
    token = jwt.encode(
        claims,
        service.keys.signing_key,
        algorithm="EdDSA",
        headers={"kid": service.keys.current_kid},
    )
    assert "invalid" in _refused(service, token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_refused_as_malformed(garbage: str) -> None:
    assert "malformed" in _refused(_service(), garbage)


def test_tokens_of_an_older_key_still_verify_after_rotation() -> None:
    before = key_ring()
    token, _ = _service(before).issue(CLAIMS)
    after = key_ring(before.signing_key)
    assert after.current_kid != before.current_kid
    assert _service(after).verify(token).sub == CLAIMS.sub


def _signed(service: TokenService, claims: object) -> str:
    """A token with exactly these claims, genuinely signed with the service's current key."""
    header = _b64({"alg": "EdDSA", "typ": "JWT", "kid": service.keys.current_kid})
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signature = service.keys.signing_key.sign(f"{header}.{body}".encode())
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _claims(service: TokenService, **changes: object) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        service.issue(CLAIMS)[0], options={"verify_signature": False}
    )
    claims.update(changes)
    return claims


def test_token_issued_in_the_future_is_refused() -> None:
    service = _service()
    token = _signed(service, _claims(service, iat=int(time.time()) + 600))
    assert "invalid" in _refused(service, token)


def test_token_not_yet_valid_is_refused() -> None:
    service = _service()
    token = _signed(service, _claims(service, nbf=int(time.time()) + 600))
    assert "invalid" in _refused(service, token)


def test_expiry_within_the_leeway_still_verifies() -> None:
    service = _service()
    token = _signed(service, _claims(service, exp=int(time.time()) - 2))
    assert service.verify(token).sub == CLAIMS.sub


@pytest.mark.parametrize("exp", ["soon", None, True])
def test_token_with_a_non_numeric_expiry_is_refused(exp: object) -> None:
    service = _service()
    assert "invalid" in _refused(service, _signed(service, _claims(service, exp=exp)))


def test_audience_list_naming_us_verifies_and_one_without_us_is_refused() -> None:
    service = _service()
    ok = _signed(service, _claims(service, aud=["elsewhere", AUDIENCE]))
    assert service.verify(ok).sub == CLAIMS.sub
    other = _signed(service, _claims(service, aud=["elsewhere"]))
    assert "another audience" in _refused(service, other)
    odd = _signed(service, _claims(service, aud=[AUDIENCE, 7]))
    assert "another audience" in _refused(service, odd)


def test_payload_that_is_not_an_object_is_refused() -> None:
    service = _service()
    assert "invalid" in _refused(service, _signed(service, ["not", "claims"]))


def test_claims_of_the_wrong_type_are_refused_as_malformed() -> None:
    service = _service()
    token = _signed(service, _claims(service, trusted="yes"))
    assert "malformed" in _refused(service, token)


def test_a_signature_of_the_wrong_length_is_refused() -> None:
    service = _service()
    header, payload, _ = service.issue(CLAIMS)[0].split(".")
    assert "signature" in _refused(service, f"{header}.{payload}.AAAA")


def test_verification_agrees_with_pyjwt_on_a_genuine_token() -> None:
    service = _service()
    token, session = service.issue(CLAIMS)
    key = service.keys.public_keys[service.keys.current_kid]
    claims = jwt.decode(token, key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)
    assert service.verify(token) == session
    assert claims["sid"] == session.sid


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    clock = FakeClock(time.time())
    service = TokenService(key_ring(), lifetime=LIFETIME, clock=clock)
    token, issued = service.issue(CLAIMS, now=clock.now)
    assert service.verify(token) == issued
    clock.now = issued.exp + 4  # within the leeway: still good, from memory
    assert service.verify(token) == issued
    clock.now = issued.exp + 6
    assert "expired" in _refused(service, token)


def test_a_token_altered_after_it_verified_is_still_refused() -> None:
    service = _service()
    token, _ = service.issue(CLAIMS)
    service.verify(token)
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert "signature" in _refused(service, f"{head}.{payload}.{flipped}")
    forged = _b64({**jwt.decode(token, options={"verify_signature": False}), "sub": "b" * 64})
    assert "signature" in _refused(service, f"{head}.{forged}.{signature}")


def test_the_memory_of_verified_tokens_is_bounded() -> None:
    service = TokenService(key_ring(), lifetime=LIFETIME, remembered=3)
    tokens = [service.issue(CLAIMS)[0] for _ in range(5)]
    for token in tokens:
        service.verify(token)
    assert len(service._verified) == 3
    # The evicted ones still verify (again, from the signature).
    assert all(service.verify(token).sub == CLAIMS.sub for token in tokens)
