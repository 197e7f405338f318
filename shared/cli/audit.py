"""``vmeste audit``: verify a downloaded board, or one receipt against it, offline.

Exit status 0 means every check passed; 1 means something failed (each failure is printed
with where it is: entry index, checkpoint size); 2 means the input could not be read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from shared.comment_period.report import report_from_board
from shared.ledger.audit import AuditReport, Finding, TallyHook, audit_board, check_receipt
from shared.ledger.board import BoardFormatError, BoardHeader
from shared.tally.results import recompute_from_board

__all__ = ("audit_app",)

audit_app = typer.Typer(help="Verify boards and receipts offline.", no_args_is_help=True)
_console = Console(stderr=False)

_TALLIES: dict[str, TallyHook] = {
    "poll": recompute_from_board,
    "comment-period": report_from_board,
}
"""Which recomputation checks each kind of log's certified results."""


@contextmanager
def _local(board: str) -> Iterator[Path]:
    """The board as a local file: a path as given, a URL downloaded to a temporary file."""
    if not board.startswith(("http://", "https://")):
        path = Path(board)
        if not path.is_file():
            _console.print(f"[red]no such board file: {board}[/red]")
            raise typer.Exit(2)
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as tmp:
        try:
            with httpx.stream("GET", board, timeout=60, follow_redirects=True) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes(1 << 20):
                    tmp.write(chunk)
        except httpx.HTTPError as exc:
            _console.print(f"[red]could not download {board}: {exc}[/red]")
            raise typer.Exit(2) from None
        tmp.flush()
        yield Path(tmp.name)


def _header(path: Path) -> BoardHeader:
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        return msgspec.json.decode(first, type=BoardHeader)
    except msgspec.DecodeError as exc:
        _console.print(f"[red]not a board: line 1: {exc}[/red]")
        raise typer.Exit(2) from None


def _keys(keys_file: Path | None) -> list[str] | None:
    if keys_file is None:
        return None
    return [line.strip() for line in keys_file.read_text().splitlines() if line.strip()]


def _where(finding: Finding) -> str:
    parts = []
    if finding.index is not None:
        parts.append(f"entry {finding.index}")
    if finding.size is not None:
        parts.append(f"checkpoint size {finding.size}")
    return ", ".join(parts) or "-"


def _print_report(report: AuditReport) -> None:
    summary = Table(title=f"Board {report.origin}", show_header=False)
    summary.add_row("log kind", report.log_kind)
    summary.add_row("entries", f"{report.entries:,}")
    summary.add_row("root", report.root.hex())
    summary.add_row(
        "checkpoints",
        f"{sum(c.signature_ok and c.root_ok is not False for c in report.checkpoints)}"
        f" of {len(report.checkpoints)} verified",
    )
    cert = report.certificate
    summary.add_row(
        "tally certificate",
        "none"
        if cert is None
        else f"signature {'ok' if cert.signature_ok else 'BAD'}, bound to final checkpoint "
        f"{'yes' if cert.bound_to_final_checkpoint else 'NO'}, results "
        f"{'ok' if cert.results_ok else 'BAD'}, recomputed tally: {cert.tally}",
    )
    summary.add_row("keys", "from the board itself" if report.keys_from_board else "given")
    _console.print(summary)
    _print_findings(report.findings)


def _print_findings(findings: list[Finding]) -> None:
    # One line each rather than a table, so nothing is cut off in a narrow terminal.
    for f in findings:
        colour = "red" if f.severity == "error" else "yellow"
        _console.print(
            f"[{colour}]{f.severity}[/{colour}] {f.code} ({_where(f)}): {f.message}",
            soft_wrap=True,
            highlight=False,
        )


@audit_app.command("verify")
def verify(
    board: str = typer.Argument(..., help="Board file (.jsonl) or its URL."),
    keys: Path | None = typer.Option(
        None, "--keys", help="File with the service's published verifier keys, one a line."
    ),
) -> None:
    """Verify every leaf, every checkpoint, their consistency, the certificate and the tally."""
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
                report = audit_board(path, trusted_keys=_keys(keys), tally=tally, progress=advance)
            except BoardFormatError as exc:
                _console.print(f"[red]{exc}[/red]")
                raise typer.Exit(2) from None
    _print_report(report)
    if tally is None:
        _console.print(f"[yellow]no tally recomputation for log kind {header.log_kind!r}[/yellow]")
    if not report.ok:
        _console.print(f"[red bold]FAILED: {len(report.errors)} problem(s)[/red bold]")
        raise typer.Exit(1)
    _console.print("[green bold]OK: the board verifies[/green bold]")


@audit_app.command("receipt")
def receipt(
    receipt_file: Path = typer.Argument(..., help="The signed receipt as received."),
    board: str = typer.Argument(..., help="Board file (.jsonl) or its URL."),
    keys: Path | None = typer.Option(None, "--keys", help="Published verifier keys file."),
) -> None:
    """Prove that the receipt's ballot or comment is in the log (or that it was dropped)."""
    if not receipt_file.is_file():
        _console.print(f"[red]no such receipt file: {receipt_file}[/red]")
        raise typer.Exit(2)
    with _local(board) as path:
        result = check_receipt(receipt_file.read_bytes(), path, trusted_keys=_keys(keys))
    _print_findings(result.findings)
    if not result.ok:
        _console.print("[red bold]FAILED: the receipt's entry is not proven in the log[/red bold]")
        raise typer.Exit(1)
    _console.print(
        f"[green bold]OK: entry {result.index} (tracking code {result.tracking_code}) is in "
        f"the log under the signed checkpoint of size {result.checkpoint_size}[/green bold]"
    )
