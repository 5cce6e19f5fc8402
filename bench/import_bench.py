"""Time the spend importer on 100,000 rows: preview, import, and recomputing the yearly totals.

    .venv/bin/python bench/import_bench.py            # a fresh SQLite database in a temporary folder
    BENCH_DATABASE_URL=postgresql://... .venv/bin/python bench/import_bench.py   # and PostgreSQL too

On PostgreSQL the tables are made in a schema of their own ("import_bench"), dropped at the end,
so the database's other tables are untouched. TEST_DATABASE_URL is used when BENCH_DATABASE_URL
is not set. Targets: import under 20 seconds, recomputing the figures under 1 second.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from campaign import create_app  # noqa: E402
from campaign.extensions import db  # noqa: E402
from campaign.models import Supplier  # noqa: E402
from campaign.services.figures import computed  # noqa: E402
from campaign.services.spend import imports as spend_import
from campaign.services.spend import parse as spend_parse
from campaign.services.spend import totals, values

ROWS = 100_000
SUPPLIERS = 2_000
IMPORT_TARGET = 20.0  # seconds
RECOMPUTE_TARGET = 1.0  # seconds
SCHEMA = "import_bench"
HEADER = "Body Name,Payment Date,Transaction Number,Supplier Name,Expense Area,Net Amount,VAT\r\n"


def make_csv(rows: int = ROWS, seed: int = 2024) -> bytes:
    """A transparency file in one council's style, with the messy values real files have."""
    rng = random.Random(seed)
    names = [f"{rng.choice(['Ribble', 'Pendle', 'Fylde', 'Bowland', 'Wyre', 'Lune'])} "
             f"{rng.choice(['Builders', 'Fuels', 'Catering', 'Security', 'IT', 'Cleaning'])} {n}"
             f"{rng.choice([' Ltd', ' Limited', '', ' plc', ' LLP'])}" for n in range(SUPPLIERS)]
    start = date(2022, 4, 1)
    lines = [HEADER]
    for number in range(rows):
        day = start + timedelta(days=rng.randrange(730))
        date_text = day.strftime(rng.choice(["%d/%m/%Y", "%d/%m/%Y", "%Y-%m-%d", "%-d/%-m/%y"]))
        pence = rng.randrange(50_000, 5_000_000)
        amount = f"{pence // 100}.{pence % 100:02d}"
        style = rng.random()
        if style < 0.05:
            amount = f"({amount})"
        elif style < 0.15:
            amount = f'"£{pence // 100:,}.{pence % 100:02d}"'
        supplier = "REDACTED" if rng.random() < 0.01 else names[rng.randrange(SUPPLIERS)]
        if "," in supplier:
            supplier = f'"{supplier}"'
        lines.append(f"Lancashire PCC,{date_text},TX{number:07d},{supplier},Estates,{amount},0.00\r\n")
    return "".join(lines).encode("utf-8")


def register_suppliers(session) -> None:
    """Half the suppliers are already in the register, spread over the locations."""
    rng = random.Random(7)
    data = make_csv(rows=20_000)
    table = spend_parse.read_table(data)
    seen = {}
    for _, cells in table.rows:
        key = values.normalise_supplier_name(cells[3])
        if key not in seen and not values.is_redacted(cells[3]) and len(seen) < SUPPLIERS // 2:
            seen[key] = cells[3]
    for key, name in seen.items():
        session.add(Supplier(name=name, name_key=key, location=rng.choice(["lancashire", "north_west", "elsewhere"]),
                             is_sme=rng.random() < 0.6, is_vcse=rng.random() < 0.1))
    session.commit()


def run(url: str, label: str, data: bytes) -> dict[str, float]:
    """Import the file into an empty database at `url`, timing each step."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    times: dict[str, float] = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        register_suppliers(db.session)
        mapping = {"date": 1, "supplier": 3, "amount": 5, "reference": 2}

        started = time.perf_counter()
        preview = spend_import.preview_data(db.session, data, mapping)
        times["preview"] = time.perf_counter() - started

        started = time.perf_counter()
        record = spend_import.import_data(db.session, "bench.csv", data, mapping, actor=None)
        times["import"] = time.perf_counter() - started

        started = time.perf_counter()
        totals.recompute_years(db.session)
        db.session.commit()
        computed.local_share_since(db.session, 2022)
        times["recompute"] = time.perf_counter() - started

        started = time.perf_counter()
        overlap = spend_import.preview_data(db.session, data, mapping)
        times["preview again (all rows already imported)"] = time.perf_counter() - started

        print(f"\n{label}: {preview.parsed.row_count:,} rows read, {len(preview.parsed.errors)} errors, "
              f"{record.added_count:,} imported; re-preview finds {overlap.already_imported:,} already imported")
        for step, seconds in times.items():
            print(f"  {step:<45} {seconds:6.2f} s")
        print(f"  import target < {IMPORT_TARGET:.0f} s: {'met' if times['import'] < IMPORT_TARGET else 'MISSED'}; "
              f"recompute target < {RECOMPUTE_TARGET:.0f} s: "
              f"{'met' if times['recompute'] < RECOMPUTE_TARGET else 'MISSED'}")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return times


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
    """Generate the file, then time it on SQLite and, when configured, PostgreSQL."""
    started = time.perf_counter()
    data = make_csv()
    print(f"Generated {ROWS:,} rows ({len(data) / 1_000_000:.1f} MB) in {time.perf_counter() - started:.1f} s")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite"] = run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite (fresh file)", data)
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL", "")
    if pg.startswith("postgres"):
        try:
            results["PostgreSQL"] = run(postgres_url(pg), "PostgreSQL (own schema)", data)
        finally:
            drop_postgres_schema(pg)
    missed = [name for name, times in results.items()
              if times["import"] >= IMPORT_TARGET or times["recompute"] >= RECOMPUTE_TARGET]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
