"""Unit tests of shared.log, one module per logs module."""
