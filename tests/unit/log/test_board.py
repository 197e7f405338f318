"""Board file: writing, reading, refusing malformed files."""

from __future__ import annotations

import io

import pytest

from shared.log.board import (
    BOARD_FORMAT,
    BoardEntries,
    BoardFormatError,
    BoardHeader,
    read_board,
    write_board,
)

from ._support import make_board


def test_board_is_json_lines_in_the_documented_order() -> None:
    board = make_board(n=20, checkpoint_sizes=(5, 20), chunk=8)
    kinds = [r.__class__.__name__ for _, r in read_board(board.lines)]
    assert (
        kinds
        == ["BoardHeader", "BoardCheckpoint", "BoardCheckpoint", "BoardCertificate"]
        + ["BoardEntries"] * 3
    )
    assert board.lines[0].startswith(b'{"type":"header","format":"vmeste-board/v1"')
    entries = [r for _, r in read_board(board.lines) if isinstance(r, BoardEntries)]
    assert [e.start for e in entries] == [0, 8, 16]
    assert [x for e in entries for x in e.entries] == board.entries


def test_writer_refuses_a_short_entry_stream() -> None:
    header = BoardHeader(origin="o", log_kind="poll", size=3, verifier_keys=())
    with pytest.raises(ValueError, match="says 3 entries, 2 were given"):
        write_board(io.BytesIO(), header, [], None, [b"a", b"b"])


def test_reader_names_the_bad_line() -> None:
    board = make_board(n=10, checkpoint_sizes=(10,))
    lines = board.lines
    lines[2] = b'{"type":"checkpoint"}\n'
    with pytest.raises(BoardFormatError, match=r"board line 3: .*note"):
        list(read_board(lines))


def test_unknown_record_type_is_refused() -> None:
    with pytest.raises(BoardFormatError, match="board line 1"):
        list(read_board([b'{"type":"surprise"}\n']))


def test_header_defaults_to_the_current_format() -> None:
    assert BoardHeader(origin="o", log_kind="poll", size=0, verifier_keys=()).format == BOARD_FORMAT
