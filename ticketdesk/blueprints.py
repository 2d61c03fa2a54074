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
    from ticketdesk.accounts.login import register as register_login

    register_login(app)
    from ticketdesk.i18n import register as register_i18n

    register_i18n(app)
    from ticketdesk.accounts.views import bp as accounts_bp

    app.register_blueprint(accounts_bp)
    from ticketdesk.tickets.views import bp as workspace_bp

    app.register_blueprint(workspace_bp)
    from ticketdesk.admin.views import bp as admin_bp

    app.register_blueprint(admin_bp)
    from ticketdesk.realtime.handlers import register as register_realtime

    register_realtime(app)
    from ticketdesk.sms.views import bp as sms_admin_bp

    app.register_blueprint(sms_admin_bp)
    from ticketdesk.phone.views import bp as phone_bp

    app.register_blueprint(phone_bp)
    from ticketdesk.portal.views import register as register_portal

    register_portal(app)
    from ticketdesk.announcements.views import bp as announcements_bp

    app.register_blueprint(announcements_bp)
    from ticketdesk.announcements.status import bp as status_bp

    app.register_blueprint(status_bp)
    from ticketdesk.priority.views import bp as priority_admin_bp

    app.register_blueprint(priority_admin_bp)
    from ticketdesk.sla.views import bp as sla_admin_bp

    app.register_blueprint(sla_admin_bp)
