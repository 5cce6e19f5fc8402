"""`flask spend`: import transparency spend files from scripts, and refresh the yearly totals."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.formatting import pounds_and_pence
from campaign.services import audit
from campaign.services.spend import bodies, reading, staging, totals
from campaign.services.spend import imports as spend_import
from campaign.services.spend.columns import FIRST_ROW_IS_DATA

cli = AppGroup("spend", help="Import spend files and work out yearly totals.")


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    help="Which column holds each field, like 'date=Payment Date,supplier=Supplier Name,amount=Net Amount,"
    "reference=Transaction Number,category=Expense Type'. Columns are header names or indexes counting from 0. "
    "Without it, the mapping remembered for these headers (or a proposal from the header names) is used.",
)
@click.option("--first-row-is-data", is_flag=True, help="The files have no header row: map columns by index.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported, and every row error, without saving.")
@click.option("--body", help="Whose payments the files hold, by name or slug. Default: the OPCC and Lancashire "
              "Constabulary, the only body whose payments count toward the campaign's figures.")
def import_files(
    files: tuple[Path, ...], mapping: str | None, first_row_is_data: bool, dry_run: bool, body: str | None
) -> None:
    """Import FILES (CSV or .xlsx), leaving out rows with errors (listed) and payments already imported.

    Every file is read and summarised, sheet by sheet, before any is saved; a file that cannot be
    read stops the whole command with nothing saved.
    """
    audit.as_command_line()
    started = time.perf_counter()
    publisher = bodies.find_or_add(db.session, body)
    planned = [_plan(file, mapping, first_row_is_data, publisher) for file in files]
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was saved.")
        return
    for file, data, columns, preview in planned:
        try:
            record = spend_import.import_data(
                db.session, file.name, data, columns, actor=None, parsed=preview.parsed, body=publisher
            )
        except staging.SpendImportError as error:
            db.session.rollback()
            raise click.ClickException(f"{file.name}: {error}") from None
        click.echo(f"Imported {record.added_count:,} new payments from {file.name} for {publisher.name}, as a draft.")
    click.echo(f"Done in {time.perf_counter() - started:.1f}s. A publisher approves the imports at /admin/review.")


def _plan(file: Path, mapping: str | None, first_row_is_data: bool, publisher):
    """Read one file with its columns and print what importing it would do, saving nothing."""
    try:
        reading.check_size(file.stat().st_size)  # before reading a huge file into memory
        data = file.read_bytes()
        headers = staging.read_headers(data, first_row_is_data)
        if mapping:
            columns = staging.parse_mapping_option(mapping, headers)
        else:
            proposed, remembered = staging.mapping_for(db.session, headers)
            columns = staging.parse_mapping_option(
                ",".join(f"{key}={index}" for key, index in proposed.items() if index is not None), headers
            )
            source = "the mapping remembered for these headers" if remembered else "the proposed mapping"
            chosen = ", ".join(f"{key}={headers[index]!r}" for key, index in columns.items() if index is not None)
            click.echo(f"Using {source} for {file.name}: {chosen}")
        if first_row_is_data:
            columns[FIRST_ROW_IS_DATA] = True
        preview = spend_import.preview_data(db.session, data, columns, publisher)
    except (staging.SpendImportError, reading.FileFormatError) as error:
        raise click.ClickException(f"{file.name}: {error}") from None
    _summarise(file.name, preview)
    return file, data, columns, preview


def _summarise(name: str, preview: spend_import.ImportPreview) -> None:
    """Print a file's totals, each sheet's, its errors and its years."""
    parsed = preview.parsed
    for error in parsed.errors:
        click.echo(error.message, err=True)
    for note in parsed.notes:
        click.echo(note)
    click.echo(
        f"{name}: {parsed.row_count:,} payments read, total {pounds_and_pence(parsed.total_pence)}, "
        f"credits {parsed.credit_count:,} totalling {pounds_and_pence(parsed.credit_total_pence)}; "
        f"{len(parsed.errors):,} rows with errors left out; {len(parsed.skipped):,} rows skipped; "
        f"{preview.already_imported:,} already imported."
    )
    if len(parsed.sheets) > 1 or parsed.sheets[0].name is not None:
        for sheet in parsed.sheets:
            click.echo(
                f"  Sheet {sheet.label}: {sheet.row_count:,} payments, {pounds_and_pence(sheet.total_pence)}, "
                f"credits {sheet.credit_count:,} totalling {pounds_and_pence(sheet.credit_total_pence)}"
                + (f"; {sheet.error_count:,} with errors" if sheet.error_count else "")
                + (f"; {sheet.blank_rows:,} blank rows skipped" if sheet.blank_rows else "")
            )
    for year in preview.years:
        click.echo(f"  {year.label}: {year.count:,} payments, {pounds_and_pence(year.total_pence)}")
    if preview.correction:
        change = preview.correction
        click.echo(f"Corrects {change.replaces.filename}: {change.added:,} payments added, {change.removed:,} removed, "
                   f"{change.changed:,} changed. Once approved it replaces that import.")


@cli.command("recompute")
def recompute() -> None:
    """Work out the yearly totals again from every imported payment."""
    started = time.perf_counter()
    result = totals.recompute_years(db.session)
    db.session.commit()
    click.echo(f"Updated {len(result.updated)} years in {time.perf_counter() - started:.2f}s.")
    if result.documented:
        click.echo("Left documented years as they are: " + ", ".join(str(year) for year in result.documented))
    for problem in result.problems:
        click.echo(problem, err=True)


@cli.command("purge-uploads")
def purge_uploads() -> None:
    """Delete uploaded files that were never imported (older than 6 hours)."""
    removed = staging.purge_stale(db.session)
    db.session.commit()
    click.echo(f"Deleted {removed} stale uploads.")
