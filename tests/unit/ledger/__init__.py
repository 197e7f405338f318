"""Unit tests of shared.ledger, one module per ledger module."""
