"""Rules for words used the same way in every supported language (technical English loans)."""

from __future__ import annotations

from ._build import INCIDENT, STATE, RuleDict, cue, signal

L = "*"

RULES: list[RuleDict] = [
    signal(
        L,
        "http_down",
        "urgent",
        terms=["=502", "=503", "=504", "502-*", "503-*", "504-*", "timeout*", "time-out*"],
        phrases=[
            "service unavailable",
            "bad gateway",
            "gateway time-out|timeout",
            "connection refused",
            "internal server error",
            "error establishing database|db connection",
        ],
        contexts=STATE,
        description="HTTP 502/503/504, timeouts and refused connections: the service does not answer",
    ),
    signal(
        L,
        "offline",
        "urgent",
        terms=["offline", "down"],
        description="'offline', 'down' (also used in cs/de/pl/nb mail)",
    ),
    signal(L, "no_boot", "urgent", phrases=["kernel panic"], terms=["bootloop", "boot-loop"], contexts=STATE),
    signal(
        L,
        "security",
        "urgent",
        terms=["ransomware*", "malware*", "defac*"],
        contexts=INCIDENT,
        description="malware and defacement (they leave damage behind, so they stay urgent when past)",
    ),
    signal(
        L,
        "ddos",
        "urgent",
        terms=["ddos*", "*-ddos*"],
        phrases=[
            "dos|ddos|ddos-* attack*|útok*|atak*|hyökkäy*|angrep*|angriff*",
            "attack*|útok*|atak*|angrep*|angriff* =dos|ddos*",
        ],
        gap=1,
        description="a (D)DoS attack: an event like an outage, over when it is past ('the DDoS last Friday')",
    ),
    signal(L, "urgency", "high", terms=["asap"], description="the sender asks for speed"),
    cue(
        L,
        "hypothetical",
        name="protection",
        terms=[
            "protection",
            "protect*",
            "prevent*",
            "schutz",
            "schützen",
            "absicher*",
            "vorbeug*",
            "ochran*",
            "chránit",
            "předcház*",
            "prevenc*",
            "suoja*",
            "ochron*",
            "chronić",
            "zabezpiecz*",
            "beskytt*",
        ],
        description="'protection against DDoS': the attack is the topic of a question, not an event",
    ),
    cue(
        L,
        "mask",
        name="mask_protection",
        terms=[
            "anti-ddos*",
            "antiddos*",
            "ddos-schutz*",
            "ddos-suoja*",
            "ddos-beskytt*",
            "ddos-ochran*",
            "ddos-protect*",
            "ddos-filter*",
            "antivir*",
        ],
        phrases=[
            "ddos*|ransomware*|malware* protection|protected|mitigation|filter|filtering|scrubbing|schutz|ochrana|ochranu|ochrany|suojaus|ochrona|ochronę|ochrony|beskyttelse"
        ],
        gap=0,
        description="'DDoS protection' is a product, not an attack",
    ),
    cue(
        L,
        "mask",
        terms=["download*", "downgrade*", "offline-*"],
        phrases=[
            "slow|slowing|slows|shut|shutting|shuts|scale|scaling|break|breaking|write|narrow|track|turn|calm|count|cut|cutting|wind|scaled down",
            "down payment|payments|below",
            "down the line|road",
        ],
        gap=0,
        description="'shut down', 'slow down', 'cut down', 'down the line': no outage",
    ),
]
