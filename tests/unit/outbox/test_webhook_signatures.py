"""Standard Webhooks signatures: the known answer published with the specification's reference
libraries, an independent computation, and every way a receiver must refuse a message."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pytest

from shared.outbox.webhooks import (
    InvalidWebhookError,
    generate_secret,
    parse_secret,
    sign,
    signed_headers,
    verify,
)

# The example of standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py
# (test_sign_function), the same in every reference library of the specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

AT = dt.datetime.fromtimestamp(SPEC_TIMESTAMP, dt.UTC)


def test_signature_matches_the_specifications_example() -> None:
    assert sign(parse_secret(SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_signature_matches_an_independent_hmac() -> None:
    secret = generate_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    body = '{"topic":"comment.responded","текст":"учтено"}'.encode()
    mac = hmac.new(key, b"m1.1700000000." + body, hashlib.sha256).digest()
    assert (
        sign(parse_secret(secret), "m1", 1700000000, body) == "v1," + base64.b64encode(mac).decode()
    )


def test_receiver_accepts_the_example_and_returns_its_id() -> None:
    headers = signed_headers(parse_secret(SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert headers["webhook-signature"] == SPEC_SIGNATURE
    assert verify(parse_secret(SPEC_SECRET), headers, SPEC_BODY, AT) == SPEC_ID


def test_receiver_accepts_any_matching_signature_during_a_rotation() -> None:
    headers = signed_headers(parse_secret(SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    other = sign(parse_secret(generate_secret()), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers["webhook-signature"] = f"{other} v2,xyz {SPEC_SIGNATURE}"
    assert verify(parse_secret(SPEC_SECRET), headers, SPEC_BODY, AT) == SPEC_ID


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-id": ""}, "missing"),
        ({"webhook-signature": ""}, "missing"),
        ({"webhook-timestamp": "hello"}, "not a number"),
        ({"webhook-timestamp": str(SPEC_TIMESTAMP + 301)}, "too far"),
        ({"webhook-timestamp": str(SPEC_TIMESTAMP - 301)}, "too far"),
        ({"webhook-id": "msg_other"}, "no signature matches"),
        ({"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}, "no signature"),
        ({"webhook-signature": SPEC_SIGNATURE.replace("v1,", "v2,")}, "no signature"),
    ],
)
def test_receiver_refuses(change: dict[str, str], reason: str) -> None:
    headers = signed_headers(parse_secret(SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers.update(change)
    with pytest.raises(InvalidWebhookError, match=reason):
        verify(parse_secret(SPEC_SECRET), headers, SPEC_BODY, AT)


def test_receiver_refuses_a_changed_body_or_another_key() -> None:
    headers = signed_headers(parse_secret(SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    with pytest.raises(InvalidWebhookError):
        verify(parse_secret(SPEC_SECRET), headers, b'{"test": 2432232315}', AT)
    with pytest.raises(InvalidWebhookError):
        verify(parse_secret(generate_secret()), headers, SPEC_BODY, AT)


@pytest.mark.parametrize(
    "text", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_YWJj"]
)
def test_malformed_secrets_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"whsec_|base64|bytes"):
        parse_secret(text)
