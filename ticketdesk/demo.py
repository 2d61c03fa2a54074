"""Believable demo data: two organisations, technical contacts with phones, three agents, and tickets
in every status (with their history)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent
from ticketdesk.accounts.service import create_agent
from ticketdesk.contacts.models import Organization
from ticketdesk.contacts.service import create_contact, create_organization
from ticketdesk.tickets import service
from ticketdesk.tickets.history import ActorRef
from ticketdesk.tickets.models import Queue
from ticketdesk.tickets.service import NewMessage

DEMO_PASSWORD = "ticketdesk-demo"
AGENTS = [
    ("admin@ticketdesk.localhost", "Alena Adminová", "admin"),
    ("petr@ticketdesk.localhost", "Petr Novák", "agent"),
    ("eva@ticketdesk.localhost", "Eva Svobodová", "agent"),
]


def has_demo(session: Session) -> bool:
    return session.scalar(select(Organization.id).where(Organization.client_number == "C100001")) is not None


def load_demo(session: Session, *, now: datetime) -> dict[str, object]:
    """Create the demo data (idempotent: returns at once when it is there)."""
    if has_demo(session):
        return {"created": False}
    queues = {q.slug: q for q in session.scalars(select(Queue))}
    agents = [
        create_agent(
            session, email=email, name=name, password=DEMO_PASSWORD, role=role, queues=list(queues.values())
        )
        for email, name, role in AGENTS
    ]
    agents[2].available = False  # so routing has a choice to explain
    acme = create_organization(
        session,
        name="ACME Hosting s.r.o.",
        client_number="C100001",
        pin="4321",
        services=["dedicated-servers", "sms-gateway"],
        default_region="CZ",
        language="cs",
    )
    nordic = create_organization(
        session,
        name="Nordic Telecom Oy",
        client_number="C100002",
        services=["server-hosting", "subscriptions"],
        default_region="FI",
        language="en",
    )
    jana = create_contact(
        session,
        acme,
        name="Jana Dvořáková",
        emails=["jana@acme.example", "jana.d@acme.example"],
        phones=["+420 601 123 456"],
        is_admin=True,
        language="cs",
    )
    tomas = create_contact(
        session, acme, name="Tomáš Král", emails=["tomas@acme.example"], phones=["602 234 567"], language="cs"
    )
    create_contact(session, acme, name="Účtárna ACME", emails=["billing@acme.example"], technical=False)
    mikko = create_contact(
        session,
        nordic,
        name="Mikko Virtanen",
        emails=["mikko@nordic.example"],
        phones=["040 123 4567"],
        is_admin=True,
        language="en",
    )
    create_contact(
        session, nordic, name="Liisa Korhonen", emails=["liisa@nordic.example"], phones=["+358 50 765 4321"]
    )
    support = queues.get("support") or next(iter(queues.values()))
    datacenter = queues.get("datacenter", support)

    def ticket(org: Organization, who, queue: Queue, subject: str, text: str, at: datetime):  # type: ignore[no-untyped-def]
        t, _ = service.create_ticket(
            session,
            organization=org,
            requester=who,
            queue=queue,
            subject=subject,
            message=NewMessage(text=text, from_addr=who.primary_email, from_name=who.name, subject=subject),
            actor=ActorRef.client(who),
            now=at,
        )
        return t

    agent = agents[1]
    a = ActorRef.agent(agent)
    ticket(
        acme,
        jana,
        datacenter,
        "Výpadek serveru db2",
        "Server db2 nenabíhá po restartu, web je nedostupný.",
        now - timedelta(minutes=20),
    )
    t = ticket(
        nordic,
        mikko,
        support,
        "DNS change for shop.nordic.example",
        "Please point shop.nordic.example to 192.0.2.10.",
        now - timedelta(hours=3),
    )
    service.change_status(session, t, "in_progress", a, now=now - timedelta(hours=2))
    t = ticket(
        acme,
        tomas,
        support,
        "Rozšíření paměti",
        "Kolik by stálo rozšíření RAM na 64 GB?",
        now - timedelta(days=1),
    )
    service.add_agent_message(
        session,
        t,
        agent,
        kind="reply",
        text="Dobrý den, pošlete prosím ID serveru.",
        now=now - timedelta(hours=20),
    )
    service.change_status(session, t, "waiting_for_client", a, now=now - timedelta(hours=20))
    t = ticket(
        nordic,
        mikko,
        support,
        "Certificate renewal",
        "Our TLS certificate expires next week.",
        now - timedelta(days=3),
    )
    service.add_agent_message(
        session, t, agent, kind="reply", text="Renewed; valid until next year.", now=now - timedelta(days=2)
    )
    service.change_status(session, t, "resolved", a, now=now - timedelta(days=2))
    t = ticket(
        acme,
        jana,
        datacenter,
        "Výměna disku v rámci servisního okna",
        "Prosíme o výměnu disku v RAID poli.",
        now - timedelta(days=2),
    )
    service.change_status(
        session, t, "scheduled", a, now=now - timedelta(days=2), scheduled_for=now + timedelta(days=3)
    )
    t = ticket(
        nordic, mikko, support, "Old invoice question", "Thanks, all clear now.", now - timedelta(days=30)
    )
    service.change_status(session, t, "resolved", a, now=now - timedelta(days=29))
    service.change_status(session, t, "closed", ActorRef.system("auto-close"), now=now - timedelta(days=15))
    t = ticket(
        acme,
        tomas,
        support,
        "Poznámka k fakturaci",
        "Děkujeme za rychlé vyřízení minulého týdne.",
        now - timedelta(hours=1),
    )
    service.add_agent_message(session, t, agents[0], kind="note", text="Internal: client is happy.", now=now)
    session.flush()
    return {"created": True, "agents": [x.email for x in agents], "password": DEMO_PASSWORD}


def first_admin(session: Session) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.role == "admin").order_by(Agent.id).limit(1))
