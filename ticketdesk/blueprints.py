"""Every blueprint and Socket.IO handler the app serves, registered in one place."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from ticketdesk.api import bp as api_bp
    from ticketdesk.health import bp as health_bp
    from ticketdesk.senderauth.views import bp as confirm_bp
    from ticketdesk.tickets.attachments import bp as attachments_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(attachments_bp)
    app.register_blueprint(confirm_bp)
