"""The pure rules of a comment period's log: its entry format and the report checked against it.

Shared so that the offline auditor's tool can rebuild a report from a board without the
discussions service.
"""
