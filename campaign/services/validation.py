"""How services say no: the error for staff input that only the data can check, and rolling back on failure."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")


class FieldError(ValueError):
    """A rule broken by one field (or by the form as a whole when `field` is None).

    The message is written as an instruction, ready to show beside the field.
    """

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def rolls_back_on_error(service: Callable[P, R]) -> Callable[P, R]:
    """Wrap a service taking the session first so that, when it fails, it rolls back its own work first.

    Whatever it added or changed before the error is gone, and the session is ready for the
    caller's next query: views never need to call rollback themselves.
    """

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session: Session = args[0] if args else kwargs["session"]  # type: ignore[assignment]
        try:
            return service(*args, **kwargs)
        except Exception:
            session.rollback()
            raise

    return wrapper
