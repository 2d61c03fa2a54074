"""The customer's words for what the services refuse: domain errors (raised in English for logs and the
API) become translated sentences for the portal, by error code or by the known message shapes, and
otherwise the service's own message is shown."""

from __future__ import annotations

import re
from collections.abc import Callable

from ticketdesk.errors import DomainError
from ticketdesk.portal.i18n import _
from ticketdesk.tickets.states import LifecycleError, ReopenWindowPassed

_BY_CODE: dict[str, Callable[[], str]] = {
    "transition_not_allowed": lambda: _("This is not possible in the ticket's current state."),
    "nothing_to_confirm": lambda: _("There is no resolution to confirm on this ticket."),
    "not_claimed": lambda: _("Nobody holds this ticket any more; it is already handled by the whole team."),
    "claim_ended": lambda: _("This claim has already ended; the ticket is handled by the whole team."),
    "own_admin_right": lambda: _("You cannot take away your own admin right. Ask another admin."),
    "own_technical_flag": lambda: _("You cannot stop being a technical contact yourself."),
    "remove_self": lambda: _("You cannot remove yourself. Ask another admin."),
    "unknown_queue": lambda: _("Please choose one of the offered queues."),
}

_SHAPES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^'?(?P<v>.*?)'? is not an e-mail address$"),
        lambda m: _("%(value)s is not an e-mail address.", value=m["v"]),
    ),
    (
        re.compile(r"^(?P<v>\S+) belongs to another contact$"),
        lambda m: _("The address %(value)s is already registered and cannot be used here.", value=m["v"]),
    ),
    (
        re.compile(r"^'?(?P<v>.*?)'? is not a valid phone number"),
        lambda m: _(
            "%(value)s is not a valid phone number: use the international form, e.g. +420 777 123 456.",
            value=m["v"],
        ),
    ),
    (re.compile(r"^the PIN must be 4 to 12 digits$"), lambda m: _("The PIN must be 4 to 12 digits.")),
    (re.compile(r"^the two PINs differ$"), lambda m: _("The two PINs differ.")),
    (re.compile(r"^enter the new PIN$"), lambda m: _("Enter the new PIN.")),
    (
        re.compile(r"^a contact needs at least one e-mail address$"),
        lambda m: _("A contact needs at least one e-mail address."),
    ),
    (re.compile(r"^(the )?name must not be empty$"), lambda m: _("The name must not be empty.")),
    (re.compile(r"^the message must not be empty$"), lambda m: _("The message must not be empty.")),
    (re.compile(r"^the subject must not be empty$"), lambda m: _("The subject must not be empty.")),
    (re.compile(r"^enter an e-mail address$"), lambda m: _("Enter an e-mail address.")),
    (
        re.compile(r"^(?P<v>\S+) is one of our support addresses"),
        lambda m: _("%(value)s is one of our support addresses and cannot be in copy.", value=m["v"]),
    ),
    (
        re.compile(r"^a support address cannot be in copy$"),
        lambda m: _("A support address cannot be in copy."),
    ),
    (re.compile(r"^(?P<v>\S+) is not in copy$"), lambda m: _("%(value)s is not in copy.", value=m["v"])),
    (
        re.compile(r"^the password must have at least (?P<n>\d+) characters$"),
        lambda m: _("The password must have at least %(count)s characters.", count=m["n"]),
    ),
    (
        re.compile(r"^at most (?P<n>\d+) files per message$"),
        lambda m: _("At most %(count)s files per message.", count=m["n"]),
    ),
]


def explain(err: Exception) -> str:
    """A sentence for the customer, in their language."""
    if isinstance(err, ReopenWindowPassed):
        return _("This ticket is closed. Please open a new ticket; it will be linked to this one.")
    message = getattr(err, "message", None) or str(err)
    code = getattr(err, "code", "")
    if isinstance(err, DomainError | LifecycleError) and code in _BY_CODE:
        return _BY_CODE[code]()
    for pattern, render in _SHAPES:
        match = pattern.search(message)
        if match:
            return render(match)
    return message[:1].upper() + message[1:]
