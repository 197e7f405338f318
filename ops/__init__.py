"""Operations tooling: running the platform on one machine (``vmeste dev``, ``vmeste cluster``,
``vmeste witness``), the processes the tests start, and the fault drills.

Imported by the command line (``cli``) and the tests, never by the services or the libraries
they are built from (``shared``): a service process never loads it.
"""
