"""Run the load benchmark and print throughput and latency as ratios to a bare Flask hello-world.

Everything listens on 127.0.0.1 and every load run is bounded in time, so it stops by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import _database_url  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
SITE_PORT, HELLO_PORT, SMTP_PORT = 8101, 8102, 8125
TARGETS = {
    "/": 0.6,
    "/pledges": 0.4,
    "/pledges?q=rose": 0.3,
    "/pledges/demo-42": 0.5,
    "/api/figures.json": 0.7,
}


@dataclass
class Result:
    """What wrk measured for one URL."""

    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def database_url() -> str:
    """PostgreSQL's bench database when the server answers, else a SQLite file."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    probe = subprocess.run(["pg_isready", "-h", HOST, "-q"], check=False)
    if probe.returncode == 0:
        subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-qc", "CREATE DATABASE bench"],
                       capture_output=True, check=False)
        return f"postgresql://postgres@{HOST}:5432/bench"
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    return f"sqlite:///{ROOT / 'bench' / 'out' / 'bench.db'}"


def site_env(url: str, extra: dict | None = None) -> dict:
    """The environment the site runs with in the benchmark: production settings, limits raised."""
    env = dict(os.environ)
    env.update({
        "APP_ENV": "production", "SECRET_KEY": "bench-" + "k" * 40, "DATABASE_URL": url,
        "SITE_URL": f"http://{HOST}:{SITE_PORT}", "MAIL_SERVER": HOST, "MAIL_PORT": str(SMTP_PORT),
        "PLEDGE_RATE_LIMIT": "1000000 per minute", "LOG_LEVEL": "WARNING",
        # The benchmark talks plain HTTP on 127.0.0.1, so the session cookie cannot be HTTPS-only here.
        "SESSION_COOKIE_SECURE": "false",
        # As in a production spike: the web only queues emails, and an outbox worker sends them.
        "OUTBOX_SEND_IN_REQUEST": "false",
    })
    env.update(extra or {})
    return env


@contextmanager
def serve(argv: list[str], env: dict, port: int):
    """Start a server process and wait until it answers; stop it afterwards."""
    process = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{argv[0]} did not start on port {port}")
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def gunicorn(app: str, port: int) -> list[str]:
    """The same gunicorn settings for the site and the hello-world: 2 sync workers on 127.0.0.1."""
    return [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"{HOST}:{port}", "--log-level", "warning", app]


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, connections: int = 16) -> Result:
    """Load one URL with wrk and read requests/s and latency percentiles from its report."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in match.groups())
    path = url.split(str(SITE_PORT), 1)[-1] if str(SITE_PORT) in url else "/ (hello)"
    return Result(path, rps, p50, p99, errors)


def wait_for_outbox(url: str, limit_seconds: int = 120) -> None:
    """Let the outbox worker send what earlier runs queued, so it is idle while the pages are measured."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_database_url(url))
    deadline = time.monotonic() + limit_seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text("SELECT count(*) FROM outbox_message WHERE status IN ('pending', 'sending')")
            ).scalar_one()
            connection.commit()
            if waiting == 0:
                break
            print(f"Waiting for the outbox worker to send {waiting:,} emails queued by an earlier run", flush=True)
            time.sleep(5)
    engine.dispose()


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    output = subprocess.run(["ps", "-o", "rss=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(line) / 1024 for line in output.split()]


def main() -> int:
    """Seed, serve, load, report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database from the last run")
    parser.add_argument("--skip-signups", action="store_true", help="only measure the read pages")
    args = parser.parse_args()

    url = database_url()
    print(f"Database: {url.split('@')[-1]}")
    if not args.skip_seed:
        subprocess.run([str(BIN / "python"), "bench/seed_bench.py"], env=site_env(url), cwd=ROOT, check=True)

    with serve(gunicorn("bench.hello:app", HELLO_PORT), dict(os.environ), HELLO_PORT):
        wrk(f"http://{HOST}:{HELLO_PORT}/", 2)  # warm up
        hello = wrk(f"http://{HOST}:{HELLO_PORT}/", args.seconds)

    smtp = subprocess.Popen([str(BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{SMTP_PORT}",
                             "-c", "aiosmtpd.handlers.Sink"], start_new_session=True)
    time.sleep(1)  # let the mail sink listen before the worker starts sending
    # At lower CPU priority, as deploy/backing-lancashire-worker.service runs it: in a spike on a shared
    # machine, visitors come first and emails follow seconds later.
    worker = subprocess.Popen(["nice", "-n", "10", str(BIN / "flask"), "--app", "app", "outbox", "worker", "--quiet"],
                              env=site_env(url), cwd=ROOT, start_new_session=True,
                              stderr=subprocess.DEVNULL)
    results: list[Result] = []
    signup_report = None
    try:
        wait_for_outbox(url)
        with serve(gunicorn("app:app", SITE_PORT), site_env(url), SITE_PORT) as site:
            for path in TARGETS:
                wrk(f"http://{HOST}:{SITE_PORT}{path}", 2)  # warm caches and connections
                results.append(wrk(f"http://{HOST}:{SITE_PORT}{path}", args.seconds))
            if not args.skip_signups:
                from bench.signup_load import count_stored, run_signups

                signup_report = run_signups(f"http://{HOST}:{SITE_PORT}", seconds=args.seconds,
                                            read_load=lambda: wrk(f"http://{HOST}:{SITE_PORT}/pledges", args.seconds))
                count_stored(_database_url(url), signup_report)
            rss = worker_rss_mb(site.pid)
    finally:
        # The worker first, letting it finish its pass, so no email fails for want of the mail sink.
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        os.killpg(smtp.pid, signal.SIGTERM)

    print()
    print(f"hello-world: {hello.requests_per_second:,.0f} req/s, p50 {hello.p50_ms:.1f} ms, p99 {hello.p99_ms:.1f} ms")
    print(f"{'page':<22}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}{'target':>8}  ")
    failed = False
    for result in results:
        ratio = result.requests_per_second / hello.requests_per_second
        target = TARGETS[result.path]
        ok = ratio >= target and result.errors == 0
        failed |= not ok
        print(f"{result.path:<22}{result.requests_per_second:>10,.0f}{result.p50_ms:>9.1f}{result.p99_ms:>9.1f}"
              f"{result.errors:>8}{ratio:>8.2f}{target:>8.2f}  {'ok' if ok else 'BELOW TARGET'}")
    if signup_report:
        print(signup_report.describe())
        failed |= not signup_report.ok
    print("gunicorn worker RSS after the run: " + ", ".join(f"{mb:.0f} MB" for mb in rss)
          + ("  ok (< 150 MB)" if all(mb < 150 for mb in rss) else "  OVER 150 MB"))
    failed |= any(mb >= 150 for mb in rss)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
