"""Time the honest-share figures on 10 years of synthetic payments (150,000 rows, all labelled demo).

Usage: DATABASE_URL=... python bench/figures_bench.py   (a SQLite file under bench/out/ by default)
Prints: recomputing every figure (target under 1 s), the public figures page rendered afresh
(under 50 ms) and the supplier work list (under 200 ms), each the median of several runs.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
(ROOT / "bench" / "out").mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'out' / 'figures.db'}")

from flask import g  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from campaign import create_app  # noqa: E402
from campaign.extensions import db  # noqa: E402
from campaign.models import ScopeRule, SpendImport, SpendTransaction, StaffUser, Supplier  # noqa: E402
from campaign.services.spend import bodies, coverage, publication, review, totals  # noqa: E402

YEARS = 10
PAYMENTS = 150_000
SUPPLIERS = 3_000
LOCATIONS = ["lancashire", "north_west", "elsewhere", "unknown"]
CATEGORIES = ["Fuel", "Estates", "IT", "Uniform", "Pensions", "Precept", "Vehicles", "Training"]
RUNS = 7


def seed() -> None:
    """A fresh schema with demo suppliers, one approved demo import of 150,000 payments and a few scope rules."""
    random.seed(11)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    db.session.execute(insert(Supplier), [
        dict(name=f"Demo Supplier {i}", name_key=f"demo supplier {i}", location=random.choice(LOCATIONS),
             is_sme=random.random() < 0.4, is_vcse=random.random() < 0.05)
        for i in range(SUPPLIERS)
    ])
    record = SpendImport(filename="demo-10-years.csv", file_sha256="d" * 64, header_signature="d" * 64, mapping={},
                         row_count=PAYMENTS, body_id=bodies.own_body(db.session).id, status="approved", is_demo=True)
    db.session.add(record)
    db.session.flush()
    first = date(2014, 4, 1)
    for start in range(0, PAYMENTS, 10_000):
        rows = []
        for i in range(start, start + 10_000):
            paid_on = first + timedelta(days=random.randint(0, YEARS * 365 - 1))
            supplier = random.randint(1, SUPPLIERS + 500)  # some payees are not in the register
            redacted = random.random() < 0.02
            rows.append(dict(
                import_id=record.id, supplier_id=None if redacted or supplier > SUPPLIERS else supplier,
                supplier_name="Redacted" if redacted else f"Demo Supplier {supplier - 1}",
                supplier_key="(redacted)" if redacted else f"demo supplier {supplier - 1}",
                paid_on=paid_on, financial_year=paid_on.year if paid_on.month >= 4 else paid_on.year - 1,
                amount_pence=random.randint(500_00, 50_000_00), reference=f"DEMO-{i}", row_key=f"demo:{i}",
                redacted=redacted, category=random.choice(CATEGORIES),
            ))
        db.session.execute(insert(SpendTransaction), rows)
    db.session.add_all([
        ScopeRule(kind="category", value="Pensions", value_key="pensions", reason="pension"),
        ScopeRule(kind="category", value="Precept", value_key="precept", reason="precept_levy"),
        ScopeRule(kind="supplier", value="Demo Supplier 7", value_key="demo supplier 7", reason="public_body"),
    ])
    db.session.add(StaffUser(email="bench@example.org", name="Bench Publisher", role="publisher",
                             password_hash="!", session_version=1))  # noqa: S106 (no password: it never signs in)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def median_ms(action) -> float:
    """The median time of `action` over RUNS runs, in milliseconds."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    """Seed, then time recomputing, the public page and the work list."""
    # Plain HTTP on the test client, so the session cookie cannot be HTTPS-only here.
    app = create_app("production", SECRET_KEY="bench-" + "x" * 40, RATELIMIT_ENABLED=False,
                     SESSION_COOKIE_SECURE=False)
    with app.app_context():
        seed()
        publisher = db.session.query(StaffUser).one()

        def recompute():
            totals.recompute_years(db.session)
            db.session.commit()

        recompute_ms = median_ms(recompute)
        for year in publication.years_to_review(db.session):
            if year.needs_approval:
                review.approve_year(db.session, year.draft.start_year, None)
        client = app.test_client()

        def figures_page():
            app.extensions["page_cache"].forget()  # rendered afresh each time, never from the page cache
            response = client.get("/figures")
            assert response.status_code == 200 and b"Demo data" in response.data

        figures_page()  # templates compiled once, as on a running site
        page_ms = median_ms(figures_page)
        staff = app.test_client()
        with staff.session_transaction() as session:
            session["_user_id"] = publisher.get_id()
            session["_fresh"] = True
            session["signed_in_at"] = session["last_seen"] = int(time.time())
        year = coverage.draft_years(db.session)[0].start_year

        def work_list():
            g.pop("_login_user", None)  # requests share this app context: load the signed-in user afresh
            response = staff.get(f"/admin/work-list?year={year}")
            assert response.status_code == 200, response.status_code

        work_list()
        list_ms = median_ms(work_list)
        print(f"{db.engine.dialect.name}, {PAYMENTS:,} demo payments over {YEARS} years")
        print(f"Recompute every figure:          {recompute_ms:7.1f} ms (target < 1000)")
        print(f"Public figures page, afresh:     {page_ms:7.1f} ms (target < 50)")
        print(f"Supplier work list ({year}/{str(year + 1)[2:]}): {list_ms:7.1f} ms (target < 200)")


if __name__ == "__main__":
    main()
