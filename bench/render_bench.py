"""Time fresh renders of the public pages in-process, and count the SQL statements each one runs.

A fresh render is one the page cache cannot serve: the first visitor after a content change, or
any visitor with a session cookie. This sends every request with a signed session cookie (as a
visitor has after using a form), so each one goes through Flask and renders the page; "after a
change" writes a new content version before each render, as any public change does.

Usage: .venv/bin/python bench/render_bench.py [--database-url URL] [--renders 200] [--skip-seed]
The database (a SQLite file under bench/out by default) is filled by bench/seed_bench.py, plus the
OPCC's published workbooks as `flask seed` loads them. Nothing leaves this process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from campaign import create_app  # noqa: E402
from campaign.extensions import db  # noqa: E402
from campaign.services.cache import bump_version, content_committed  # noqa: E402
from campaign.services.spend import published  # noqa: E402
from config import _database_url  # noqa: E402

PAGES = ["/", "/pledges", "/pledges?q=rose", "/pledges/demo-42", "/figures"]
FLOOR = "/about"  # a page that reads nothing: what Flask and the layout cost on their own
TARGET_MS = 3.0
SECRET_KEY = "bench-" + "x" * 40


@dataclass(frozen=True)
class Timing:
    """What one page cost over many renders."""

    median_ms: float
    p90_ms: float
    cpu_ms: float  # median time on this thread's CPU: what a busy shared machine changes least
    statements: int


def default_url() -> str:
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    return f"sqlite:///{ROOT / 'bench' / 'out' / 'render.db'}"


def seed(url: str) -> None:
    """The benchmark's demo data (bench/seed_bench.py), then the OPCC workbooks as `flask seed` loads them."""
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, str(ROOT / "bench" / "seed_bench.py")], env=env, cwd=ROOT, check=True)
    app = create_app("production", SECRET_KEY=SECRET_KEY, SQLALCHEMY_DATABASE_URI=_database_url(url))
    with app.app_context():
        started = time.perf_counter()
        loaded = published.load_published_workbooks(db.session)
        db.session.commit()
        print(f"Loaded {len(loaded)} OPCC workbooks in {time.perf_counter() - started:.1f}s")


def measure(action: Callable[[], tuple[float, float] | None], renders: int, statements: list) -> Timing:
    """Median and 90th percentile time of `action` (or of the part it timed itself), and its last run's statements."""
    times, cpu = [], []
    for _ in range(renders):
        statements.clear()
        started, started_cpu = time.perf_counter(), time.thread_time()
        timed = action() or ((time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000)
        times.append(timed[0])
        cpu.append(timed[1])
    times.sort()
    return Timing(statistics.median(times), times[int(len(times) * 0.9) - 1], statistics.median(cpu), len(statements))


def main() -> None:
    """Seed once, then time each page afresh: with a session, and straight after a content change."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL") or default_url())
    parser.add_argument("--renders", type=int, default=200, help="renders of each page to time")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database from the last run")
    parser.add_argument("--profile", metavar="PATH", help="profile the renders of this page with cProfile instead")
    parser.add_argument("--after-change", action="store_true",
                        help="with --profile: a content change before each render")
    args = parser.parse_args()

    if not args.skip_seed:
        seed(args.database_url)
    app = create_app("production", SECRET_KEY=SECRET_KEY, SQLALCHEMY_DATABASE_URI=_database_url(args.database_url),
                     RATELIMIT_ENABLED=False)
    # A real signed session, as a visitor has after sending a form: the page cache lets it through to Flask.
    cookie = app.session_interface.get_signing_serializer(app).dumps({"pledge_email": "visitor@example.org"})
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}
    client = app.test_client(use_cookies=False)  # the jar would replace the Cookie header below
    statements: list[str] = []

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

        def render(path: str) -> Callable[[], None]:
            def action() -> None:
                response = client.get(path, headers=headers)
                assert response.status_code == 200, (path, response.status_code)
                assert "private" in response.headers["Cache-Control"], "served from the page cache"
            return action

        def change_then(path: str) -> Callable[[], tuple[float, float]]:
            page = render(path)

            def action() -> tuple[float, float]:
                # A new content version, as any public change writes (not timed), then the render (timed).
                with engine.begin() as connection:
                    bump_version(connection)
                content_committed.send(db.session)
                statements.clear()
                started, started_cpu = time.perf_counter(), time.thread_time()
                page()
                return (time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000
            return action

        for path in [*PAGES, FLOOR]:  # templates compiled and connections opened once, as on a running site
            render(path)()

        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            page = change_then(args.profile) if args.after_change else render(args.profile)
            profiler.runcall(lambda: [page() for _ in range(args.renders)])
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            return

        fresh = {path: measure(render(path), args.renders, statements) for path in PAGES}
        floor = measure(render(FLOOR), args.renders, statements)
        after_change = {path: measure(change_then(path), args.renders // 4, statements) for path in PAGES}

    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\n{engine.dialect.name}, {args.renders} renders of each page with a session cookie, then "
          f"{args.renders // 4} each straight after a content change (load average {load} on {os.cpu_count()} cores)")
    print(f"{'page':<18}{'median ms':>10}{'p90 ms':>8}{'cpu ms':>8}{'SQL':>5} | {'after change':>12}{'p90':>7}"
          f"{'cpu':>7}{'SQL':>5} | target")
    for path in PAGES:
        now, changed = fresh[path], after_change[path]
        met = "met" if now.median_ms < TARGET_MS else "missed"
        print(f"{path:<18}{now.median_ms:>10.2f}{now.p90_ms:>8.2f}{now.cpu_ms:>8.2f}{now.statements:>5} | "
              f"{changed.median_ms:>12.2f}{changed.p90_ms:>7.2f}{changed.cpu_ms:>7.2f}{changed.statements:>5} | "
              f"{TARGET_MS:.0f} ms {met}")
    print(f"{FLOOR + ' (floor)':<18}{floor.median_ms:>10.2f}{floor.p90_ms:>8.2f}{floor.cpu_ms:>8.2f}"
          f"{floor.statements:>5} |")


if __name__ == "__main__":
    main()
