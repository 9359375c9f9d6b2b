"""storage.timeconv: aware datetimes to integer Unix milliseconds and back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.timeconv import from_ms, from_ms_or_none, to_ms, to_ms_or_none


@pytest.mark.parametrize(
    ("instant", "ms"),
    [
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), 0, id="epoch"),
        pytest.param(
            datetime(2026, 3, 1, 12, 0, 0, 123_000, tzinfo=UTC), 1772366400123, id="utc-with-ms"
        ),
        pytest.param(
            datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))),
            1772366400000,
            id="fixed-offset",
        ),
        pytest.param(
            datetime(2026, 3, 1, 7, 0, tzinfo=ZoneInfo("America/New_York")),
            1772366400000,
            id="zoneinfo",
        ),
        pytest.param(
            datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC), -1, id="before-epoch"
        ),
        pytest.param(
            datetime(2026, 3, 1, 12, 0, 0, 999_999, tzinfo=UTC),
            1772366400999,
            id="sub-ms-truncated",
        ),
    ],
)
def test_to_ms(instant: datetime, ms: int) -> None:
    assert to_ms(instant) == ms


def test_from_ms_is_aware_utc() -> None:
    instant = from_ms(1772366400123)
    assert instant == datetime(2026, 3, 1, 12, 0, 0, 123_000, tzinfo=UTC)
    assert instant.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(datetime(2026, 3, 1, 12), ValueError, id="naive"),
        pytest.param(date(2026, 3, 1), TypeError, id="date"),
        pytest.param(1772366400, TypeError, id="int"),
    ],
)
def test_to_ms_refuses(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        to_ms(value)  # type: ignore[arg-type]


def test_none_passes_through() -> None:
    assert to_ms_or_none(None) is None and from_ms_or_none(None) is None


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_round_trip_to_the_millisecond(instant: datetime) -> None:
    back = from_ms(to_ms(instant))
    assert back == instant.replace(microsecond=instant.microsecond // 1000 * 1000)
