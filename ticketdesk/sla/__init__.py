"""Service-level agreements: business-hours arithmetic, targets per priority and the pausable clock.

Pure core (no Flask, no database):

- ``hours``   — :class:`BusinessCalendar` (time zone, working days and hours, public holidays from the
  ``holidays`` package, extra closed dates, or 24x7) and the arithmetic on it:
  ``add_business_minutes``, ``business_minutes_between``, ``is_open``, ``next_open``.
  Business hours are wall-clock local time; durations are measured in real (UTC) time, so DST
  changes are handled correctly.
- ``targets`` — default first-response and resolution targets per priority, :class:`SlaPolicy`
  and ``due_times``.
- ``clock``   — :class:`SlaClock`, paused while a ticket is ``waiting_for_client``, and
  ``breach_near`` for escalation.

All datetimes going in must be timezone-aware; all datetimes coming out are aware UTC. Nothing here
reads the wall clock: callers pass ``now``.
"""
