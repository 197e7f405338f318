"""Comment-period load: 100,000 comments, then pages of 50 listed and searched.

Inserts through the domain layer (``CommentsService.submit_many``: comment rows, log
entries, signed receipts) in batches, publishes them, then times the public listing (with and
without a section filter, walking pages by cursor) and full-text search (first pages, with
section and stance filters, and walking pages by cursor).
Target: p99 ≤ 50 ms for a page of 50.

    uv run python -m bench.comments [--comments N] [--batch N] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

from services.discussions.comments.domain import Submission
from services.discussions.comments.schemas import CommentFilters, PublicComment
from services.discussions.comments.tables import Comment
from services.discussions.deps import Discussions
from services.discussions.drafts.importers import sections_from_markdown
from services.discussions.pagination import Page
from services.discussions.tables import LEASE, LOG_TABLES, TABLES
from shared.comment_period.entry import Stance
from shared.db.engine import bind_tables, create_engine, is_sqlite
from shared.db.migrate import migrate
from shared.eligibility import Eligibility
from shared.log.service import LogService, load_log_keys

TARGET_MS = 50.0
PAGE = 50
WORDS = [
    "дерево",
    "деревья",
    "двор",
    "парковка",
    "газон",
    "освещение",
    "тротуар",
    "дорога",
    "остановка",
    "площадка",
    "детская",
    "спортивная",
    "сквер",
    "фонтан",
    "скамейка",
    "урна",
    "мусор",
    "снег",
    "уборка",
    "весна",
    "лето",
    "ремонт",
    "асфальт",
    "бордюр",
    "велодорожка",
    "пешеход",
    "переход",
    "светофор",
    "шум",
    "стройка",
    "застройка",
]
SECTIONS = ("", "p1", "p2", "p2-1", "p2-2")
MARKDOWN = "# 1. Общие\nТекст\n# 2. Озеленение\n## 2.1 Деревья\nТекст\n## 2.2 Газоны\nТекст\n"


@dataclass(frozen=True, slots=True)
class Citizen:
    sub: str
    oktmo: str = "92701000001"
    birth_date: dt.date = dt.date(1980, 1, 1)
    trusted: bool = True


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 2 else samples[0]


async def run(url: str, total: int, batch: int, keys_dir: Path) -> None:
    engine = create_engine(url)
    bind_tables(TABLES, engine)
    if not is_sqlite(engine):
        await engine.start_connection_pool(min_size=1, max_size=4)  # type: ignore[no-untyped-call,call-arg]
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    logs = LogService.create(
        LOG_TABLES, engine, load_log_keys(keys_dir, "discussions"), "bench/d", LEASE
    )
    d = Discussions.build(logs)
    now = dt.datetime.now(dt.UTC)
    draft = await d.drafts.create(
        organisation="kazan",
        managed=("kazan",),
        title="Бенчмарк",
        kind="постановление",
        summary="",
        official_position="",
        sections=sections_from_markdown(MARKDOWN),
        now=now,
    )
    period = await d.periods.create(
        draft_id=draft.id,
        managed=("kazan",),
        territory=("92701",),
        starts_at=now - dt.timedelta(minutes=1),
        ends_at=now + dt.timedelta(days=1),
        eligibility=Eligibility(),
        now=now,
    )
    await d.periods.announce(period.id, managed=("kazan",), now=now)
    await d.periods.tick(dt.datetime.now(dt.UTC))

    rng = random.Random(7)
    started = time.perf_counter()
    for done in range(0, total, batch):
        submissions = []
        for _ in range(min(batch, total - done)):
            stance = rng.choice(list(Stance))
            submissions.append(_submission(rng, stance))
        await d.comments.submit_many(period.id, submissions, dt.datetime.now(dt.UTC))
    elapsed = time.perf_counter() - started
    print(f"submitted {total} comments in {elapsed:.1f} s: {total / elapsed:.0f} comments/s")

    await Comment.update({Comment.status: "published"}).where(Comment.period == period.id)
    if not is_sqlite(engine):
        await engine.run_ddl("ANALYZE")

    async def timed(call: Awaitable[object]) -> float:
        t0 = time.perf_counter()
        await call
        return (time.perf_counter() - t0) * 1000

    listing: list[float] = []
    cursor = None
    for _ in range(200):
        t0 = time.perf_counter()
        page = await d.comments.published(period.id, CommentFilters(), cursor=cursor, limit=PAGE)
        listing.append((time.perf_counter() - t0) * 1000)
        cursor = page.next
    for _ in range(100):
        section = rng.choice(SECTIONS[1:])
        listing.append(
            await timed(
                d.comments.published(
                    period.id,
                    CommentFilters(section=section, stance="object"),
                    cursor=None,
                    limit=PAGE,
                )
            )
        )
    searching: list[float] = []
    for _ in range(200):
        q = " ".join(rng.sample(WORDS, rng.choice((1, 2))))
        searching.append(await timed(_search(d, period.id, q)))
    filtered: list[float] = []
    for _ in range(100):
        q = " ".join(rng.sample(WORDS, rng.choice((1, 2))))
        section = rng.choice(SECTIONS[1:])
        filtered.append(await timed(_search(d, period.id, q, section=section, stance="object")))
    paged: list[float] = []
    cursor = None
    for _ in range(200):
        t0 = time.perf_counter()
        page = await _search(d, period.id, "дерево", cursor=cursor)
        paged.append((time.perf_counter() - t0) * 1000)
        cursor = page.next
    for name, samples in (
        ("listing", listing),
        ("search", searching),
        ("search, section and stance", filtered),
        ("search, pages by cursor", paged),
    ):
        p99 = _p99(samples)
        verdict = "OK" if p99 <= TARGET_MS else "OVER TARGET"
        print(
            f"{name}: {len(samples)} pages of {PAGE}, median {statistics.median(samples):.1f} ms,"
            f" p99 {p99:.1f} ms (target {TARGET_MS:.0f} ms) {verdict}"
        )
    if not is_sqlite(engine):
        await engine.close_connection_pool()  # type: ignore[no-untyped-call]


def _search(
    d: Discussions,
    period_id: str,
    q: str,
    *,
    section: str | None = None,
    stance: str | None = None,
    cursor: str | None = None,
) -> Awaitable[Page[PublicComment]]:
    filters = CommentFilters(section=section, stance=stance)
    return d.search.search(period_id, q, filters, cursor=cursor, limit=PAGE)


def _submission(rng: random.Random, stance: Stance) -> Submission:
    return Submission(
        author=Citizen(sub=secrets.token_hex(16)),
        section=rng.choice(SECTIONS),
        stance=stance,
        text=_text(rng),
        proposed_wording=_text(rng) if stance is Stance.PROPOSE_WORDING else "",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgres", action="store_true", help="use the harness PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.postgres:
            from tests.harness.processes import start_postgres

            postgres = start_postgres()
            try:
                postgres.sql("CREATE DATABASE bench_discussions")
                url = postgres.url("bench_discussions")
                migrate("discussions", url)
                asyncio.run(run(url, args.comments, args.batch, folder))
            finally:
                postgres.destroy()
        else:
            url = f"sqlite:///{folder / 'discussions.sqlite'}"
            migrate("discussions", url)
            asyncio.run(run(url, args.comments, args.batch, folder))


if __name__ == "__main__":
    main()
