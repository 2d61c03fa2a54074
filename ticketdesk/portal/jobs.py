"""Portal housekeeping run by the worker (register this module in ``ticketdesk/job_modules.py``)."""

from __future__ import annotations

from typing import Any

from ticketdesk.extensions import db
from ticketdesk.jobs.registry import JobContext, job
from ticketdesk.portal.service import purge_links


@job("portal.purge_login_links", every=3600)
def purge_login_links(payload: dict[str, Any], ctx: JobContext) -> None:
    """Spent and expired sign-in links are deleted a day after they expired."""
    purge_links(db.session, now=ctx.now)
