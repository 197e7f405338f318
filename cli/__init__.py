"""The ``vmeste`` command line."""
