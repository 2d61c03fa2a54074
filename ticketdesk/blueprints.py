"""Every blueprint and Socket.IO handler the app serves, registered in one place."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from ticketdesk.api import bp as api_bp
    from ticketdesk.health import bp as health_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
