"""The sentence decides: negation, thanks for a past outage, maintenance questions and similar
contexts keep outage words from raising an alarm; the same words in a plain report do."""

import pytest

from ticketdesk.priority import classify


def _effects(subject: str, body: str) -> list[str]:
    return [r.effect for r in classify(subject, body).reasons]


NEGATION = [
    ("en", "There is no outage on our side, we only have a question about IPv6."),
    ("cs", "Není u nás výpadek, jen se chceme zeptat na IPv6."),
    ("de", "Es gibt keinen Ausfall, wir haben nur eine Frage zu IPv6."),
    ("fi", "Meillä ei ole katkoa, kysyisimme vain IPv6:sta."),
    ("fi", "Katkosta ei ollut, sivusto toimi koko ajan."),
    ("pl", "Nie ma awarii, mamy tylko pytanie o IPv6."),
    ("nb", "Det er ingen feil hos oss, vi har bare et spørsmål om IPv6."),
]


@pytest.mark.parametrize(("language", "body"), NEGATION)
def test_negated_outage_is_not_urgent(language: str, body: str) -> None:
    decision = classify("", body)
    assert decision.priority != "urgent"
    assert decision.language == language
    assert "suppressed: negation" in [r.effect for r in decision.reasons]


THANKS_PAST = [
    ("en", "Thanks", "Thank you for resolving the downtime last night."),
    ("cs", "Díky", "Děkujeme za rychlé vyřešení výpadku z minulého týdne."),
    ("de", "Danke", "Vielen Dank für die schnelle Hilfe beim Ausfall gestern."),
    ("fi", "Kiitos", "Kiitos nopeasta avusta eilisessä katkoksessa."),
    ("pl", "Dziękujemy", "Dziękujemy za pomoc przy wczorajszej awarii serwera."),
    ("nb", "Takk", "Tusen takk for hjelpen med bruddet i går."),
]


@pytest.mark.parametrize(("language", "subject", "body"), THANKS_PAST)
def test_thanks_for_past_outage_is_low(language: str, subject: str, body: str) -> None:
    decision = classify(subject, body)
    assert decision.priority == "low"
    assert "suppressed: thanks-past" in [r.effect for r in decision.reasons]


MAINTENANCE_QUESTIONS = [
    "Will there be any downtime during the scheduled maintenance on Saturday?",
    "Bude při plánované odstávce v sobotu nedostupná i pošta?",
    "Wird die Webseite während der geplanten Wartung nicht erreichbar sein?",
    "Aiheuttaako lauantain huoltokatko katkon sivustollemme?",
    "Czy podczas prac serwisowych strona będzie niedostępna?",
    "Blir nettsiden nede under vedlikeholdet på lørdag?",
]


@pytest.mark.parametrize("body", MAINTENANCE_QUESTIONS)
def test_question_about_planned_maintenance_is_not_urgent(body: str) -> None:
    decision = classify("", body)
    assert decision.priority == "normal"
    assert "suppressed: maintenance question" in [r.effect for r in decision.reasons]


def test_planned_context_of_previous_sentence_counts_for_question() -> None:
    body = "Plánujeme upgrade MySQL na verzi 8. Bude to znamenat výpadek a jak dlouhý?"
    assert classify("", body).priority == "normal"


def test_planned_announcement_in_future_tense_is_not_urgent() -> None:
    assert _effects("", "FYI: planned maintenance tonight, the site will be offline 2-4am.") == [
        "suppressed: planned maintenance"
    ]


def test_failure_after_maintenance_is_still_urgent() -> None:
    # "won't" is a negated present, not a future plan; a statement is not a question.
    assert (
        classify("", "After the planned maintenance last night our server won't boot.").priority == "urgent"
    )
    assert classify("", "Po plánované odstávce nenabíhá server!").priority == "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "Not urgent, but the cron job on our server doesn't work.",
        "Nespěchá to, ale na testovacím serveru nefunguje cron.",
        "Der Cronjob läuft nicht. Eilt nicht, bitte bei Gelegenheit ansehen.",
        "Cron-ajo ei toimi. Ei kiireellinen asia.",
        "Nie działa cron. Nic pilnego, proszę spojrzeć w wolnej chwili.",
        "Cron-jobben kjører ikke. Det haster ikke.",
    ],
)
def test_not_urgent_remark_caps_priority(body: str) -> None:
    decision = classify("", body)
    assert decision.priority == "normal"
    assert "suppressed: not urgent" in [r.effect for r in decision.reasons]


@pytest.mark.parametrize(
    "body",
    [
        "Can you set up an SMS alert for us in case the server goes down?",
        "Können Sie uns per SMS benachrichtigen, falls unser Server ausfällt?",
        "Voitteko ilmoittaa meille, jos palvelimemme kaatuu?",
        "Kan dere varsle oss på SMS hvis serveren vår går ned?",
    ],
)
def test_conditions_describe_no_event(body: str) -> None:
    assert _effects("", body) == ["suppressed: hypothetical"]


def test_resolved_problem_is_not_urgent_but_a_new_one_is() -> None:
    assert classify("", "The site was unreachable around 6am but it's been fine since.").priority == "normal"
    assert classify("", "Rano strona była niedostępna, teraz znowu działa.").priority == "normal"
    body = "Thanks for fixing the outage yesterday, but now the mail server is down again."
    assert classify("", body).priority == "urgent"


def test_thanks_in_advance_does_not_hide_an_outage() -> None:
    assert classify("", "Díky předem za rychlé vyřešení výpadku, nic nám nejde.").priority == "urgent"
    assert classify("Server down!!!", "Please check ASAP. Thanks in advance").priority == "urgent"


def test_ongoing_problem_after_thanks_is_urgent() -> None:
    assert classify("", "Thanks for looking into it, the server is still down.").priority == "urgent"


def test_past_outage_without_resolution_words() -> None:
    assert classify("", "The website was down for 5 minutes yesterday.").priority == "normal"
    assert classify("", "Seit gestern ist unser Server nicht erreichbar.").priority == "urgent"


def test_intermittent_and_partial_problems_are_high() -> None:
    assert classify("", "V administraci občas vyskočí chyba 503.").priority == "high"
    assert classify("", "The contact form on our website doesn't work.").priority == "high"
    assert classify("", "Our staging server is down, production is fine.").priority == "high"
    assert classify("", "Production database is down and the staging one too.").priority == "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "We found an unknown admin account and outgoing spam, the server has been hacked.",
        "Na souborovém serveru jsou všechny soubory zašifrované a v každé složce je výkupné.",
        "Wir werden gerade per DDoS angegriffen.",
        "Epäilemme tietomurtoa palvelimellamme.",
        "Podejrzewamy włamanie na serwer.",
        "Vi har mistet alle dataene på RAID-et.",
    ],
)
def test_security_incidents_and_data_loss_are_urgent(body: str) -> None:
    assert classify("", body).priority == "urgent"


def test_product_questions_about_attacks_are_not_incidents() -> None:
    assert classify("DDoS", "Do you offer DDoS protection for dedicated servers?").priority != "urgent"
    assert classify("", "Kolik stojí ochrana proti DDoS útokům?").priority == "low"
    assert classify("", "Bieten Sie DDoS-Schutz an?").priority == "normal"


@pytest.mark.parametrize(
    ("subject", "body", "priority"),
    [
        ("Dotaz na cenu", "Kolik by stálo rozšíření paměti?", "low"),
        ("Invoice address", "Please change the billing address on our invoices.", "low"),
        ("Angebot", "Bitte schicken Sie uns ein Angebot für einen zweiten Server.", "low"),
        ("Slow site", "Our site has been slower than usual this week.", "high"),
        ("DNS", "Please point the A record for www.example.com to 198.51.100.23.", "normal"),
    ],
)
def test_levels_below_urgent(subject: str, body: str, priority: str) -> None:
    assert classify(subject, body).priority == priority


def test_subject_alone_can_raise_and_follows_the_body_context() -> None:
    assert classify("Server down", "Please have a look.").priority == "urgent"
    assert (
        classify("Výpadek v noci", "V noci byl krátký výpadek, ale ráno už vše fungovalo.").priority
        == "normal"
    )
    assert (
        classify("Downtime", "Will there be downtime during the scheduled maintenance?").priority == "normal"
    )


def test_english_subject_on_a_german_message() -> None:
    decision = classify("Server not responding", "Bitte prüfen Sie das so schnell wie möglich.")
    assert decision.priority == "urgent"
    assert decision.language == "de"


def test_quoted_text_and_signature_are_ignored() -> None:
    body = "Díky, už to funguje!\n\n> Dne 5. 6. 2024 v 10:00 Jan Novák napsal:\n> Server je nedostupný"
    assert classify("Re: Server nedostupný", body).priority != "urgent"
    body = "Please send the invoice again.\n-- \nJohn\nOur servers never go down: example.com"
    assert classify("", body).priority == "low"


def test_negation_belongs_to_the_nearest_signal() -> None:
    reasons = {r.matched: r.effect for r in classify("", "Nic nefunguje kvůli výpadku.").reasons}
    assert reasons == {"nefunguje": "raise", "výpadku": "raise"}


def test_empty_message_is_normal() -> None:
    decision = classify("", "")
    assert (decision.priority, decision.language, decision.reasons) == ("normal", "und", [])


@pytest.mark.parametrize(
    ("rule_id", "body"),
    [
        ("en.certificate", "Browsers refuse our site: the SSL certificate expired at midnight."),
        ("cs.certificate", "Včera nám vypršel certifikát a web hlásí nezabezpečené spojení."),
        ("de.certificate", "Seit heute früh ist das SSL-Zertifikat der Domain abgelaufen."),
        ("fi.certificate", "Sivuston varmenne vanhentui tänä aamuna."),
        ("pl.certificate", "Dziś rano wygasł certyfikat na naszej domenie."),
        ("nb.certificate", "SSL-sertifikatet på domenet vårt har utløpt."),
        ("en.storage_failure", "After the disk error the database has stopped and everything is frozen."),
        ("de.storage_failure", "Nach dem Plattendefekt hängen sämtliche Dienste."),
        ("pl.storage_failure", "Po awarii dysku baza stanęła."),
        ("en.account_abuse", "Our mailbox is sending spam to all our customers."),
        ("cs.account_abuse", "Někdo se přihlásil do našeho účtu a změnil heslo."),
        ("de.account_abuse", "Unsere Zugangsdaten wurden gestohlen."),
        ("fi.account_abuse", "Tililtämme lähtee roskapostia."),
        ("nb.account_abuse", "Noen har logget seg inn på kontoen vår."),
        ("en.mail_gone", "My inbox is empty this morning."),
        ("pl.mail_gone", "Skrzynka prezesa jest nagle pusta."),
        ("nb.mail_bounce", "Alle e-poster vi sender blir avvist."),
        ("de.mail_bounce", "Alle Mails an Kunden sind unzustellbar."),
    ],
)
def test_incident_categories_are_urgent_and_named(rule_id: str, body: str) -> None:
    decision = classify("", body)
    assert decision.priority == "urgent"
    assert rule_id in [r.rule_id for r in decision.reasons if r.effective_level == "urgent"]


@pytest.mark.parametrize(
    "body",
    [
        "Our certificate expires next week, will you renew it?",
        "Platnost certifikátu vyprší za měsíc, obnovíte ho?",
        "Das Zertifikat läuft nächste Woche ab.",
        "Our newsletter lands in spam at some providers.",
        "Proszę zmienić hasło do FTP, ktoś z zespołu odszedł.",
        "Please give our auditor read-only access to the database.",
        "Can someone change our DNS records?",
        "Problemet henger sammen med oppdateringen.",
    ],
)
def test_near_misses_of_the_incident_categories_are_not_urgent(body: str) -> None:
    assert classify("", body).priority != "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "Last Friday our VPS was not responding for two hours. Please send a root cause report and a credit.",
        "Minulý pátek nám dvě hodiny nešel web. Pošlete prosím dobropis.",
        "Letzten Freitag war der Server zwei Stunden nicht erreichbar. Bitte um eine Gutschrift.",
        "Viime perjantaina palvelin ei vastannut kahteen tuntiin. Pyydämme hyvitystä.",
        "W zeszły piątek serwer nie działał przez dwie godziny. Prosimy o rekompensatę.",
        "Sist fredag svarte ikke serveren på to timer. Vi ber om en kreditnota.",
    ],
)
def test_past_incident_with_a_claim_is_not_urgent(body: str) -> None:
    # Negative forms ("not responding") ignore a past time on their own; with a claim they do not.
    decision = classify("", body)
    assert decision.priority != "urgent"
    assert "suppressed: past incident report" in [r.effect for r in decision.reasons]


@pytest.mark.parametrize(
    "body",
    [
        "I reported that the VPN was down, but it was our mistake. You can close the ticket.",
        "Psal jsem, že nejde VPN, ale chyba byla u nás. Tiket můžete zavřít.",
        "Ich hatte gemeldet, dass das VPN nicht funktioniert. Das Ticket kann geschlossen werden.",
        "Ilmoitin, että VPN ei toimi. Tiketin voi sulkea.",
        "Pisałem, że VPN nie działa, ale to był błąd po naszej stronie. Można zamknąć zgłoszenie.",
        "Jeg meldte at VPN-en ikke virket. Saken kan lukkes.",
    ],
)
def test_withdrawn_report_is_not_urgent(body: str) -> None:
    decision = classify("", body)
    assert decision.priority != "urgent"
    assert "suppressed: withdrawn" in [r.effect for r in decision.reasons]


@pytest.mark.parametrize(
    "body",
    [
        "Please close ticket 123, that one is solved. But now our website is down!",
        "Ignore my last ticket. The VPS is unreachable again since 10:00.",
        "Thanks for the credit for last week's outage. Today the server is down again.",
        "Palvelin ei toimi edelleenkään, vaikka eilen pyysimme hyvitystä.",
        "Nettsiden er nede igjen. Forrige sak kan lukkes.",
        "Serwer nie działa od rana. Poprzednie zgłoszenie można zamknąć.",
    ],
)
def test_dampeners_do_not_swallow_a_current_problem(body: str) -> None:
    assert classify("", body).priority == "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "Please add me to your outage notification list.",
        "Přidejte nás prosím do odběru upozornění na výpadky.",
        "Bitte nehmen Sie uns in den Verteiler für Störungsmeldungen auf.",
        "Haluamme tilata katkotiedotteet sähköpostiin.",
        "Prosimy o powiadomienia o awariach na SMS.",
        "Vi vil gjerne ha varsler om nedetid på SMS.",
    ],
)
def test_outage_word_naming_a_subscription_is_not_urgent(body: str) -> None:
    assert classify("", body).priority != "urgent"


def test_short_outage_that_is_over_is_not_urgent() -> None:
    body = "FYI: the shop was offline for five minutes, then recovered on its own."
    assert classify("", body).priority != "urgent"
    body = "Tiedoksi: sivu oli hetken alhaalla, mutta palasi itsestään."
    assert classify("", body).priority != "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "Customers only see a blank white page at checkout since 9:00.",
        "Both our servers in the rack went dark at the same time.",
        "The orders table is empty after the migration script.",
        "None of our company SIMs have had data since 7am.",
        "Our admin password was posted on Pastebin and we see logins from foreign IPs.",
        "All client sites show 'This account has been suspended' since an hour ago.",
        "Zákazníci vidí jen bílou stránku, objednávky nejdou dokončit.",
        "Všechny telefony jsou hluché, SIP trunk se neregistruje.",
        "Klienci widzą tylko pustą białą stronę, nie da się złożyć zamówienia.",
        "Katalog z danymi na serwerze jest pusty, wszystkie kopie zapasowe zostały skasowane.",
    ],
)
def test_symptom_categories_are_urgent(body: str) -> None:
    assert classify("", body).priority == "urgent"


@pytest.mark.parametrize(
    "body",
    [
        # a closed time range is over, not "since 8:40"
        "V úterý od 8:40 do 9:15 byl náš web nedostupný. Prosím o zprávu o příčině.",
        "W poniedziałek między 9:20 a 10:05 nasza strona była niedostępna, prosimy o raport.",
        # a negation inside the signal's words
        "Strona nie leży, tylko panel działa wolno.",
        # an attack that is over; prevention of a repeat
        "Following the DDoS last Friday that took our site offline for an hour: what protection do you offer?",
        "In January our site was hacked and you helped clean it up. How do we prevent a repeat?",
        # nothing has happened, only a risk being weighed
        "What would happen if we were hit by ransomware or compromised? Nothing has happened yet.",
        "Co se stane, když nám server v noci spadne?",
        "Czytałem o wycieku haseł u innego dostawcy. Czy to Was dotyczy?",
        "Our old staging server returns 503 but that's expected, we shut it down.",
    ],
)
def test_past_hypothetical_and_intended_events_are_not_urgent(body: str) -> None:
    assert classify("", body).priority != "urgent"
