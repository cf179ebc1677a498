"""Expiry arithmetic: pure functions of dates and a configuration's settings, no database.

A configuration may give its credentials a validity period; a credential records ``expires_at``
when it is issued, so changing the period later changes no issued credential. Expired is a
public state computed from that date, never a lifecycle status.
"""

import calendar
from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

# Reminder offsets are days before expiry; ten years is the most that means anything.
MAX_REMINDER_DAYS = 3650
MAX_REMINDERS = 5


class ValidityUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


# The longest validity period, per unit: a hundred years (dates beyond would leave the calendar's range).
MAX_VALIDITY = {ValidityUnit.DAYS: 36500, ValidityUnit.MONTHS: 1200}


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter (31 January + 1 = 28/29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def expiry_for(issued_at: datetime, *, period: int | None, unit: str) -> datetime | None:
    """When a credential issued at ``issued_at`` expires under a period, or None when there is none."""
    if not period:
        return None
    if unit == ValidityUnit.DAYS:
        return issued_at + timedelta(days=period)
    return add_months(issued_at, period)


def reminder_days_parse(text: str) -> tuple[int, ...]:
    """'60, 7' -> (60, 7): distinct whole days before expiry, largest first; ValueError in words otherwise."""
    days: set[int] = set()
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= MAX_REMINDER_DAYS:
            raise ValueError(
                f"'{part}' is not a number of days between 1 and {MAX_REMINDER_DAYS}; "
                "write the days before expiry separated by commas, e.g. 60, 7."
            )
        days.add(int(part))
    if len(days) > MAX_REMINDERS:
        raise ValueError(f"At most {MAX_REMINDERS} reminders; you gave {len(days)}.")
    return tuple(sorted(days, reverse=True))


def applicable_offsets(*, issued_at: datetime, expires_at: datetime, reminder_days: tuple[int, ...]) -> list[int]:
    """The offsets that fall within the credential's validity: a 60-day reminder means nothing for a 30-day one."""
    return [days for days in reminder_days if expires_at - timedelta(days=days) > issued_at]


def renewal_opens(*, issued_at: datetime, expires_at: datetime, reminder_days: tuple[int, ...]) -> datetime:
    """From when a credential may be renewed: its first applicable reminder, or its expiry without one."""
    offsets = applicable_offsets(issued_at=issued_at, expires_at=expires_at, reminder_days=reminder_days)
    return expires_at - timedelta(days=max(offsets, default=0))


def reminder_due(
    *, issued_at: datetime, expires_at: datetime, now: datetime, reminder_days: tuple[int, ...], sent: set[int]
) -> int | None:
    """The reminder to send now, as its offset in days, or None.

    The smallest applicable offset whose day has come: a credential that reaches its 60-day
    window when only 5 days are left (the task did not run) gets the 7-day reminder, not both.
    Nothing once expired, nothing already sent at that offset or a smaller one.
    """
    if expires_at <= now:
        return None
    offsets = applicable_offsets(issued_at=issued_at, expires_at=expires_at, reminder_days=reminder_days)
    reached = [days for days in offsets if expires_at - timedelta(days=days) <= now]
    if not reached:
        return None
    due = min(reached)
    if any(days <= due for days in sent):
        return None
    return due
