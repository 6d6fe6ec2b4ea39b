"""WhatsApp providers behind one small interface; WHATSAPP_PROVIDER picks one."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.whatsapp.base import Provider, SendResult

# How each provider is named on screen (messages keep the provider's key, e.g. "link").
LABELS = {
    "link": _l("tautan wa.me (dikirim petugas)"),
    "cloud_api": _l("WhatsApp Business (Cloud API)"),
    "fonnte": _l("Fonnte"),
    "waha": _l("WAHA (server bengkel)"),
    "log": _l("uji coba (hanya dicatat)"),
}


def provider_label(name: str) -> str:
    return str(LABELS.get(name, name))


def get_provider(config) -> "Provider":
    """The configured provider, built from the app's config."""
    from app.whatsapp.cloud_api import CloudApiProvider
    from app.whatsapp.fonnte import FonnteProvider
    from app.whatsapp.link import LinkProvider
    from app.whatsapp.log import LogProvider
    from app.whatsapp.waha import WahaProvider

    providers = {"link": LinkProvider, "log": LogProvider, "cloud_api": CloudApiProvider, "fonnte": FonnteProvider,
                 "waha": WahaProvider}
    name = config.get("WHATSAPP_PROVIDER", "link")
    if name not in providers:
        return providers["link"](config, problem=_(
            "WHATSAPP_PROVIDER=%(name)s tidak dikenal; pakai link, cloud_api, fonnte, waha atau log", name=name))
    return providers[name](config)
