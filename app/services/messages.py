"""The reminder text: placeholders the manager can use, checking them, and filling them in.

A text may also hold alternatives, `{Halo|Hai|Selamat pagi}`: each customer gets one of them (always
the same one for the same customer and service date, so the preview shows what is sent). Messages
that are not all word for word the same look less like a machine's to WhatsApp, which matters for
a workshop's own number (WAHA, Fonnte).
"""
import random
import re
import string
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import Customer
from app.services.formats import format_day, local_phone
from app.services.refusal import Refused
from app.services.reminder_rules import is_overdue
from app.services.settings import get_setting

PLACEHOLDERS = ("nama", "nopol", "servis_berikutnya", "servis_terakhir", "bengkel", "wa_bengkel")
MAX_LENGTH = 1000
_ALTERNATIVES = re.compile(r"\{([^{}|]*(?:\|[^{}|]*)+)\}")


def choose_alternatives(text: str, seed: str) -> str:
    """`{Halo|Hai}` → one of them, the same one for the same seed."""
    chooser = random.Random(seed)
    return _ALTERNATIVES.sub(lambda match: chooser.choice(match.group(1).split("|")).strip(), text)


def _seed(customer) -> str:
    return f"{customer.id or customer.nopol}:{customer.next_service}"


def check_template(text: str) -> str:
    """The text with its placeholders checked; unknown or broken ones are refused before saving."""
    text = (text or "").strip()
    if not text:
        raise Refused(_l("Teks pesan tidak boleh kosong."))
    if len(text) > MAX_LENGTH:
        raise Refused(_l("Teks pesan terlalu panjang (maks. %(n)d karakter).", n=MAX_LENGTH))
    try:
        plain = _ALTERNATIVES.sub("", text)
        names = [name for _, name, spec, conversion in string.Formatter().parse(plain) if name is not None]
    except ValueError:
        raise Refused(_l("Kurung kurawal { } tidak berpasangan. Kata isian ditulis seperti {nama}.")) from None
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        raise Refused(_l("Kata isian tidak dikenal: %(names)s. Yang bisa dipakai: %(known)s.",
                                 names=", ".join("{" + name + "}" for name in unknown),
                                 known=", ".join("{" + name + "}" for name in PLACEHOLDERS)))
    return text


def preview_customer(overdue: bool = False) -> Customer:
    """A real customer to preview a text with (the latest next service; for the overdue text, one
    whose date has passed), or an example."""
    today = clock.today()
    stmt = sa.select(Customer).where(Customer.next_service.isnot(None))
    if overdue:
        stmt = stmt.where(Customer.next_service < today)
    customer = db.session.scalar(stmt.order_by(Customer.next_service.desc()).limit(1))
    example = today - timedelta(days=14) if overdue else today + timedelta(days=3)
    return customer or Customer(customer_name="Budi Santoso", nopol="B 1234 XYZ", no_hp="628123456789",
                                last_service=example - timedelta(days=182), next_service=example)


def _date_text(value) -> str:
    # Customers read Bahasa Indonesia whatever language the staff member uses.
    return format_day(value, "id", "wide") if value else "-"


def placeholder_values(customer) -> dict:
    return {
        "nama": customer.customer_name,
        "nopol": customer.nopol,
        "servis_berikutnya": _date_text(customer.next_service),
        "servis_terakhir": _date_text(customer.last_service),
        "bengkel": get_setting("workshop_name"),
        # As people write it (0812-…); "-" like a missing date until the manager gives one.
        "wa_bengkel": local_phone(get_setting("workshop_whatsapp")) or "-",
    }


def saved_template(customer) -> str:
    """The saved text for this customer: the overdue one when the service date has passed."""
    return get_setting("overdue_message_template" if is_overdue(customer.next_service) else "message_template")


def render_message(customer, template: str | None = None) -> str:
    """The reminder for this customer, from the saved text unless another is given (the preview)."""
    text = template if template is not None else saved_template(customer)
    return choose_alternatives(text, _seed(customer)).format(**placeholder_values(customer))


def template_params(customer) -> list[str]:
    """The values for the approved Cloud API template's body parameters, in the configured order."""
    return _params(placeholder_values(customer))


def _params(values: dict) -> list[str]:
    names = [name.strip() for name in get_setting("template_params").split(",") if name.strip()]
    return [values[name] for name in names if name in values]


# --- one message for the plates that share a phone -------------------------------------------------

def _joined(items: list[str]) -> str:
    """`A`, `A dan B`, `A, B dan C`: as a list is written in Indonesian."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " dan " + items[-1]


def _each_date(customers, name: str) -> str:
    dates = [getattr(customer, name) for customer in customers]
    if len(set(dates)) == 1:
        return _date_text(dates[0])
    return _joined([f"{_date_text(day)} ({customer.nopol})" for customer, day in zip(customers, dates, strict=True)])


def group_placeholder_values(customers) -> dict:
    """The placeholders for several vehicles on one phone: every name once, every plate, each one's date."""
    values = placeholder_values(customers[0])
    values["nama"] = _joined(list(dict.fromkeys(customer.customer_name for customer in customers)))
    values["nopol"] = _joined([customer.nopol for customer in customers])
    values["servis_berikutnya"] = _each_date(customers, "next_service")
    values["servis_terakhir"] = _each_date(customers, "last_service")
    return values


def render_group_message(customers, template: str | None = None) -> str:
    """The one reminder for these customers (the first is due first: its text, due or overdue, is used)."""
    text = template if template is not None else saved_template(customers[0])
    return choose_alternatives(text, _seed(customers[0])).format(**group_placeholder_values(customers))


def group_template_params(customers) -> list[str]:
    return _params(group_placeholder_values(customers))


def preview_group(overdue: bool = False) -> list:
    """Vehicles to preview the one-message-per-phone text with: a real phone with several, or an example."""
    scheduled = Customer.next_service.isnot(None)  # only vehicles a batch could remind
    phone = db.session.scalar(sa.select(Customer.no_hp).where(scheduled).group_by(Customer.no_hp)
                              .having(sa.func.count() > 1).limit(1))
    if phone:
        return db.session.scalars(sa.select(Customer).where(Customer.no_hp == phone, scheduled)
                                  .order_by(Customer.next_service, Customer.nopol).limit(3)).all()
    first = preview_customer(overdue)
    second = Customer(customer_name=first.customer_name, nopol="B 2024 ZZ", no_hp=first.no_hp,
                      last_service=first.last_service, next_service=first.next_service)
    return [first, second]
