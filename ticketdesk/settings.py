"""TICKETDESK_* settings, parsed once into a typed, frozen object.

Values come from the environment first, then from the root ``config.py`` defaults. Any bad value
raises :class:`SettingsError` naming the variable, so commands can print one clear line.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "TICKETDESK_"


class SettingsError(ValueError):
    """A TICKETDESK_* value is missing or malformed."""


def _defaults() -> dict[str, Any]:
    try:
        import config  # root-level config.py (present in a checkout)
    except ImportError:  # installed without the checkout: built-in defaults below
        return {}
    return {k: getattr(config, k) for k in dir(config) if k.isupper()}


_BUILTIN: dict[str, Any] = {
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "REDIS_URL": None,
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "SUPPORT_ADDRESSES": "support@ticketdesk.localhost=support",
    "SMTP_URL": None,
    "SMTP_FALLBACK_URL": None,
    "MAIL_FROM": "support@ticketdesk.localhost",
    "INTAKE_HOST": "127.0.0.1",
    "INTAKE_PORT": 8025,
    "INTAKE_TLS_CERT": None,
    "INTAKE_TLS_KEY": None,
    "IMAP_URL": None,
    "IMAP_DONE_FOLDER": None,
    "DNS_SERVERS": None,
    "DNS_TIMEOUT": 3.0,
    "SMS_GATEWAY_URL": None,
    "SMS_WEBHOOK_SECRET": None,
    "CTI_TOKEN": None,
    "REOPEN_DAYS": 14,
    "SUBJECT_TAG": "TD",
    "CONFIRM_LINK_HOURS": 72,
    "DEFAULT_REGION": "CZ",
    "DEFAULT_LANGUAGE": "en",
    "MAX_MESSAGE_BYTES": 35 * 1024 * 1024,
    "MAX_ATTACHMENT_BYTES": 25 * 1024 * 1024,
    "TRUSTED_AUTHSERV_IDS": "",
    "EMBEDDED_WORKER": True,
    "EMBEDDED_INTAKE": True,
    "LOG_LEVEL": "INFO",
    "INSTANCE_PATH": None,
}


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    redis_url: str | None
    public_url: str
    support_addresses: dict[str, str]
    smtp_url: str | None
    smtp_fallback_url: str | None
    mail_from: str
    intake_host: str
    intake_port: int
    intake_tls_cert: str | None
    intake_tls_key: str | None
    imap_url: str | None
    imap_done_folder: str | None
    dns_servers: tuple[str, ...] | None
    dns_timeout: float
    sms_gateway_url: str | None
    sms_webhook_secret: str | None
    cti_token: str | None
    reopen_days: int
    subject_tag: str
    confirm_link_hours: int
    default_region: str
    default_language: str
    max_message_bytes: int
    max_attachment_bytes: int
    trusted_authserv_ids: frozenset[str]
    embedded_worker: bool
    embedded_intake: bool
    log_level: str
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def mail_domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "ticketdesk.localhost"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {value!r}")


def _int(name: str, value: Any, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{PREFIX}{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{PREFIX}{name} must be at least {minimum}, not {number}")
    return number


def _float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{PREFIX}{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{PREFIX}{name} must be positive, not {number}")
    return number


def _url(name: str, value: Any, schemes: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    scheme = urlsplit(text).scheme.split("+")[0]
    if scheme not in schemes:
        allowed = ", ".join(schemes)
        raise SettingsError(f"{PREFIX}{name} must be a URL with one of the schemes {allowed}, not {text!r}")
    return text


def parse_support_addresses(value: str) -> dict[str, str]:
    """``support@x=support,datacenter@x=datacenter`` → {address: queue slug}."""
    mapping: dict[str, str] = {}
    for item in str(value).replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        address, sep, queue = item.partition("=")
        address, queue = address.strip().lower(), queue.strip()
        if not sep or "@" not in address or not queue:
            raise SettingsError(
                f"{PREFIX}SUPPORT_ADDRESSES: {item!r} is not 'address=queue' (e.g. support@example.com=support)"
            )
        mapping[address] = queue
    if not mapping:
        raise SettingsError(f"{PREFIX}SUPPORT_ADDRESSES must name at least one address=queue")
    return mapping


def _existing_file(name: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not Path(str(value)).is_file():
        raise SettingsError(f"{PREFIX}{name}: no such file {value!r}")
    return str(value)


def _dns_servers(value: Any) -> tuple[str, ...] | None:
    if value in (None, ""):
        return None
    servers = tuple(s.strip() for s in str(value).replace(";", ",").split(",") if s.strip())
    for server in servers:
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        if port and not port.isdigit():
            raise SettingsError(f"{PREFIX}DNS_SERVERS: {server!r} is not host[:port]")
        if not (host or server):
            raise SettingsError(f"{PREFIX}DNS_SERVERS: empty server")
    return servers


def _secret_key(instance: Path, value: Any) -> str:
    if value:
        return str(value)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read TICKETDESK_* from ``env`` (default ``os.environ``) over config.py defaults."""
    env = dict(os.environ if env is None else env)
    raw: dict[str, Any] = {**_BUILTIN, **_defaults()}
    for key in raw:
        if PREFIX + key in env:
            raw[key] = env[PREFIX + key]
    raw.update({k.upper(): v for k, v in overrides.items() if k.upper() in raw})

    instance = Path(raw["INSTANCE_PATH"] or Path.cwd() / "instance").resolve()
    database_url = raw["DATABASE_URL"] or f"sqlite:///{instance / 'ticketdesk.sqlite3'}"
    database_url = _url("DATABASE_URL", database_url, ("sqlite", "postgresql", "postgres"))
    assert database_url is not None
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    public_url = _url("PUBLIC_URL", raw["PUBLIC_URL"], ("http", "https"))
    log_level = str(raw["LOG_LEVEL"]).upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(
            f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {raw['LOG_LEVEL']!r}"
        )
    region = str(raw["DEFAULT_REGION"]).upper()
    if len(region) != 2 or not region.isalpha():
        raise SettingsError(f"{PREFIX}DEFAULT_REGION must be a two-letter country code, not {region!r}")
    language = str(raw["DEFAULT_LANGUAGE"]).lower()
    if language not in {"en", "cs"}:
        raise SettingsError(f"{PREFIX}DEFAULT_LANGUAGE must be en or cs, not {language!r}")
    tag = str(raw["SUBJECT_TAG"]).strip()
    if not tag.isalnum():
        raise SettingsError(f"{PREFIX}SUBJECT_TAG must be letters and digits, not {tag!r}")
    mail_from = str(raw["MAIL_FROM"]).strip()
    if "@" not in mail_from:
        raise SettingsError(f"{PREFIX}MAIL_FROM must be an e-mail address, not {mail_from!r}")

    return Settings(
        instance_path=instance,
        database_url=database_url,
        secret_key=_secret_key(instance, raw["SECRET_KEY"]),
        redis_url=_url("REDIS_URL", raw["REDIS_URL"], ("redis", "rediss", "unix")),
        public_url=(public_url or "http://127.0.0.1:5000").rstrip("/"),
        support_addresses=parse_support_addresses(raw["SUPPORT_ADDRESSES"]),
        smtp_url=_url("SMTP_URL", raw["SMTP_URL"], ("smtp", "smtps", "lmtp", "mbox")),
        smtp_fallback_url=_url(
            "SMTP_FALLBACK_URL", raw["SMTP_FALLBACK_URL"], ("smtp", "smtps", "lmtp", "mbox")
        ),
        mail_from=mail_from,
        intake_host=str(raw["INTAKE_HOST"]),
        intake_port=_int("INTAKE_PORT", raw["INTAKE_PORT"]),
        intake_tls_cert=_existing_file("INTAKE_TLS_CERT", raw["INTAKE_TLS_CERT"]),
        intake_tls_key=_existing_file("INTAKE_TLS_KEY", raw["INTAKE_TLS_KEY"]),
        imap_url=_url("IMAP_URL", raw["IMAP_URL"], ("imap", "imaps")),
        imap_done_folder=str(raw["IMAP_DONE_FOLDER"]) if raw["IMAP_DONE_FOLDER"] else None,
        dns_servers=_dns_servers(raw["DNS_SERVERS"]),
        dns_timeout=_float("DNS_TIMEOUT", raw["DNS_TIMEOUT"]),
        sms_gateway_url=str(raw["SMS_GATEWAY_URL"]) if raw["SMS_GATEWAY_URL"] else None,
        sms_webhook_secret=str(raw["SMS_WEBHOOK_SECRET"]) if raw["SMS_WEBHOOK_SECRET"] else None,
        cti_token=str(raw["CTI_TOKEN"]) if raw["CTI_TOKEN"] else None,
        reopen_days=_int("REOPEN_DAYS", raw["REOPEN_DAYS"], minimum=0),
        subject_tag=tag,
        confirm_link_hours=_int("CONFIRM_LINK_HOURS", raw["CONFIRM_LINK_HOURS"], minimum=1),
        default_region=region,
        default_language=language,
        max_message_bytes=_int("MAX_MESSAGE_BYTES", raw["MAX_MESSAGE_BYTES"], minimum=1024),
        max_attachment_bytes=_int("MAX_ATTACHMENT_BYTES", raw["MAX_ATTACHMENT_BYTES"], minimum=1),
        trusted_authserv_ids=frozenset(
            s.strip().lower() for s in str(raw["TRUSTED_AUTHSERV_IDS"] or "").split(",") if s.strip()
        ),
        embedded_worker=_bool("EMBEDDED_WORKER", raw["EMBEDDED_WORKER"]),
        embedded_intake=_bool("EMBEDDED_INTAKE", raw["EMBEDDED_INTAKE"]),
        log_level=log_level,
    )
