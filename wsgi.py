"""WSGI entry point: ``gunicorn -w 1 -k gevent --worker-connections 1000 wsgi:app`` (README "Running in
production"; ``-k gthread --threads 100`` works too) and ``flask --app wsgi db upgrade``."""

from ticketdesk.app import create_app

app = create_app()
