"""No problem a person reads names a Python class: every title and detail either app can answer
with is written for people ("Invalid rating", not "InvalidError rating").

The refusals are scanned where they are written: each call that builds a problem (the
discussions domain's errors, the polls domain's errors and helpers, ``ProblemError``) and each
``title=``/``detail=`` keyword, in the code of both services and the shared web layer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import services.discussions.errors as discussions_errors
from services.polls import errors as polls_errors
from services.polls.errors import PollsError
from shared.web.problems import ProblemError

ROOT = Path(__file__).resolve().parents[3]
SCANNED = (ROOT / "services", ROOT / "shared" / "web", ROOT / "shared" / "comment_period")
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")

PROBLEM_BUILDERS = frozenset(
    {
        *(
            name
            for name, value in vars(discussions_errors).items()
            if isinstance(value, type) and issubclass(value, discussions_errors.DomainError)
        ),
        PollsError.__name__,
        ProblemError.__name__,
        *(name for name in polls_errors.__all__ if name.islower()),
    }
)


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _texts(node: ast.expr) -> Iterator[str]:
    """The literal text of an argument; ``__name__`` marks a class name pasted in."""
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            yield part.value
        elif isinstance(part, ast.Attribute) and part.attr in ("__name__", "__qualname__"):
            yield "<a class's __name__>Error"


def _problem_texts() -> Iterator[tuple[str, str]]:
    for base in SCANNED:
        for path in sorted(base.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            where = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                arguments: list[ast.expr] = []
                if _callee(node) in PROBLEM_BUILDERS:
                    arguments += node.args
                arguments += [k.value for k in node.keywords if k.arg in ("title", "detail")]
                for argument in arguments:
                    for text in _texts(argument):
                        yield f"{where}:{argument.lineno}", text


def test_the_scan_sees_the_refusals_of_both_apps() -> None:
    places = {where.split(":")[0] for where, _ in _problem_texts()}
    assert any(p.startswith("services/discussions/") for p in places)
    assert any(p.startswith("services/polls/") for p in places)
    assert "services/discussions/responses/domain.py" in places
    assert {"InvalidError", "ConflictError", "PollsError", "ProblemError"} <= PROBLEM_BUILDERS


def test_no_problem_title_or_detail_names_a_python_class() -> None:
    leaks = [f"{where}: {text!r}" for where, text in _problem_texts() if CLASS_NAME.search(text)]
    assert not leaks, "problem text names a Python class:\n" + "\n".join(leaks)


def test_the_pattern_catches_the_leak_it_is_for() -> None:
    assert CLASS_NAME.search("InvalidError rating")
    assert CLASS_NAME.search("ValueError: bad")
    assert not CLASS_NAME.search("Invalid rating")
    assert not CLASS_NAME.search("Error in the request")
