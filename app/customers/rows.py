"""What every row of the customer list shares, worked out once per page.

A page has fifty rows, each with up to three dates, seven addresses and a dozen words. Asked for
row by row, Flask's proxies, Babel's locale, the router and the clock were most of the page's
time; `RowContext` asks each of them once and the row (`row_html.customer_row`) reads plain
attributes.
"""
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app, g, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app import clock
from app.customers.row_html import customer_row, page_row
from app.services import link_queue, main_system, reminders
from app.services.customers import due_state
from app.services.formats import format_day, format_moment


def whatsapp_provider():
    """The configured provider, once per request (rows and the detail page ask which kind it is)."""
    if "whatsapp" not in g:
        g.whatsapp = reminders.provider()
    return g.whatsapp


def row_texts() -> dict:
    return {
        "send": _("Kirim pengingat"), "send_link": _("Kirim WA"), "opted_out": _("Berhenti langganan"),
        "opted_out_title": _("Pelanggan berhenti berlangganan"), "activate": _("Aktifkan"),
        "deactivate": _("Nonaktifkan"), "serviced": _("Servis hari ini"), "edit": _("Ubah"),
        "delete": _("Hapus"), "confirm_delete": _("Hapus pelanggan %(name)s (%(nopol)s)?"),
        "opened_prompt": _("Dibuka di WhatsApp — sudah terkirim?"), "confirm_sent": _("Sudah terkirim"),
        "confirm_not_sent": _("Tidak jadi"),
        "overdue": _("lewat jadwal"), "soon": _("segera"), "active": _("Aktif"), "inactive": _("Nonaktif"),
        "more": _("Lainnya"), "last_service": _("Servis terakhir"), "next_service": _("Servis berikutnya"),
        "reminders": _("Pengingat"), "in_main_system": _("ada di sistem utama"),
        "send_anyway": _("Tetap kirim"),
    }


def page_texts(locale: str) -> dict:
    """The row's words in `locale`, escaped: looked up once per language for the app's life, not per page."""
    cache = current_app.extensions.setdefault("customer_row_texts", {})
    if locale not in cache:
        cache[locale] = {key: escape(text) for key, text in row_texts().items()}
    return cache[locale]


class RowContext:
    """The page's share of every row: words, the provider's kind, CSRF token, addresses, locale, zone, today."""

    def __init__(self, next_url: str):
        self.next_url = next_url
        self.locale = str(get_locale())
        self.texts = page_texts(self.locale)
        provider = whatsapp_provider()
        self.interactive = provider.interactive  # a person sends each message (wa.me links)
        self.send_problem = provider.problem  # asked once: a provider may check its settings each time
        self.csrf_token = generate_csrf()
        self.prefix = url_for("customers.index")  # test_row_addresses_match_the_routes checks the rest
        self.zone = clock.local_zone()
        self.today = clock.today()
        self._awaiting = None
        self._known = None
        self.row = page_row(self)

    def opened(self, customer):
        """The customer's message opened in WhatsApp and not yet confirmed (wa.me only), or None.

        One query for the page, not one per row: few messages wait for a confirmation at a time.
        """
        if not self.interactive:
            return None
        if self._awaiting is None:
            self._awaiting = link_queue.awaiting_confirmation()
        return self._awaiting.get(customer.id)

    def in_main_system(self, customer) -> bool:
        """Whether the main system has the customer's plate or phone: one query for the page's rows
        (the list route leaves them in g.listed_customers), or for the one row an action returns."""
        if self._known is None:
            self._known = main_system.known_ids(g.get("listed_customers") or [customer])
        return customer.id in self._known

    def html(self, customer, notice=None, notice_ok=False, ask_main_system=False) -> Markup:
        """The customer's row, for the list and for a row action's answer."""
        return customer_row(customer, self, notice, notice_ok, ask_main_system)

    def view(self, customer) -> "RowView":
        """The row's own strings, in one call from the template (each call from Jinja has a cost)."""
        url = f"{self.prefix}{customer.id}"
        return RowView(
            url=url, remind=f"{url}/remind", whatsapp=f"{url}/whatsapp",
            last_service=self.day(customer.last_service),
            next_service=self.day(customer.next_service),
            due=due_state(customer, self.today),
            last_reminder=self.moment(customer.last_reminder_sent),
        )

    def day(self, value: date | None) -> str:
        return format_day(value, self.locale) if value else ""

    def moment(self, value: datetime | None) -> str:
        return format_moment(value, self.locale, self.zone) if value else ""


class RowView(NamedTuple):
    url: str  # the customer's page; its actions add /edit, /toggle… (test_row_addresses_match_the_routes)
    remind: str
    whatsapp: str
    last_service: str
    next_service: str
    due: str | None  # "overdue", "soon" or None
    last_reminder: str


def customer_rows(next_url: str) -> RowContext:
    """The request's RowContext (a page's rows, or the one row an htmx action sends back)."""
    if "customer_rows" not in g:
        g.customer_rows = RowContext(next_url)
    return g.customer_rows
