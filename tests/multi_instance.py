"""Run the site, or its outbox worker, as separate processes sharing one database, as production does.

Each process builds its own app with create_app("test", **config), so nothing held in one
process's memory (page caches, rate-limit counters, sessions) can be seen by another; only the
database, Redis and the mail server are shared. Used by the several-instances and mail-outage tests:

    with serve(tmp_path, RATELIMIT_ENABLED=True) as url:
        requests.get(url + "/")
    worker = start_worker(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

Run directly, it is the child process: `python -m tests.multi_instance serve|worker --config JSON`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # seconds: importing the app is slow on a busy machine


def _spawn(mode: str, log_dir: Path, config: dict, *extra: str) -> subprocess.Popen:
    """Start a child process running this module in `mode`, logging to a file under `log_dir`."""
    log = open(log_dir / f"{mode}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 (kept open for the child's life)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.multi_instance", mode, "--config", json.dumps(config), *extra],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(),
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    log.close()
    return process


def log_of(process: subprocess.Popen) -> str:
    """What a child process has written so far."""
    return Path(process.log_path).read_text(errors="replace")  # type: ignore[attr-defined]


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Stop a child this module started: by `sig`, then by SIGKILL if it does not go in time."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@contextmanager
def serve(log_dir: Path, **config) -> Iterator[str]:
    """Run one instance of the site on a free port for the block; yields its base URL."""
    port = free_port()
    process = _spawn("serve", log_dir, config, "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the instance stopped at start:\n{log_of(process)[-3000:]}")
            try:
                if requests.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the instance did not answer in time:\n{log_of(process)[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop(process)


def start_worker(log_dir: Path, *args: str, **config) -> subprocess.Popen:
    """Start `flask outbox worker` (with `args`) in a process of its own; the caller stops it."""
    return _spawn("worker", log_dir, config, *args)


def _app(config: dict):
    from campaign import create_app

    return create_app("test", **config)


def main(argv: list[str] | None = None) -> None:
    """The child process: serve the site, or run the outbox worker command."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["serve", "worker"])
    parser.add_argument("--config", default="{}")
    parser.add_argument("--port", type=int, default=0)
    known, rest = parser.parse_known_args(argv)
    app = _app(json.loads(known.config))
    if known.mode == "serve":
        from werkzeug.serving import make_server

        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        make_server("127.0.0.1", known.port, app, threaded=True).serve_forever()
        return
    from campaign.cli.outbox import worker

    with app.app_context():
        worker.main(args=rest, standalone_mode=False)


if __name__ == "__main__":
    main()
