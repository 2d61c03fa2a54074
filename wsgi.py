"""WSGI entry point: ``gunicorn -k gthread --threads 64 wsgi:app`` and ``flask --app wsgi db upgrade``."""

from ticketdesk.app import create_app

app = create_app()
