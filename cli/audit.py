"""``vmeste audit``: verify a downloaded board, or one receipt against it, offline.

Both commands need the keys to trust: ``--keys FILE|URL`` (the service's published keys JSON
from ``/api/v1/keys``, or a text file of verifier keys), or an explicit ``--trust-board-keys``
that checks the board only against the keys it carries itself. Witness cosignatures are
checked with ``--witness-keys`` and ``--quorum`` (or the witnesses and quorum of the keys
JSON); ``--seen`` checks checkpoints kept from earlier against the board.

Exit status: 0 every check passed against the given keys; 1 something failed (each failure
is printed with where it is: entry index, checkpoint size, seen file); 2 the input could not
be read or the command was refused (no keys, bad options); 3 every check passed but only
against the board's own keys (``--trust-board-keys``), which proves self-consistency only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from shared.comment_period.report import report_from_board
from shared.log.audit import (
    AuditReport,
    Finding,
    SeenCheckpoint,
    SeenStatus,
    TallyHook,
    audit_board,
    check_receipt,
)
from shared.log.board import BoardFormatError, BoardHeader
from shared.log.cosignature import WitnessKey
from shared.log.note import NoteError, Verifier
from shared.tally.results import recompute_from_board

__all__ = ("EXIT_SELF_CONSISTENT_ONLY", "audit_app")

EXIT_SELF_CONSISTENT_ONLY = 3
"""Everything passed, but only against the keys the board carries itself."""

audit_app = typer.Typer(help="Verify boards and receipts offline.", no_args_is_help=True)
_console = Console(stderr=False)
_err = Console(stderr=True)

_TALLIES: dict[str, TallyHook] = {
    "poll": recompute_from_board,
    "comment-period": report_from_board,
}
"""Which recomputation checks each kind of log's certified results."""

_KEYS_HELP = (
    "The service's published keys, file or URL: the JSON of GET /api/v1/keys "
    '({"keys": [...], "witnesses": [...], "quorum": N}; its witnesses and quorum are then '
    "checked too, unless --witness-keys/--quorum say otherwise), or a text file of signed-note "
    "verifier keys, one a line. Required unless --trust-board-keys."
)
_TRUST_HELP = (
    "Check the board against the verifier keys it carries itself. That proves only that the "
    "board is consistent with itself, not that the service signed it: prints a warning and "
    f"exits {EXIT_SELF_CONSISTENT_ONLY} instead of 0 when everything else passes."
)
_WITNESS_HELP = (
    "Witness cosignature/v1 verifier keys (name+hexid+base64), one a line, or a keys JSON "
    "whose 'witnesses' are used. Overrides the witnesses of --keys."
)
_QUORUM_HELP = (
    "How many of the witness keys must have validly cosigned the final checkpoint (for a "
    "receipt: a checkpoint covering its entry). Overrides the quorum of --keys; 0 checks none."
)
_SEEN_HELP = (
    "A file (or URL) of signed checkpoints of this log seen earlier (a browser, a newspaper, a "
    "witness): one signed note, or several separated by a line holding only a form feed. Each "
    "must verify with the log keys and match the board. Repeat for several files."
)


def _refuse(message: str) -> NoReturn:
    _err.print(f"[red]{escape(message)}[/red]", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


@contextmanager
def _local(board: str) -> Iterator[Path]:
    """The board as a local file: a path as given, a URL downloaded to a temporary file."""
    if not board.startswith(("http://", "https://")):
        path = Path(board)
        if not path.is_file():
            _refuse(f"no such board file: {board}")
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as tmp:
        try:
            with httpx.stream("GET", board, timeout=60, follow_redirects=True) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes(1 << 20):
                    tmp.write(chunk)
        except httpx.HTTPError as exc:
            _refuse(f"could not download {board}: {exc}")
        tmp.flush()
        yield Path(tmp.name)


def _text(source: str, what: str) -> str:
    """A small text input (keys, a seen checkpoint): a file, or a URL fetched."""
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=30, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            _refuse(f"could not download {what} {source}: {exc}")
        return response.text
    path = Path(source)
    if not path.is_file():
        _refuse(f"no such {what} file: {source}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _refuse(f"cannot read {what} file {source}: {exc}")


class _PublishedKeys(msgspec.Struct):
    """The JSON of ``GET /api/v1/keys``."""

    keys: list[str] = msgspec.field(default_factory=list)
    witnesses: list[str] = msgspec.field(default_factory=list)
    quorum: int | None = None


def _key_list(source: str, what: str) -> _PublishedKeys:
    """Keys JSON, or a text file of keys one a line (blank lines and ``#`` comments skipped);
    a text file's keys land in ``keys``."""
    text = _text(source, what)
    if text.lstrip().startswith("{"):
        try:
            return msgspec.json.decode(text.encode(), type=_PublishedKeys)
        except msgspec.DecodeError as exc:
            _refuse(f"{what} {source} is not the keys JSON of /api/v1/keys: {exc}")
    lines = [line.strip() for line in text.splitlines()]
    return _PublishedKeys(keys=[line for line in lines if line and not line.startswith("#")])


@dataclass(frozen=True, slots=True)
class _Trust:
    keys: list[str] | None
    """The log's verifier keys; None: the board's own (``--trust-board-keys``)."""
    witnesses: list[WitnessKey]
    quorum: int


def _trust(
    keys: str | None, trust_board_keys: bool, witness_keys: str | None, quorum: int | None
) -> _Trust:
    if keys is None and not trust_board_keys:
        _refuse(
            "refusing to audit without the keys to trust: pass --keys FILE|URL (the keys JSON "
            "of the service's /api/v1/keys, or a file of its verifier keys), or "
            "--trust-board-keys to check only that the board is consistent with itself"
        )
    if keys is not None and trust_board_keys:
        _refuse("--keys and --trust-board-keys exclude each other")
    log_keys: list[str] | None = None
    witness_texts: list[str] = []
    published_quorum: int | None = None
    if keys is not None:
        published = _key_list(keys, "keys")
        if not published.keys:
            _refuse(f"no verifier keys in {keys}")
        for text in published.keys:
            try:
                Verifier.parse(text)
            except NoteError as exc:
                _refuse(f"bad verifier key in {keys}: {exc}")
        log_keys = published.keys
        witness_texts, published_quorum = published.witnesses, published.quorum
    if witness_keys is not None:
        given = _key_list(witness_keys, "witness keys")
        witness_texts = given.witnesses or given.keys
        if given.quorum is not None:
            published_quorum = given.quorum
        if not witness_texts:
            _refuse(f"no witness keys in {witness_keys}")
    witnesses: dict[tuple[str, int], WitnessKey] = {}
    for text in witness_texts:
        try:
            key = WitnessKey.parse(text)
        except NoteError as exc:
            _refuse(f"bad witness key: {exc}")
        witnesses.setdefault((key.name, key.key_id), key)
    need = quorum if quorum is not None else published_quorum
    if need is None:
        if witnesses:
            _refuse("witness keys given without a quorum: add --quorum N")
        need = 0
    if need < 0:
        _refuse("--quorum cannot be negative")
    if need and not witnesses:
        _refuse(
            f"a quorum of {need} needs witness keys: --witness-keys FILE, or --keys with a "
            "keys JSON that lists them"
        )
    if need > len(witnesses):
        _refuse(f"a quorum of {need} needs {need} distinct witness keys, {len(witnesses)} given")
    return _Trust(log_keys, list(witnesses.values()), need)


def _seen(sources: list[str] | None) -> list[SeenCheckpoint]:
    """Every note of every ``--seen`` file, labelled by file (and position if several)."""
    out: list[SeenCheckpoint] = []
    for source in sources or ():
        text = _text(source, "seen checkpoint").replace("\r\n", "\n")
        notes = [piece.strip("\n") + "\n" for piece in text.split("\f") if piece.strip()]
        if not notes:
            _refuse(f"no checkpoint in {source}")
        for k, note in enumerate(notes, start=1):
            out.append((source if len(notes) == 1 else f"{source} #{k}", note))
    return out


def _where(finding: Finding) -> str:
    parts = []
    if finding.index is not None:
        parts.append(f"entry {finding.index}")
    if finding.size is not None:
        parts.append(f"checkpoint size {finding.size}")
    return ", ".join(parts) or "-"


def _yes(ok: bool | None, good: str = "ok", bad: str = "BAD") -> str:
    return "not bound (certificate v1)" if ok is None else good if ok else bad


def _seen_row(seen: list[SeenStatus]) -> str:
    good = sum(s.consistent is True for s in seen)
    return f"{good} of {len(seen)} consistent with the board"


def _print_report(report: AuditReport, trust: _Trust) -> None:
    summary = Table(title=f"Board {report.origin}", show_header=False)
    summary.add_row("log kind", report.log_kind)
    summary.add_row("entries", f"{report.entries:,}")
    summary.add_row("root", report.root.hex())
    summary.add_row(
        "checkpoints",
        f"{sum(c.signature_ok and c.root_ok is not False for c in report.checkpoints)}"
        f" of {len(report.checkpoints)} verified",
    )
    if report.quorum:
        final = max(
            (c for c in report.checkpoints if c.size is not None),
            key=lambda c: (c.size or 0, len(c.cosigned_by)),
            default=None,
        )
        summary.add_row(
            "witness quorum",
            f"{report.quorum} of {len(trust.witnesses)} witnesses; final checkpoint "
            + (
                "none"
                if final is None
                else f"size {final.size} cosigned by {len(final.cosigned_by)}"
                + (f" ({', '.join(final.cosigned_by)})" if final.cosigned_by else "")
            ),
        )
    else:
        summary.add_row("witness quorum", "not checked")
    if report.seen:
        summary.add_row("seen checkpoints", _seen_row(report.seen))
    cert = report.certificate
    summary.add_row(
        "tally certificate",
        "none"
        if cert is None
        else f"v{cert.version}, signature {'ok' if cert.signature_ok else 'BAD'}, bound to "
        f"final checkpoint {'yes' if cert.bound_to_final_checkpoint else 'NO'}, results "
        f"{'ok' if cert.results_ok else 'BAD'}, definition {_yes(cert.definition_ok)}, "
        f"turnout {_yes(cert.turnout_ok, 'equals the entries', 'DIFFERS')}, "
        f"recomputed tally: {cert.tally}",
    )
    if report.cancellation is not None:
        summary.add_row(
            "cancelled",
            f"sealed at {report.cancellation.size:,} entries, no result; reason: "
            f"{escape(report.cancellation.reason)}",
        )
    summary.add_row("keys", "from the board itself" if report.keys_from_board else "given")
    _console.print(summary)
    _print_findings(report.findings)


def _print_findings(findings: list[Finding]) -> None:
    # One line each rather than a table, so nothing is cut off in a narrow terminal.
    for f in findings:
        colour = "red" if f.severity == "error" else "yellow"
        _console.print(
            f"[{colour}]{f.severity}[/{colour}] {f.code} ({_where(f)}): {escape(f.message)}",
            soft_wrap=True,
            highlight=False,
        )


def _no_quorum_note(trust: _Trust) -> None:
    if not trust.quorum:
        _console.print(
            "[yellow]no witness quorum checked: without witnesses a log could show this board "
            "to you and another one to others; pass --witness-keys and --quorum, or the keys "
            "JSON that lists them[/yellow]",
            soft_wrap=True,
        )


def _finish(ok: bool, trust: _Trust, failed: str, passed: str) -> None:
    if not ok:
        _console.print(f"[red bold]{failed}[/red bold]", soft_wrap=True)
        raise typer.Exit(1)
    if trust.keys is None:
        _err.print(
            "[yellow bold]WARNING: checked against the keys the board carries itself "
            "(--trust-board-keys): this proves only that the board is consistent with itself, "
            "not that the service signed it. Pin the published keys with --keys.[/yellow bold]",
            soft_wrap=True,
        )
        _console.print(f"[yellow bold]SELF-CONSISTENT ONLY: {passed}[/yellow bold]", soft_wrap=True)
        raise typer.Exit(EXIT_SELF_CONSISTENT_ONLY)
    _console.print(f"[green bold]OK: {passed}[/green bold]", soft_wrap=True)


@audit_app.command("verify")
def verify(
    board: str = typer.Argument(..., help="Board file (.jsonl) or its URL."),
    keys: str | None = typer.Option(None, "--keys", metavar="FILE|URL", help=_KEYS_HELP),
    trust_board_keys: bool = typer.Option(False, "--trust-board-keys", help=_TRUST_HELP),
    witness_keys: str | None = typer.Option(
        None, "--witness-keys", metavar="FILE|URL", help=_WITNESS_HELP
    ),
    quorum: int | None = typer.Option(None, "--quorum", metavar="N", help=_QUORUM_HELP),
    seen: list[str] | None = typer.Option(None, "--seen", metavar="FILE|URL", help=_SEEN_HELP),
) -> None:
    """Verify every leaf, every checkpoint, their consistency, the witnesses' quorum, the
    checkpoints seen earlier, the certificate (definition and turnout too) and the tally."""
    trust = _trust(keys, trust_board_keys, witness_keys, quorum)
    seen_notes = _seen(seen)
    with _local(board) as path:
        header = _header(path)
        tally = _TALLIES.get(header.log_kind)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console,
            transient=True,
        ) as progress:
            task = progress.add_task("verifying entries", total=header.size)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                report = audit_board(
                    path,
                    trusted_keys=trust.keys,
                    tally=tally,
                    progress=advance,
                    witnesses=trust.witnesses,
                    quorum=trust.quorum,
                    seen=seen_notes,
                )
            except BoardFormatError as exc:
                _refuse(str(exc))
    _print_report(report, trust)
    if tally is None:
        _console.print(f"[yellow]no tally recomputation for log kind {header.log_kind!r}[/yellow]")
    _no_quorum_note(trust)
    _finish(
        report.ok,
        trust,
        f"FAILED: {len(report.errors)} problem(s)",
        "the board verifies",
    )


def _header(path: Path) -> BoardHeader:
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        return msgspec.json.decode(first, type=BoardHeader)
    except msgspec.DecodeError as exc:
        _refuse(f"not a board: line 1: {exc}")


@audit_app.command("receipt")
def receipt(
    receipt_file: Path = typer.Argument(..., help="The signed receipt as received."),
    board: str = typer.Argument(..., help="Board file (.jsonl) or its URL."),
    keys: str | None = typer.Option(None, "--keys", metavar="FILE|URL", help=_KEYS_HELP),
    trust_board_keys: bool = typer.Option(False, "--trust-board-keys", help=_TRUST_HELP),
    witness_keys: str | None = typer.Option(
        None, "--witness-keys", metavar="FILE|URL", help=_WITNESS_HELP
    ),
    quorum: int | None = typer.Option(None, "--quorum", metavar="N", help=_QUORUM_HELP),
    seen: list[str] | None = typer.Option(None, "--seen", metavar="FILE|URL", help=_SEEN_HELP),
) -> None:
    """Prove that the receipt's ballot or comment is in the log (or that it was dropped)."""
    trust = _trust(keys, trust_board_keys, witness_keys, quorum)
    seen_notes = _seen(seen)
    if not receipt_file.is_file():
        _refuse(f"no such receipt file: {receipt_file}")
    with _local(board) as path:
        try:
            result = check_receipt(
                receipt_file.read_bytes(),
                path,
                trusted_keys=trust.keys,
                witnesses=trust.witnesses,
                quorum=trust.quorum,
                seen=seen_notes,
            )
        except BoardFormatError as exc:
            _refuse(str(exc))
    _print_findings(result.findings)
    if result.seen:
        _console.print(f"seen checkpoints: {_seen_row(result.seen)}")
    if trust.quorum and result.ok:
        _console.print(
            f"checkpoint size {result.checkpoint_size} is cosigned by "
            f"{len(result.cosigned_by)} witnesses (quorum {trust.quorum}): "
            f"{', '.join(result.cosigned_by)}",
            soft_wrap=True,
        )
    _no_quorum_note(trust)
    _finish(
        result.ok,
        trust,
        "FAILED: the receipt's entry is not proven in the log",
        f"entry {result.index} (tracking code {result.tracking_code}) is in the log under the "
        f"signed checkpoint of size {result.checkpoint_size}",
    )
