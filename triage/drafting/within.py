"""How long the customer waits, in words of their language: the ``{{ within }}`` of automatic
acknowledgements ("we will reply within 24 hours").

The words were proof-read by fluent support agents of each market (session 13):

* the largest unit that divides evenly, days only from two days on ("24 hours", not
  "1 day"); Vietnamese, Indonesian and Tagalog nouns have no plural;
* Tagalog writes one in words, ``isang oras`` (a digit takes no linker: "sa loob ng 24
  oras"), the rest in digits;
* Indonesian support writes whole days up to three as ``1x24 jam``, ``2x24 jam``,
  ``3x24 jam`` (read as a service promise, and exactly 24/48/72 hours, where "2 hari" may be
  read as working days), then ``N hari``;
* a target counted in a business calendar (``[deadlines]`` calendars) is working time, said
  so, and never in days: 48 hours of open time are six working days on 09:00-17:00, so "2
  working days" would promise less than the deadline gives. en "24 working hours", vi "24
  giờ làm việc", id "24 jam kerja" (no ``Nx24`` form: that is clock time to every reader), tl
  "24 business hours" (Taglish, as Philippine teams write).
"""

from __future__ import annotations

from datetime import timedelta

_UNITS: dict[str, dict[str, tuple[str, str]]] = {
    # language -> unit -> (one, many)
    "en": {"day": ("day", "days"), "hour": ("hour", "hours"), "minute": ("minute", "minutes")},
    "vi": {"day": ("ngày", "ngày"), "hour": ("giờ", "giờ"), "minute": ("phút", "phút")},
    "id": {"day": ("hari", "hari"), "hour": ("jam", "jam"), "minute": ("menit", "menit")},
    "tl": {"day": ("araw", "araw"), "hour": ("oras", "oras"), "minute": ("minuto", "minuto")},
}
_WORKING: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"hour": ("working hour", "working hours"),
           "minute": ("working minute", "working minutes")},
    "vi": {"hour": ("giờ làm việc", "giờ làm việc"), "minute": ("phút làm việc", "phút làm việc")},
    "id": {"hour": ("jam kerja", "jam kerja"), "minute": ("menit kerja", "menit kerja")},
    "tl": {"hour": ("business hour", "business hours"),
           "minute": ("business minute", "business minutes")},
}


def _amount(delta: timedelta, *, days: bool = True) -> tuple[int, str]:
    """The number and unit ``delta`` is said in: the largest unit that divides evenly (days
    only when ``days``, and from two days on)."""
    secs = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if unit == "day" and not days:
            continue
        if secs >= size and secs % size == 0 and (unit != "day" or secs >= 2 * size):
            return secs // size, unit
    return max(1, secs // 60), "minute"


def humanize(delta: timedelta) -> str:
    """Return ``24 hours``, ``60 minutes``, ``2 days``: the largest unit that divides evenly
    (days only from two days on, as people say "24 hours")."""
    return humanize_in(delta, "en")


def humanize_in(delta: timedelta, language: str, *, working: bool = False) -> str:
    """Return ``delta`` in ``language`` (en for one not written): ``24 giờ``, ``1x24 jam``,
    ``isang oras``, ``2 days``; with ``working`` (a target counted in a business calendar),
    working time in hours or minutes: ``48 working hours``, ``24 jam kerja``."""
    language = language if language in _UNITS else "en"
    if working:
        n, unit = _amount(delta, days=False)
        one, many = _WORKING[language][unit]
        return f"{n} {one if n == 1 else many}"
    secs = int(delta.total_seconds())
    if language == "id" and secs % 86400 == 0 and 1 <= secs // 86400 <= 3:
        return f"{secs // 86400}x24 jam"
    n, unit = _amount(delta)
    one, many = _UNITS[language][unit]
    if language == "tl" and n == 1:
        return f"isang {one}"
    return f"{n} {one if n == 1 else many}"
