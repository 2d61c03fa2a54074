"""ticketdesk: support ticketing with e-mail intake, sender authentication and SMS alerts."""

__version__ = "0.1.0"
