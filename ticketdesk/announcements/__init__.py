"""Outage and maintenance announcements to the right contacts."""
