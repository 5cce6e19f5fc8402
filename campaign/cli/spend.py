"""`flask spend`: import transparency spend files from scripts, and refresh the yearly totals."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.formatting import pounds
from campaign.services import audit
from campaign.services.spend import bodies, staging, totals
from campaign.services.spend import imports as spend_import

cli = AppGroup("spend", help="Import spend files and work out yearly totals.")


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    help="Which column holds each field, like 'date=Payment Date,supplier=Supplier Name,amount=Net Amount,"
    "reference=Transaction Number'. Columns are header names or indexes counting from 0. "
    "Without it, the mapping remembered for these headers (or a proposal from the header names) is used.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported, and every row error, without saving.")
@click.option("--body", help="Whose payments the file holds, by name or slug. Default: the OPCC and Lancashire "
              "Constabulary, the only body whose payments count toward the campaign's figures.")
def import_file(file: Path, mapping: str | None, dry_run: bool, body: str | None) -> None:
    """Import FILE as a draft for a publisher to approve, leaving out rows with errors and payments already imported."""
    audit.as_command_line()
    data = file.read_bytes()
    try:
        headers = staging.read_headers(data)
        if mapping:
            columns = staging.parse_mapping_option(mapping, headers)
        else:
            proposed, remembered = staging.mapping_for(db.session, headers)
            columns = staging.parse_mapping_option(
                ",".join(f"{key}={index}" for key, index in proposed.items() if index is not None), headers
            )
            source = "the mapping remembered for these headers" if remembered else "the proposed mapping"
            chosen = ", ".join(f"{key}={headers[index]!r}" for key, index in columns.items() if index is not None)
            click.echo(f"Using {source}: {chosen}")
        started = time.perf_counter()
        publisher = bodies.find_or_add(db.session, body)
        preview = spend_import.preview_data(db.session, data, columns, publisher)
    except staging.SpendImportError as error:
        raise click.ClickException(str(error)) from None

    parsed = preview.parsed
    for error in parsed.errors:
        click.echo(error.message, err=True)
    click.echo(
        f"{parsed.row_count:,} payments read, total {pounds(parsed.total_pence, exact=True)}; "
        f"{len(parsed.errors):,} rows with errors left out; {len(parsed.skipped):,} rows skipped; "
        f"{preview.already_imported:,} already imported."
    )
    for year in preview.years:
        click.echo(f"  {year.label}: {year.count:,} payments, {pounds(year.total_pence, exact=True)}")
    if preview.correction:
        change = preview.correction
        click.echo(f"Corrects {change.replaces.filename}: {change.added:,} payments added, {change.removed:,} removed, "
                   f"{change.changed:,} changed. Once approved it replaces that import.")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was saved.")
        return
    try:
        record = spend_import.import_data(db.session, file.name, data, columns, actor=None, body=publisher)
    except staging.SpendImportError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Imported {record.added_count:,} new payments from {file.name} for {publisher.name} "
        f"in {time.perf_counter() - started:.1f}s, as a draft: a publisher approves it at /admin/review."
    )


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
