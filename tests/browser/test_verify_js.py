"""verify.js in the real Chromium, against crafted logs: every check's verdict for an honest
log and for each way a server can lie.

A harness origin (``https://verify.test``, served by Playwright's router, so no server runs)
serves the module from ``shared/web/ui/static`` and a fake log API whose answers each test
writes; the logs, proofs and signatures come from ``tests.browser.forge``, built apart from the
code under test. The shared RFC 6962 vectors check the Merkle port itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shared.log.receipt import tracking_code
from tests.browser import forge
from tests.browser.forge import Key
from tests.unit.log._support import load_vectors

STATIC = Path(__file__).resolve().parents[2] / "shared" / "web" / "ui" / "static"
ORIGIN = "verify.test/polls/p1"
LOG_API = "/api/v1/logs/p1"
BASE = "https://verify.test"
CHECKS = ("receipt", "inclusion", "signature", "witnesses", "consistency")

LOG_KEY = Key.generate("vmeste-polls")
WITNESSES = (Key.generate("chamber", forge.WITNESS), Key.generate("university", forge.WITNESS))
ENTRIES = [f"ballot {i}".encode() for i in range(5)]
LEAVES = [forge.leaf(e) for e in ENTRIES]
MINE = 3
"""The index of "our" ballot in the honest log."""
CODE = tracking_code(LEAVES[MINE])


def pinned(quorum: int = 2, witnesses: tuple[Key, ...] = WITNESSES) -> dict[str, Any]:
    return {
        "keys": [LOG_KEY.verifier],
        "witnesses": [w.verifier for w in witnesses],
        "quorum": quorum,
        "origin": ORIGIN,
        "log": LOG_API,
    }


def tracking(
    leaves: list[bytes] = LEAVES, index: int = MINE, note: str | None = None
) -> dict[str, Any]:
    """The tracking answer of an honest log holding ``leaves``, for the entry at ``index``."""
    return {
        "tracking_code": tracking_code(leaves[index]),
        "entry_hash": leaves[index].hex(),
        "status": "included",
        "inclusion": {
            "leaf_index": index,
            "tree_size": len(leaves),
            "proof": forge.b64(forge.inclusion_proof(index, leaves)),
            "checkpoint": note or forge.signed_checkpoint(ORIGIN, leaves, LOG_KEY, *WITNESSES),
        },
    }


@dataclass
class Harness:
    page: Any
    api: dict[str, tuple[int, Any]] = field(default_factory=dict)
    """Answers of the fake log API by path and query, e.g. ``/tracking/XXXX-XXXX-XX``."""

    def serve(self, route: Any) -> None:
        url = route.request.url[len(BASE) :]
        if url.startswith("/static/ui/"):
            path = STATIC / url.removeprefix("/static/ui/").split("?")[0]
            route.fulfill(path=str(path), content_type="text/javascript")
        elif url.startswith(LOG_API):
            status, body = self.api.get(url[len(LOG_API) :], (404, {"detail": "not found"}))
            text = body if isinstance(body, str) else json.dumps(body)
            kind = "text/plain" if isinstance(body, str) else "application/json"
            route.fulfill(status=status, body=text, content_type=kind)
        else:
            route.fulfill(
                body="<!doctype html><title>verify.js harness</title>", content_type="text/html"
            )

    def remember(self, leaves: list[bytes], note: str | None = None) -> None:
        """Make the browser have seen a checkpoint of ``leaves`` earlier."""
        note = note or forge.signed_checkpoint(ORIGIN, leaves, LOG_KEY, *WITNESSES)
        seen = {
            "size": str(len(leaves)),
            "root": base64.b64encode(forge.root(leaves)).decode(),
            "note": note,
            "at": "2026-11-01T10:00:00.000Z",
        }
        self.page.evaluate(
            "([k, v]) => localStorage.setItem(k, v)",
            [f"vmeste.checkpoint.{ORIGIN}", json.dumps(seen)],
        )

    def remembered(self) -> dict[str, Any] | None:
        raw = self.page.evaluate(f"localStorage.getItem('vmeste.checkpoint.{ORIGIN}')")
        return json.loads(raw) if raw else None

    def run(
        self,
        code: str = CODE,
        receipt: str = "",
        pins: dict[str, Any] | None = None,
        storage: bool = True,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(
            """async ([pinned, code, receipt, remembers]) => {
                const v = await import("/static/ui/verify.js");
                const storage = remembers ? localStorage : null;
                const r = await v.verifyEntry({
                    pinned, code, receipt, http: v.httpOf(), storage,
                });
                const plain = (k, x) => (typeof x === "bigint" ? String(x) : x);
                return JSON.parse(JSON.stringify(r, plain));
            }""",
            [pins or pinned(), code, receipt, storage],
        )
        return result

    def honest(self, leaves: list[bytes] = LEAVES, index: int = MINE) -> dict[str, Any]:
        answer = tracking(leaves, index)
        self.api[f"/tracking/{tracking_code(leaves[index])}"] = (200, answer)
        return answer


def states(result: dict[str, Any]) -> dict[str, str]:
    return {name: result["checks"][name]["state"] for name in CHECKS if name in result["checks"]}


def failed(result: dict[str, Any]) -> set[str]:
    return {name for name, state in states(result).items() if state == "fail"}


@pytest.fixture
def harness(context: Any) -> Iterator[Harness]:
    page = context.new_page()
    h = Harness(page)
    context.route(f"{BASE}/**", h.serve)
    page.goto(f"{BASE}/harness")
    yield h
    page.close()


def test_merkle_port_gives_every_shared_vector_its_verdict(harness: Harness) -> None:
    vectors = [
        {"kind": name.split("/")[0], **v}
        for name, v in load_vectors("inclusion") + load_vectors("consistency")
    ]
    verdicts = harness.page.evaluate(
        """async (vectors) => {
            const v = await import("/static/ui/verify.js");
            const out = [];
            for (const x of vectors) {
                const proof = (x.proof || []).map(v.b64decode);
                try {
                    if (x.kind === "inclusion") {
                        await v.verifyInclusion(x.leafIdx, x.treeSize, v.b64decode(x.leafHash),
                                                proof, v.b64decode(x.root));
                    } else {
                        await v.verifyConsistency(x.size1, x.size2, proof, v.b64decode(x.root1),
                                                  v.b64decode(x.root2));
                    }
                    out.push(false);
                } catch (e) {
                    out.push(e instanceof v.VerifyError ? true : String(e));
                }
            }
            return out;
        }""",
        vectors,
    )
    assert len(vectors) >= 190
    wrong = [
        (v["kind"], v.get("desc", ""), got)
        for v, got in zip(vectors, verdicts, strict=True)
        if got is not v["wantErr"]
    ]
    assert not wrong, wrong


def test_proofs_of_every_leaf_and_size_verify(harness: Harness) -> None:
    leaves = [forge.leaf(bytes([n])) for n in range(17)]
    cases = [
        {
            "size": size,
            "index": index,
            "proof": forge.b64(forge.inclusion_proof(index, leaves[:size])),
            "root": base64.b64encode(forge.root(leaves[:size])).decode(),
            "leaf": base64.b64encode(leaves[index]).decode(),
            "old": base64.b64encode(forge.root(leaves[: index + 1])).decode(),
            "consistency": forge.b64(forge.consistency_proof(index + 1, leaves[:size])),
        }
        for size in range(1, 18)
        for index in range(size)
    ]
    errors = harness.page.evaluate(
        """async (cases) => {
            const v = await import("/static/ui/verify.js");
            const d = v.b64decode;
            const errors = [];
            for (const c of cases) {
                try {
                    await v.verifyInclusion(c.index, c.size, d(c.leaf), c.proof.map(d), d(c.root));
                    await v.verifyConsistency(c.index + 1, c.size, c.consistency.map(d),
                                              d(c.old), d(c.root));
                } catch (e) {
                    errors.push([c.index, c.size, String(e)]);
                }
            }
            return errors;
        }""",
        cases,
    )
    assert not errors, errors


def test_an_honest_log_passes_every_check_and_is_remembered(harness: Harness) -> None:
    harness.honest()
    result = harness.run()
    assert result["status"] == "verified", result
    assert states(result) == {
        "receipt": "skip",
        "inclusion": "pass",
        "signature": "pass",
        "witnesses": "pass",
        "consistency": "pass",
    }
    assert result["checks"]["inclusion"]["params"] == {"code": CODE, "index": "3", "size": "5"}
    assert result["checks"]["witnesses"]["params"] == {"have": "2", "need": "2", "total": "2"}
    assert result["checks"]["consistency"]["message"] == "consistency.first"
    seen = harness.remembered()
    assert seen is not None
    assert (seen["size"], seen["root"]) == ("5", base64.b64encode(forge.root(LEAVES)).decode())

    again = harness.run()
    assert again["status"] == "verified"
    assert again["checks"]["consistency"]["message"] == "consistency.same"


def _swap_checkpoint(answer: dict[str, Any], note: str) -> dict[str, Any]:
    return {**answer, "inclusion": {**answer["inclusion"], "checkpoint": note}}


def _with_inclusion(answer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**answer, "inclusion": {**answer["inclusion"], **changes}}


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _corrupt_last_line(note: str) -> str:
    """The note with the signature bytes of its last signature line altered."""
    head, _, last = note[:-1].rpartition("\n")
    name, _, blob = last.partition(" ")[2].partition(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    return f"{head}\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"


OTHER_KEY = Key.generate("vmeste-polls")
STRANGER = Key.generate("stranger", forge.WITNESS)
BODY = forge.checkpoint_body(ORIGIN, LEAVES)

LIES: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str, str]] = {
    "a wrong proof hash": (
        lambda a: _with_inclusion(
            a, proof=[_flip(a["inclusion"]["proof"][0]), *a["inclusion"]["proof"][1:]]
        ),
        "inclusion",
        "root-mismatch",
    ),
    "a proof one hash short": (
        lambda a: _with_inclusion(a, proof=a["inclusion"]["proof"][:-1]),
        "inclusion",
        "proof-size",
    ),
    "a proof for another index": (
        lambda a: _with_inclusion(a, leaf_index=2),
        "inclusion",
        "root-mismatch",
    ),
    "a proof for another tree size": (
        lambda a: _with_inclusion(a, tree_size=6),
        "inclusion",
        "proof",
    ),
    "another entry for the code": (
        lambda a: {
            **a,
            "entry_hash": LEAVES[2].hex(),
            "inclusion": tracking(LEAVES, 2)["inclusion"],
        },
        "inclusion",
        "other-entry",
    ),
    "a checkpoint signed by another key of the same name": (
        lambda a: _swap_checkpoint(
            a,
            forge.cosign(
                WITNESSES[1], forge.cosign(WITNESSES[0], forge.sign_note(BODY, OTHER_KEY))
            ),
        ),
        "signature",
        "unknown-key",
    ),
    "a forged signature by the pinned key": (
        lambda a: _swap_checkpoint(
            a,
            forge.cosign(
                WITNESSES[1],
                forge.cosign(WITNESSES[0], _corrupt_last_line(forge.sign_note(BODY, LOG_KEY))),
            ),
        ),
        "signature",
        "signature",
    ),
    "a checkpoint of another log": (
        lambda a: _swap_checkpoint(
            a,
            forge.signed_checkpoint("verify.test/polls/other", LEAVES, LOG_KEY, *WITNESSES),
        ),
        "signature",
        "origin",
    ),
    "a checkpoint without cosignatures": (
        lambda a: _swap_checkpoint(a, forge.signed_checkpoint(ORIGIN, LEAVES, LOG_KEY)),
        "witnesses",
        "quorum",
    ),
    "one cosignature of the two needed, and one of an unknown witness": (
        lambda a: _swap_checkpoint(
            a, forge.signed_checkpoint(ORIGIN, LEAVES, LOG_KEY, WITNESSES[0], STRANGER)
        ),
        "witnesses",
        "quorum",
    ),
    "a cosignature that does not verify": (
        lambda a: _swap_checkpoint(
            a,
            _corrupt_last_line(forge.signed_checkpoint(ORIGIN, LEAVES, LOG_KEY, *WITNESSES)),
        ),
        "witnesses",
        "cosignature",
    ),
}


@pytest.mark.parametrize("lie", list(LIES))
def test_each_lie_fails_exactly_its_check(harness: Harness, lie: str) -> None:
    mutate, check, reason = LIES[lie]
    harness.api[f"/tracking/{CODE}"] = (200, mutate(tracking()))
    result = harness.run()
    assert result["status"] == "failed", result
    assert failed(result) == {check}, result
    assert result["checks"][check]["reason"] == reason, result["checks"][check]


def test_an_unsigned_checkpoint_is_not_remembered(harness: Harness) -> None:
    harness.api[f"/tracking/{CODE}"] = (200, LIES["a checkpoint of another log"][0](tracking()))
    harness.run()
    assert harness.remembered() is None


def test_unknown_witnesses_are_ignored_when_the_quorum_is_there(harness: Harness) -> None:
    note = forge.signed_checkpoint(ORIGIN, LEAVES, LOG_KEY, STRANGER, *WITNESSES)
    harness.api[f"/tracking/{CODE}"] = (200, _swap_checkpoint(tracking(), note))
    result = harness.run()
    assert result["status"] == "verified", result
    assert result["checks"]["witnesses"]["params"]["have"] == "2"


def test_a_log_without_witnesses_is_said_so_but_does_not_fail(harness: Harness) -> None:
    note = forge.signed_checkpoint(ORIGIN, LEAVES, LOG_KEY)
    harness.api[f"/tracking/{CODE}"] = (200, _swap_checkpoint(tracking(), note))
    result = harness.run(pins=pinned(quorum=0, witnesses=()))
    assert result["status"] == "verified", result
    assert result["checks"]["witnesses"]["state"] == "skip"
    assert result["checks"]["witnesses"]["message"] == "witnesses.none"


# --- the browser's memory: forks ----------------------------------------------------------

FORKED = [*LEAVES[:MINE], forge.leaf(b"a ballot that was never cast"), *LEAVES[MINE + 1 :]]


def test_a_checkpoint_of_the_same_size_with_another_root_is_a_fork(harness: Harness) -> None:
    earlier = forge.signed_checkpoint(ORIGIN, FORKED, LOG_KEY, *WITNESSES)
    harness.remember(FORKED, earlier)
    shown = harness.honest()
    result = harness.run()
    assert result["status"] == "failed"
    assert failed(result) == {"consistency"}
    assert result["checks"]["consistency"]["reason"] == "fork"
    assert result["checks"]["consistency"]["params"]["old"] == "5"
    assert result["evidence"][0] == earlier
    assert result["evidence"][1] == shown["inclusion"]["checkpoint"]
    # The browser keeps what it saw first: the fork stays visible on every later visit.
    seen = harness.remembered()
    assert seen is not None
    assert seen["root"] == base64.b64encode(forge.root(FORKED)).decode()
    assert harness.run()["status"] == "failed"


def test_a_newer_checkpoint_that_does_not_extend_the_one_seen_is_a_fork(
    harness: Harness,
) -> None:
    harness.remember(FORKED[:4])
    harness.honest()
    harness.api["/consistency?first=4&second=5"] = (
        200,
        {"first": 4, "second": 5, "proof": forge.b64(forge.consistency_proof(4, LEAVES))},
    )
    result = harness.run()
    assert failed(result) == {"consistency"}, result
    assert result["checks"]["consistency"]["reason"] == "fork"
    assert len(result["evidence"]) == 2


def test_a_log_that_cannot_prove_consistency_is_a_fork(harness: Harness) -> None:
    harness.remember(LEAVES[:2])
    harness.honest()
    harness.api["/consistency?first=2&second=5"] = (400, {"detail": "bad sizes"})
    result = harness.run()
    assert failed(result) == {"consistency"}, result


def test_a_grown_log_is_checked_with_a_consistency_proof_and_remembered(
    harness: Harness,
) -> None:
    harness.remember(LEAVES[:3])
    harness.honest()
    harness.api["/consistency?first=3&second=5"] = (
        200,
        {"first": 3, "second": 5, "proof": forge.b64(forge.consistency_proof(3, LEAVES))},
    )
    result = harness.run()
    assert result["status"] == "verified", result
    assert result["checks"]["consistency"]["message"] == "consistency.extends"
    assert result["checks"]["consistency"]["params"]["old"] == "3"
    seen = harness.remembered()
    assert seen is not None
    assert seen["size"] == "5"


def test_an_older_checkpoint_consistent_with_the_one_seen_passes(harness: Harness) -> None:
    grown = [*LEAVES, forge.leaf(b"later 1"), forge.leaf(b"later 2")]
    harness.remember(grown)
    harness.honest()
    harness.api["/consistency?first=5&second=7"] = (
        200,
        {"first": 5, "second": 7, "proof": forge.b64(forge.consistency_proof(5, grown))},
    )
    result = harness.run()
    assert result["status"] == "verified", result
    assert result["checks"]["consistency"]["message"] == "consistency.older"
    seen = harness.remembered()
    assert seen is not None
    assert seen["size"] == "7"


def test_without_storage_the_fork_check_is_said_to_be_impossible(harness: Harness) -> None:
    harness.honest()
    result = harness.run(storage=False)
    assert result["status"] == "verified", result
    assert result["checks"]["consistency"]["state"] == "skip"
    assert result["checks"]["consistency"]["message"] == "consistency.nostorage"


# --- receipts -----------------------------------------------------------------------------


def test_a_signed_receipt_alone_finds_and_verifies_the_ballot(harness: Harness) -> None:
    harness.honest()
    result = harness.run(code="", receipt=forge.receipt(ORIGIN, LEAVES[MINE], LOG_KEY))
    assert result["status"] == "verified", result
    assert result["code"] == CODE
    assert result["checks"]["receipt"]["state"] == "pass"
    assert result["checks"]["receipt"]["params"]["code"] == CODE


@pytest.mark.parametrize(
    ("receipt", "reason"),
    [
        (forge.receipt(ORIGIN, LEAVES[MINE], OTHER_KEY), "unknown-key"),
        (forge.receipt("verify.test/polls/other", LEAVES[MINE], LOG_KEY), "origin"),
        (forge.receipt(ORIGIN, LEAVES[1], LOG_KEY), "other-entry"),
        (_corrupt_last_line(forge.receipt(ORIGIN, LEAVES[MINE], LOG_KEY)), "signature"),
        (forge.sign_note("vmeste/receipt/v1\nnot a receipt\n", LOG_KEY), "malformed"),
    ],
    ids=["another key", "another log", "another ballot", "forged signature", "malformed"],
)
def test_a_bad_receipt_fails_the_receipt_check(harness: Harness, receipt: str, reason: str) -> None:
    harness.honest()
    result = harness.run(receipt=receipt)
    assert result["status"] == "failed"
    assert "receipt" in failed(result)
    assert result["checks"]["receipt"]["reason"] == reason


# --- entries not in the log yet -----------------------------------------------------------


def test_a_pooled_ballot_waits_without_failing(harness: Harness) -> None:
    harness.api[f"/tracking/{CODE}"] = (
        200,
        {
            "tracking_code": CODE,
            "entry_hash": None,
            "status": "pooled",
            "pool": {"waiting": 3, "batch": 20},
        },
    )
    result = harness.run()
    assert result["status"] == "pooled", result
    assert result["checks"]["inclusion"]["state"] == "wait"
    assert result["checks"]["inclusion"]["params"]["waiting"] == "3"
    assert result["checks"]["signature"]["state"] == "wait"  # the log has no checkpoint yet

    harness.api["/checkpoint"] = (200, forge.signed_checkpoint(ORIGIN, LEAVES, LOG_KEY, *WITNESSES))
    checked = harness.run()
    assert checked["status"] == "pooled", checked
    assert states(checked)["signature"] == "pass"
    assert states(checked)["witnesses"] == "pass"
    assert states(checked)["consistency"] == "pass"


def test_an_unknown_code_and_a_malformed_code_are_told_apart(harness: Harness) -> None:
    assert harness.run()["status"] == "not_found"
    assert harness.run(code="not a code")["status"] == "invalid_code"
