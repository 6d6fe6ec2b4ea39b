"""The reminder text: placeholders the manager can use, checking them, and filling them in."""
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


def check_template(text: str) -> str:
    """The text with its placeholders checked; unknown or broken ones are refused before saving."""
    text = (text or "").strip()
    if not text:
        raise Refused(_l("Teks pesan tidak boleh kosong."))
    if len(text) > MAX_LENGTH:
        raise Refused(_l("Teks pesan terlalu panjang (maks. %(n)d karakter).", n=MAX_LENGTH))
    try:
        names = [name for _, name, spec, conversion in string.Formatter().parse(text) if name is not None]
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
    return (template if template is not None else saved_template(customer)).format(**placeholder_values(customer))


def template_params(customer) -> list[str]:
    """The values for the approved Cloud API template's body parameters, in the configured order."""
    values = placeholder_values(customer)
    names = [name.strip() for name in get_setting("template_params").split(",") if name.strip()]
    return [values[name] for name in names if name in values]
