"""WhatsApp providers behind one small interface; WHATSAPP_PROVIDER picks one."""
from app.whatsapp.base import Provider, SendResult


def get_provider(config) -> "Provider":
    """The configured provider, built from the app's config."""
    from app.whatsapp.cloud_api import CloudApiProvider
    from app.whatsapp.fonnte import FonnteProvider
    from app.whatsapp.link import LinkProvider
    from app.whatsapp.log import LogProvider

    providers = {"link": LinkProvider, "log": LogProvider, "cloud_api": CloudApiProvider, "fonnte": FonnteProvider}
    name = config.get("WHATSAPP_PROVIDER", "link")
    if name not in providers:
        return providers["link"](config, problem=f"WHATSAPP_PROVIDER={name!r} is unknown; use link, cloud_api, fonnte or log")
    return providers[name](config)
