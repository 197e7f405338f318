"""In-memory key rings for token tests (no files)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.identity.keys import SessionKeyRing, key_id


def key_ring(*extra: Ed25519PrivateKey) -> SessionKeyRing:
    """A ring signing with a new key, also verifying with ``extra`` keys."""
    signing = Ed25519PrivateKey.generate()
    keys = {key_id(k.public_key()): k.public_key() for k in (signing, *extra)}
    return SessionKeyRing(
        current_kid=key_id(signing.public_key()), signing_key=signing, public_keys=keys
    )
