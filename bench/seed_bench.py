"""Fill a database for the benchmark: 10,000 live pledges, 5 years of figures, 100,000 transactions.

Usage: DATABASE_URL=... python bench/seed_bench.py
Everything it writes is marked as demo data, so it can never be mistaken for the campaign's own.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from campaign import create_app  # noqa: E402
from campaign.extensions import db  # noqa: E402
from campaign.models import (  # noqa: E402
    FinancialYear,
    HeadlineFigure,
    Pledge,
    SpendImport,
    SpendTransaction,
    Supplier,
)
from campaign.models.common import utcnow  # noqa: E402
from campaign.services.content import seed  # noqa: E402
from campaign.services.spend import bodies  # noqa: E402

PLEDGES = 10_000
TRANSACTIONS = 100_000
SUPPLIERS = 2_000
AREAS = ["burnley", "chorley", "fylde", "hyndburn", "lancaster", "pendle", "preston", "ribble-valley",
         "rossendale", "south-ribble", "west-lancashire", "wyre", "blackburn-with-darwen", "blackpool",
         "north-west", "elsewhere"]
SECTORS = ["construction", "manufacturing", "retail", "hospitality", "professional-services", "charity",
           "public-sector", "digital", "transport", "agriculture"]
WORDS = ["Red", "Rose", "Pennine", "Bowland", "Ribble", "Fylde", "Lune", "Wyre", "Moor", "Valley", "Mill",
         "Coast", "Forest", "Hill", "Bridge", "Works", "Foods", "Builders", "Digital", "Care", "Print"]
SUFFIXES = ["Ltd", "Co-operative", "CIC", "Trust", "and Sons", "Partners", "Group"]


def main() -> None:
    """Rebuild the schema, load the campaign content, then the synthetic load."""
    random.seed(2017)
    app = create_app("production", SECRET_KEY="bench-" + "x" * 40)
    with app.app_context():
        started = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        seed.load(db.session)
        now = utcnow()
        pledge_rows = []
        for i in range(PLEDGES):
            name = f"{random.choice(WORDS)} {random.choice(WORDS)} {random.choice(SUFFIXES)} {i}"
            live = now - timedelta(minutes=i * 7)
            pledge_rows.append(dict(
                slug=f"demo-{i}", organisation_name=f"{name} (demo)", name_key=name.lower(),
                org_type=random.choice(["business", "charity", "public", "other"]),
                size=random.choice(["micro", "small", "medium", "large"]),
                sector=random.choice(SECTORS), area=random.choice(AREAS), postcode=None,
                contact_name="Demo Contact", contact_role="Director", contact_email=f"demo{i}@example.org",
                email_key=f"demo{i}@example.org", commit_local_suppliers=True,
                commit_living_wage=random.random() < 0.6, commit_local_jobs=random.random() < 0.5,
                commit_environment=random.random() < 0.7, commit_vcse=random.random() < 0.3,
                statement="We are proud to back Lancashire." if i % 3 == 0 else None,
                consent_listed=True, welcome_on_x=False, status="live", is_demo=True,
                created_at=live, confirmed_at=live, live_at=live, updated_at=live, manage_version=1,
                needs_review=False,
            ))
        db.session.execute(insert(Pledge), pledge_rows)
        for start in range(2019, 2024):
            total = random.randint(40_000_000, 60_000_000) * 100
            db.session.add(FinancialYear(
                start_year=start, total_spend_pence=total, lancashire_spend_pence=total * 54 // 100,
                north_west_spend_pence=total * 70 // 100, source_text="Demo data for the benchmark",
                is_demo=True,
            ))
        db.session.add(HeadlineFigure(
            slug="demo-pledge-count", label="organisations have signed the pledge (demo)", unit="count",
            kind="computed", computation="pledge_count", period="So far", source_text="Demo data",
            published=True, position=0, is_demo=True,
        ))
        suppliers = [dict(name=f"Demo Supplier {i}", name_key=f"demo supplier {i}",
                          location=random.choice(["lancashire", "north_west", "elsewhere"]))
                     for i in range(SUPPLIERS)]
        db.session.execute(insert(Supplier), suppliers)
        spend_import = SpendImport(filename="demo.csv", file_sha256="0" * 64, header_signature="0" * 64,
                                   mapping={}, row_count=TRANSACTIONS, body_id=bodies.own_body(db.session).id,
                                   status="approved", is_demo=True)
        db.session.add(spend_import)
        db.session.flush()
        first = date(2019, 4, 1)
        for batch in range(0, TRANSACTIONS, 10_000):
            rows = []
            for i in range(batch, batch + 10_000):
                paid_on = first + timedelta(days=random.randint(0, 5 * 365 - 1))
                supplier = random.randint(1, SUPPLIERS)
                rows.append(dict(
                    import_id=spend_import.id, supplier_id=supplier, supplier_name=f"Demo Supplier {supplier - 1}",
                    supplier_key=f"demo supplier {supplier - 1}", paid_on=paid_on,
                    financial_year=paid_on.year if paid_on.month >= 4 else paid_on.year - 1,
                    amount_pence=random.randint(500_00, 50_000_00), reference=f"DEMO-{i}",
                    row_key=f"demo:{i}", redacted=False,
                ))
            db.session.execute(insert(SpendTransaction), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        print(f"Seeded {PLEDGES:,} pledges, 5 years and {TRANSACTIONS:,} transactions "
              f"in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
