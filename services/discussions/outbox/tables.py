"""Persistence of notifications waiting to be delivered (the transactional outbox)."""

from __future__ import annotations

from shared.outbox import make_outbox_table

__all__ = ("OutboxMessage",)

OutboxMessage = make_outbox_table()
