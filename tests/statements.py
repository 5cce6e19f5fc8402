"""What SQL a piece of code sends: statements and commits counted, and the plan a lookup gets.

This module holds no tests of its own. Tests use `recording(engine)` to pin how many round trips
a path makes, and `plan_of(engine, call)` to check that a lookup is served by an index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


def kind(statement: str) -> str:
    """A statement's verb and main table: "SELECT pledge", "INSERT outbox_message", "UPDATE outbox_message"."""
    text = " ".join(statement.split())
    if text.upper().startswith("WITH "):
        depth, start = 0, text.index("(")
        for position in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[position], 0)
            if depth == 0:
                text = text[position + 1 :].strip()
                break
    verb = text.split()[0].upper()
    table = re.search(r"(?:INSERT INTO|UPDATE|DELETE FROM|FROM)\s+\"?(\w+)", text, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else '?'}"


@dataclass
class Recorded:
    """The statements sent to the database and the commits made, in order."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0

    @property
    def kinds(self) -> list[str]:
        """Each statement as its verb and table."""
        return [kind(statement) for statement in self.statements]


@contextmanager
def recording(engine: Engine) -> Iterator[Recorded]:
    """Record every statement (before_cursor_execute) and every COMMIT on `engine` inside the block."""
    recorded = Recorded()

    def before_cursor_execute(connection, cursor, statement, parameters, context, executemany):
        recorded.statements.append(statement)

    def commit(connection):
        recorded.commits += 1

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", commit)
    try:
        yield recorded
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        event.remove(engine, "commit", commit)


def _generic_plan(cursor, statement: str, parameters: dict) -> list[str]:
    """PostgreSQL's generic plan for a statement, as a prepared statement gets once it is reused.

    The plan is made without the parameters' values, so it shows whether an index can serve the
    query whatever they are. Sequential scans are switched off to ask whether an index can serve
    it at all, rather than whether one is worth it on a nearly empty test table.
    """
    names: list[str] = []

    def placeholder(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s(?:::[A-Z]+)?", placeholder, statement)
    cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute(f"PREPARE lookup_plan AS {prepared}")
    try:
        values = []
        for name in names:
            value = parameters[name]
            values.append(str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'")
        cursor.execute(f"EXPLAIN EXECUTE lookup_plan({', '.join(values)})")
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.execute("DEALLOCATE lookup_plan")


def plans_of(engine: Engine, call: Callable[[], object]) -> list[str]:
    """The query plan of every SELECT that `call` sends, as the database would run it (generic on PostgreSQL)."""
    plans: list[str] = []

    def explain(connection, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        if connection.dialect.name == "postgresql":
            plans.append("\n".join(_generic_plan(cursor, statement, parameters)))
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append("\n".join(row[-1] for row in cursor.fetchall()))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    return plans
