"""Time and measure previewing large spend files, and importing the OPCC's two real workbooks.

    .venv/bin/python bench/preview_bench.py

Each case runs in a process of its own, so its peak RSS (resource.getrusage) is its own:
- a 10 MB CSV of tiny rows (about 1.7 million: far over SPEND_MAX_ROWS, so refused at the cap);
- a 10 MB CSV of ordinary rows just under the cap, previewed in full;
- both OPCC workbooks imported into a fresh SQLite database through the service `flask spend import`
  calls, with each file's payments and total, which must equal the README's to the penny.
Targets (issues 11 and 13): a 10 MB preview under 5 s and 300 MB RSS; both workbooks under 10 s.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEN_MB = 10 * 1024 * 1024
WORKBOOKS = {"pcc-2023-24.xlsx": (9_289, 10_432_277_362), "pcc-2024-25.xlsx": (7_857, 11_096_228_483)}


def _peak_mb() -> float:
    """This process's peak resident memory, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _csv(row: str, header: str = "Date,Supplier,Amount\n") -> bytes:
    """About 10 MB of one repeated row under a header."""
    return (header + row * ((TEN_MB - len(header)) // len(row))).encode()


def _preview(name: str, data: bytes) -> None:
    """Preview a file as the admin preview does (read, check, parse once) and print time and RSS."""
    from campaign import create_app
    from campaign.services.spend import parse, staging

    app = create_app("test")
    with app.app_context():
        # Two requests, each reading the file once: the upload checks it, the preview parses it.
        for step in ("upload check", "preview"):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                if step == "upload check":
                    staging.check_file(data)
                    outcome = "accepted"
                else:
                    result = parse.preview(data, {"date": 0, "supplier": 1, "amount": 2})
                    outcome = f"{result.row_count:,} payments, total £{result.total_pence / 100:,.2f}"
            except (staging.SpendImportError, parse.FileFormatError) as error:
                outcome = f"refused (4xx): {str(error)[:90]}..."
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            verdict = "OK" if took < 5 and _peak_mb() < 300 else "OVER TARGET"
            print(f"{name}, {step}: {len(data) / 1024 / 1024:.1f} MB in {took:.2f}s ({cpu:.2f}s CPU), "
                  f"peak RSS {_peak_mb():.0f} MB [{verdict}]\n  {outcome}")
            if outcome.startswith("refused"):
                break


def _import_workbooks() -> None:
    """Import both OPCC workbooks through the service and check their totals against the README."""
    database = Path(tempfile.mkdtemp()) / "bench.db"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    from campaign import create_app
    from campaign.extensions import db
    from campaign.services.spend import imports as spend_import
    from campaign.services.spend import staging

    app = create_app("development")
    with app.app_context():
        db.create_all()
        started, cpu = time.perf_counter(), time.process_time()
        for name, (payments, pence) in WORKBOOKS.items():
            data = (ROOT / "campaign" / "data" / "opcc-spend" / name).read_bytes()
            mapping = staging.mapping_for(db.session, staging.read_headers(data))[0]
            preview = spend_import.preview_data(db.session, data, mapping)
            record = spend_import.import_data(db.session, name, data, mapping, None, preview.parsed)
            match = "matches the README" if (record.row_count, record.total_pence) == (payments, pence) else "DIFFERS"
            print(f"  {name}: {record.row_count:,} payments, £{record.total_pence / 100:,.2f} ({match})")
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"both workbooks imported in {took:.2f}s ({cpu:.2f}s CPU) [{'OK' if took < 10 else 'OVER TARGET'}], "
          f"peak RSS {_peak_mb():.0f} MB")


def main() -> None:
    """Run each case in a fresh process."""
    if len(sys.argv) > 1:
        case = sys.argv[1]
        if case == "tiny":
            _preview("10 MB CSV of tiny rows", _csv("1,a,2\n"))
        elif case == "full":
            # 44-byte rows: about 238,000 of them, just under the default cap of 250,000.
            _preview("10 MB CSV under the row cap", _csv("01/04/2024,Acme Widgets (Lancashire) Ltd,6.00\n"))
        else:
            _import_workbooks()
        return
    for case in ("tiny", "full", "workbooks"):
        subprocess.run([sys.executable, __file__, case], check=True)


if __name__ == "__main__":
    main()
