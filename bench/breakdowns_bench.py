"""Time the spend breakdown pages on 10 years of demo payments (150,000 rows), and the unmatched-names page.

    .venv/bin/python bench/breakdowns_bench.py            # a fresh SQLite database in a temporary folder
    BENCH_DATABASE_URL=postgresql://... .venv/bin/python bench/breakdowns_bench.py   # and PostgreSQL too

All data here is generated demo data ("Demo supplier 17 Ltd"), never real spend. On PostgreSQL the
tables are made in a schema of their own ("breakdowns_bench"), dropped at the end. Target: each page
renders afresh in under 200 ms. Wall time is what counts; the CPU time of this process is printed
beside it because on a busy shared machine the wall time mostly measures waiting for a core
(with SQLite the database work is in this process; with PostgreSQL it is not).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from campaign import create_app  # noqa: E402
from campaign.extensions import db  # noqa: E402
from campaign.models import SpendImport, SpendTransaction, StaffUser, Supplier  # noqa: E402
from campaign.services.geography import COUNCIL_AREAS  # noqa: E402
from campaign.services.spend import (
    bodies,
    breakdowns,  # noqa: E402
)
from campaign.services.spend.values import normalise_supplier_name  # noqa: E402

ROWS = 150_000
SUPPLIERS = 3_000
FIRST_YEAR = 2015
TARGET_MS = 200
SCHEMA = "breakdowns_bench"
CATEGORIES = ["Demo: Estates", "Demo: Fleet", "Demo: IT", "Demo: Legal", "Demo: Catering", "Demo: Uniform",
              "Demo: Custody", "Demo: Training", None]


def fill(session) -> int:
    """Demo suppliers and 150,000 demo payments over ten financial years; returns the latest year."""
    rng = random.Random(2024)
    suppliers = []
    for number in range(SUPPLIERS):
        name = f"Demo supplier {number} Ltd"
        location = rng.choice(["lancashire", "lancashire", "north_west", "elsewhere", "unknown"])
        suppliers.append({
            "name": name, "name_key": normalise_supplier_name(name), "location": location,
            "council_area": rng.choice(COUNCIL_AREAS)[0] if location == "lancashire" else None,
            "is_sme": rng.random() < 0.5, "is_vcse": rng.random() < 0.1, "is_public_body": False,
            "needs_confirmation": False, "location_overridden": False,
        })
    session.execute(insert(Supplier), suppliers)
    record = SpendImport(filename="demo.csv", file_sha256="d" * 64, header_signature="demo", mapping={}, body_id=bodies.own_body(db.session).id, status="approved")
    session.add(record)
    session.flush()
    start = date(FIRST_YEAR, 4, 1)
    payments = []
    for number in range(ROWS):
        paid_on = start + timedelta(days=rng.randrange(3652))
        roll = rng.random()
        supplier_id = rng.randrange(1, SUPPLIERS + 1) if roll < 0.9 else None
        redacted = roll > 0.98
        name = "REDACTED" if redacted else (
            f"Demo supplier {supplier_id - 1} Ltd" if supplier_id else f"Demo payee {rng.randrange(800)}")
        payments.append({
            "import_id": record.id, "supplier_id": supplier_id, "supplier_name": name,
            "supplier_key": normalise_supplier_name(name), "paid_on": paid_on,
            "financial_year": paid_on.year if paid_on.month >= 4 else paid_on.year - 1,
            "amount_pence": rng.randrange(-20_000, 5_000_000), "reference": None, "row_key": f"demo-{number}",
            "redacted": redacted, "category": rng.choice(CATEGORIES),
        })
    for chunk in range(0, ROWS, 10_000):
        session.execute(insert(SpendTransaction), payments[chunk:chunk + 10_000])
    # The bench signs in through the session cookie, so this account has no usable password.
    session.add(StaffUser(email="bench@example.invalid", name="Bench", role="admin", password_hash="!",  # noqa: S106
                          session_version=0, active=True))
    session.commit()
    return FIRST_YEAR + 9


def run(url: str, label: str) -> dict[str, float]:
    """Fill a database at `url`, then time each page (the median of five fresh renders)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    timings: dict[str, float] = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        year = fill(db.session)
        print(f"\n{label}: {ROWS:,} demo payments, {SUPPLIERS:,} demo suppliers in {time.perf_counter() - started:.1f} s")
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = db.session.scalar(db.select(StaffUser)).get_id()
            session["_fresh"] = True
            session["signed_in_at"] = session["last_seen"] = int(time.time())
        urls = {"index": f"/admin/spend/breakdowns?year={year}"}
        urls |= {kind: f"/admin/spend/breakdowns/{kind}?year={year}" for kind in breakdowns.BREAKDOWNS}
        urls["suppliers CSV"] = f"/admin/spend/breakdowns/suppliers.csv?year={year}"
        urls["unmatched names (with suggestions)"] = "/admin/suppliers/unmatched"
        for name, url_path in urls.items():
            runs, cpu = [], []
            for _ in range(5):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url_path)
                runs.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200, f"{url_path} answered {response.status_code}"
            timings[name] = statistics.median(runs)
            print(f"  {name:<40} {timings[name]:7.1f} ms wall, {statistics.median(cpu):7.1f} ms CPU in this process"
                  f"  {'met' if timings[name] < TARGET_MS else 'MISSED'}")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return timings


def postgres_url(base: str) -> str:
    """The URL with a search_path pointing at the benchmark's own schema."""
    from sqlalchemy import create_engine

    from config import _database_url

    base = _database_url(base)
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{SCHEMA}"


def drop_postgres_schema(base: str) -> None:
    """Remove the benchmark's schema."""
    from sqlalchemy import create_engine

    from config import _database_url

    engine = create_engine(_database_url(base))
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def main() -> int:
    """Time the pages on SQLite and, when configured, PostgreSQL; fail when any misses the target."""
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite"] = run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite (fresh file)")
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL", "")
    if pg.startswith("postgres"):
        try:
            results["PostgreSQL"] = run(postgres_url(pg), "PostgreSQL (own schema)")
        finally:
            drop_postgres_schema(pg)
    return 1 if any(ms >= TARGET_MS for times in results.values() for ms in times.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
