"""Sender-authentication throughput against the local test DNS server (127.0.0.1).

    .venv/bin/python bench/senderauth.py [--messages 300] [--domains 100]

Each message is DKIM-signed (RSA-2048 or ed25519) by its From domain, which also publishes SPF
and DMARC. "cold" runs every message through a fresh DnsPort cache (each message's domain is
looked up for the first time: DKIM key, SPF, DMARC, organisational fallback); "warm" repeats the
same messages with the cache filled, so the figure is the cryptography and parsing alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.dkimkeys import DkimKey, ed25519_key, rsa_key, sign  # noqa: E402
from tests.fixtures.dnsserver import LocalDNS  # noqa: E402
from ticketdesk.ports.dns import DnsPort  # noqa: E402
from ticketdesk.senderauth.check import check_sender  # noqa: E402


def build(server: LocalDNS, domains: int, messages: int) -> list[tuple[bytes, str]]:
    keys: list[DkimKey] = [rsa_key(2048), ed25519_key()]
    for i in range(domains):
        domain = f"customer{i}.example"
        key = keys[i % len(keys)]
        server.add_txt(f"sel._domainkey.{domain}", key.txt_record())
        server.add_txt(domain, f"v=spf1 ip4:192.0.2.0/24 include:_spf.{domain} -all")
        server.add_txt(f"_spf.{domain}", "v=spf1 ip4:198.51.100.0/24 -all")
        server.add_txt(f"_dmarc.{domain}", "v=DMARC1; p=quarantine; rua=mailto:dmarc@" + domain)
    corpus = []
    for n in range(messages):
        i = n % domains
        domain = f"customer{i}.example"
        raw = (
            f"From: Contact {n} <contact{n}@support.{domain}>\r\nTo: support@desk.example.net\r\n"
            f"Subject: Ticket {n}: our server does not respond\r\nMessage-ID: <{n}@{domain}>\r\n"
            "Date: Tue, 02 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "Hello, the server is down.\r\n" * 40
        ).encode()
        corpus.append((sign(raw, keys[i % len(keys)], domain=domain), domain))
    return corpus


def run(corpus: list[tuple[bytes, str]], port: DnsPort) -> float:
    start = time.perf_counter()
    for raw, domain in corpus:
        result = check_sender(raw, ip="198.51.100.20", helo="mx." + domain, mail_from=f"b@{domain}", dns=port)
        if not result.authenticated:
            raise SystemExit(f"benchmark message not authenticated: {result.reason}")
    return len(corpus) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with LocalDNS() as server:
        corpus = build(server, args.domains, args.messages)
        cold_corpus = corpus[: args.domains]  # one message per domain: every look-up is a miss
        cold, warm = [], []
        for _ in range(args.rounds):
            port = DnsPort.from_config(server.servers, timeout=2.0)
            cold.append(run(cold_corpus, port))
            queries = port.queries
            warm.append(run(corpus, port))
        print(
            f"messages: {len(corpus)} over {args.domains} domains (RSA-2048 and ed25519, SPF include, DMARC)"
        )
        print(
            f"cold cache: {statistics.median(cold):8.1f} msg/s  ({queries / len(cold_corpus):.1f} DNS queries/msg)"
        )
        print(
            f"warm cache: {statistics.median(warm):8.1f} msg/s  ({port.queries - queries} DNS queries in total)"
        )


if __name__ == "__main__":
    main()
