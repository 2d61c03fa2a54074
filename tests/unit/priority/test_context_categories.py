"""Categories of urgent and calm messages in German, Finnish and Norwegian, each written in several
ways (not copies of the evaluation sets): the rules must cover the category, not one sentence."""

import pytest

from ticketdesk.priority import classify

URGENT = [
    # nobody can log in, every login rejected
    "Seit heute früh kann sich niemand mehr am Mailserver anmelden, Outlook fragt dauernd nach dem Passwort.",
    "Der Mailserver lehnt jede Anmeldung ab, obwohl die Passwörter stimmen.",
    "Aamusta asti kukaan ei ole päässyt kirjautumaan sähköpostiin, Outlook kysyy salasanaa koko ajan.",
    "Palvelin hylkää kaikki kirjautumiset, vaikka salasanat ovat oikein.",
    "Siden i morges har ingen fått logget inn på e-posten, Outlook ber om passord hele tiden.",
    "Mailserveren avviser alle innlogginger selv med riktig passord.",
    # phones silent, trunk not registered
    "Unsere Telefone sind seit heute Morgen alle stumm, der SIP-Trunk ist nicht registriert.",
    "Alle telefonene våre er stille, SIP-trunken registrerer seg ikke.",
    # SIMs without data
    "Auf keiner unserer Firmen-SIMs gibt es seit 7 Uhr mobile Daten, nur Telefonie geht.",
    "Kaikista työpuhelimista puuttuu datayhteys, asentajat eivät saa tilauksia auki.",
    "Ingen av firmamobilene har hatt data siden kl. 7, bare samtaler virker.",
    # equipment dark, no power
    "Beide Server in Rack A4 sind gleichzeitig ausgegangen, vermutlich ist der Strom weg.",
    "Räkistämme lähti virta, molemmat palvelimet ovat pimeänä.",
    "Serveren vår i colo svarer verken på ping eller IPMI, ser ut som strømmen er borte.",
    # credentials published, foreign logins now
    "Unsere Admin-Passwörter stehen auf Pastebin und wir sehen gerade Logins aus dem Ausland.",
    "Asiakasportaaliin kirjaudutaan parhaillaan tuntemattomista osoitteista.",
    "Det logges inn i kundeportalen fra ukjente IP-adresser nå, passordene er trolig lekket.",
    # table or mailbox empty after a script
    "Nach dem Migrationsskript heute Nacht ist die Bestelltabelle in der Produktivdatenbank leer.",
    "Migraatioskriptin jälkeen tilaustaulu tuotantokannassa on tyhjä.",
    "Etter migreringsskriptet i natt er ordretabellen i produksjonsdatabasen tom.",
    # mail sent in our name
    "Kunden melden Phishing-Mails in unserem Namen.",
    "Nimissämme lähetetään huijausviestejä asiakkaillemme.",
    "Det sendes svindel-e-post i vårt navn til kundene våre.",
    # an attack that is still going on
    "Gestern Abend begann ein DDoS-Angriff, der immer noch andauert.",
    "Eilen alkanut palvelunestohyökkäys jatkuu yhä.",
    "DDoS-angrepet som startet i går kveld pågår fremdeles.",
]

CALM = [
    # a past incident that is cleaned up
    "Letztes Jahr wurde unser Shop gehackt, das ist längst erledigt. Was empfehlen Sie zur Absicherung?",
    "Viime vuonna sivustollemme murtauduttiin, mutta se on jo siivottu.",
    "I fjor ble nettbutikken hacket, men det er ryddet opp for lengst.",
    # an attack that is over, and a question about protection
    "Die DDoS-Attacke vom Wochenende ist vorbei. Können wir über Schutz sprechen?",
    "Viime viikon palvelunestohyökkäys kaatoi sivustomme kahdeksi tunniksi. Haluaisimme tarjouksen suojauksesta.",
    "DDoS-angrepet forrige uke tok oss ned i to timer. Vi vil gjerne ha et tilbud på beskyttelse.",
    # how do you handle outages
    "Wie reagieren Sie auf Ausfälle außerhalb der Geschäftszeiten?",
    "Miten toimitte palvelinkatkoksen sattuessa viikonloppuna?",
    "Hvordan håndterer dere driftsavbrudd utenfor arbeidstid?",
    # worried about ransomware
    "Wir machen uns Sorgen wegen Ransomware und wollen vorsorgen.",
    "Olemme huolissamme kiristyshaittaohjelmista ja haluamme varautua.",
    "Vi er bekymret for løsepengevirus og vil være forberedt.",
    # a server we do not need any more
    "Den alten Server haben wir selbst abgeschaltet, der wird nicht mehr gebraucht. Bitte löschen.",
    "Testipalvelimemme on ollut alhaalla eilisestä, mutta emme tarvitse sitä enää.",
    "Testserveren vår har vært nede siden i går, men vi trenger den ikke lenger.",
    # news about a leak elsewhere
    "Ich habe in der Zeitung von einem Hack bei einem großen Hoster gelesen. Betrifft uns das?",
    "Luin lehdestä, että erään hostingyhtiön asiakastietoja on vuotanut.",
    "Jeg leste i avisen om en lekkasje hos en stor hostingleverandør.",
    # downtime to be avoided
    "Können wir das Upgrade nachts machen, um Ausfallzeiten zu vermeiden?",
    "Jos vaatii, tehdään se yöllä, ettei tule käyttökatkoa.",
    "I så fall gjør vi det søndag kveld for å unngå nedetid.",
    # a past outage with a closed time range and a report for the management
    "Am Montag war die Seite zwischen 14:00 und 14:40 nicht erreichbar. Jetzt läuft alles, wir bräuchten einen Bericht.",
    "Maanantaina sivusto oli alhaalla klo 14 ja 15 välillä. Nyt kaikki toimii, mutta tarvitsemme selvityksen.",
    "I mandags var nettsiden nede mellom 14:00 og 14:40. Nå fungerer alt, men vi trenger en rapport.",
]


@pytest.mark.parametrize("body", URGENT)
def test_category_is_urgent(body: str) -> None:
    assert classify("", body).priority == "urgent"


@pytest.mark.parametrize("body", CALM)
def test_category_is_not_urgent(body: str) -> None:
    assert classify("", body).priority != "urgent"


def test_subject_follows_a_masked_body_word_by_its_lemma() -> None:
    decision = classify("Katkos", "Mitä teette katkoksen sattuessa?")
    assert decision.priority != "urgent"
    assert "suppressed: mask" in [r.effect for r in decision.reasons]
