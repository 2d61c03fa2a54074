"""Defaults for ticketdesk settings.

Every value here can be overridden by an environment variable of the same name prefixed with
``TICKETDESK_`` (for example ``TICKETDESK_REOPEN_DAYS=7``). Parsing and validation live in
``ticketdesk/settings.py``; this file only holds the defaults a newcomer may want to read.
"""

DATABASE_URL = None  # None: SQLite under instance/ticketdesk.sqlite3
SECRET_KEY = None  # None: generated once and kept in instance/secret_key
REDIS_URL = None
PUBLIC_URL = "http://127.0.0.1:5000"
SUPPORT_ADDRESSES = (
    "support@ticketdesk.localhost=support,"
    "datacenter@ticketdesk.localhost=datacenter,"
    "consulting@ticketdesk.localhost=consulting"
)
SMTP_URL = None  # None: outgoing mail kept in the database and instance/outbox.mbox
SMTP_FALLBACK_URL = None
MAIL_FROM = "support@ticketdesk.localhost"
INTAKE_HOST = "127.0.0.1"
INTAKE_PORT = 8025
INTAKE_TLS_CERT = None  # PEM certificate: enables STARTTLS on the intake
INTAKE_TLS_KEY = None
IMAP_URL = None  # imaps://user:password@host/INBOX for `ticketdesk imap-poll`
IMAP_DONE_FOLDER = None  # move processed mail there (else it is flagged and marked seen)
DNS_SERVERS = None  # None: the system resolver
DNS_TIMEOUT = 3.0
SMS_GATEWAY_URL = None  # None: the local log gateway (nothing really sent)
SMS_WEBHOOK_SECRET = None
CTI_TOKEN = None
REOPEN_DAYS = 14
SUBJECT_TAG = "TD"
CONFIRM_LINK_HOURS = 72
DEFAULT_REGION = "CZ"
DEFAULT_LANGUAGE = "en"
MAX_MESSAGE_BYTES = 35 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
TRUSTED_AUTHSERV_IDS = ""
EMBEDDED_WORKER = True
EMBEDDED_INTAKE = True
LOG_LEVEL = "INFO"
