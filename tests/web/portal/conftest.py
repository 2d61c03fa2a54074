"""Portal test fixtures: fresh rate limits per test, two organisations with contacts and tickets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fresh_limits(app: Any) -> Iterator[None]:
    from ticketdesk.extensions import limiter

    limiter.reset()
    yield
    limiter.reset()


@dataclass
class Side:
    """One organisation as the tests use it."""

    org: Any
    admin: Any
    member: Any
    ticket: Any


@pytest.fixture
def two_orgs(make_org: Any, make_contact: Any, make_ticket: Any) -> tuple[Side, Side]:
    sides = []
    for name in ("Alpha s.r.o.", "Beta Oy"):
        org = make_org(name)
        admin = make_contact(
            org,
            name=f"{name} admin",
            is_admin=True,
            phones=["+420 777 100 200"] if name.startswith("Alpha") else ["+358 40 123 4567"],
        )
        member = make_contact(org, name=f"{name} member")
        ticket = make_ticket(member, subject=f"Server of {name} is slow")
        sides.append(Side(org, admin, member, ticket))
    return sides[0], sides[1]
