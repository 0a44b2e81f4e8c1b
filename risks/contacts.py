"""A team's emergency contacts for work phones: vCard 3.0 (vobject) and CSV."""

import csv
import io

import vobject

from escalation.models import Team

from .models import EmergencyContact

CSV_COLUMNS = ["name", "role", "organisation", "phone", "mobile", "email"]


def _contacts(team: Team) -> list[EmergencyContact]:
    return list(EmergencyContact.objects.filter(team=team).order_by("position", "name"))


def contacts_vcard(team: Team) -> str:
    cards = []
    for contact in _contacts(team):
        card = vobject.vCard()
        card.add("fn").value = contact.name
        parts = contact.name.rsplit(" ", 1)
        card.add("n").value = vobject.vcard.Name(
            family=parts[-1] if len(parts) > 1 else contact.name, given=parts[0] if len(parts) > 1 else ""
        )
        if contact.organisation or team.name:
            card.add("org").value = [contact.organisation or team.name]
        if contact.role:
            card.add("title").value = contact.role
        for number, kind in ((contact.phone, "WORK"), (contact.mobile, "CELL")):
            if number:
                tel = card.add("tel")
                tel.value = number
                tel.type_param = kind
        if contact.email:
            email = card.add("email")
            email.value = contact.email
            email.type_param = "INTERNET"
        card.add("categories").value = [team.name]
        cards.append(card.serialize())
    return "".join(cards)


def contacts_csv(team: Team) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for contact in _contacts(team):
        row = [getattr(contact, column) for column in CSV_COLUMNS]
        # A cell starting with = + - @ would be a formula in a spreadsheet: quote it as text.
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return out.getvalue()
