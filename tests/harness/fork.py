"""A check run in a forked child process, for code that must work after a fork."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ("exit_code_in_forked_child",)


def exit_code_in_forked_child(check: Callable[[], Coroutine[Any, Any, bool]]) -> int:
    """Run ``check`` in a forked child, 10 s at most; the child's exit code: 0 if it returned
    true, 1 if false, 2 if it raised or timed out (the child reports only by its exit code)."""
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os._exit(0 if asyncio.run(asyncio.wait_for(check(), 10)) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)
