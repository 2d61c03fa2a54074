"""Phone: numbers normalised to E.164 (``numbers``), caller-ID matching to technical contacts,
the PIN check with lockout, and the call-event webhooks.
"""
