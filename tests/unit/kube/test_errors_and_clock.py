"""Error mapping from Status bodies, and the virtual clock's exact time keeping."""

from __future__ import annotations

import asyncio

import pytest

from openyurt.adapters.clock import VirtualClock
from openyurt.errors import (
    AlreadyExistsError,
    ApiError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    TooManyRequestsError,
    UnavailableError,
    from_status,
)


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (404, "NotFound", NotFoundError),
        (409, "Conflict", ConflictError),
        (409, "AlreadyExists", AlreadyExistsError),
        (410, "Expired", GoneError),
        (422, "Invalid", InvalidError),
        (429, "TooManyRequests", TooManyRequestsError),
        (504, "Timeout", UnavailableError),
        (500, "InternalError", ApiError),
    ],
)
def test_status_maps_to_class(code: int, reason: str, cls: type[ApiError]) -> None:
    err = from_status({"kind": "Status", "code": code, "reason": reason, "message": "m"})
    assert type(err) is cls and err.code == code and err.message == "m"


def test_causes_are_kept() -> None:
    err = from_status(
        {
            "code": 422,
            "reason": "Invalid",
            "message": "bad",
            "details": {"causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.x"}]},
        }
    )
    assert err.causes[0].field == "spec.x" and err.status["details"]["causes"][0]["field"] == "spec.x"


async def test_virtual_clock_advance_and_timeouts() -> None:
    clock = VirtualClock()
    woke: list[float] = []

    async def sleeper(d: float) -> None:
        await clock.sleep(d)
        woke.append(clock.now())

    tasks = [asyncio.create_task(sleeper(d)) for d in (3.0, 1.0, 2.0)]
    await clock.advance(2.5)
    assert woke == [1.0, 2.0]
    await clock.advance(1.0)
    assert woke == [1.0, 2.0, 3.0] and clock.now() == 3.5
    await asyncio.gather(*tasks)
    with pytest.raises(TimeoutError):
        await clock.run_until(clock.wait_for(asyncio.Event().wait(), 7.0))
    assert clock.now() == 10.5
    assert await clock.run_until(clock.wait_for(asyncio.sleep(0, "x"), 7.0)) == "x"
