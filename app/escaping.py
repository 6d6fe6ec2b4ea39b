"""Translated text is text, never markup.

Flask-Babel's lazy strings (`lazy_gettext`, imported as `_l` across the services) declare
`__html__`, the markup protocol, returning their text unescaped. Jinja, `Markup()` and Flask's
session all take such an object as ready-made HTML, so a customer named
`<a href=//evil.example>Klik</a>`, formatted into "Nomor polisi … sudah dipakai pelanggan %(name)s",
became a live link in the form error, the row notice and the flash.

`treat_translations_as_text` takes that claim away once, at start-up, for every lazy string in every
module: a lazy string is then escaped like any `str` wherever it is shown (`{{ }}`, `|e`, `~`,
`Markup.format`), and it travels as plain text in JSON and in the session (so a flashed message comes
back as `str`, not as `Markup`). Markup belongs in templates, never in a translated message.
"""
from flask.json.provider import DefaultJSONProvider
from flask_babel.speaklater import LazyString


class TextJSONProvider(DefaultJSONProvider):
    """Flask's JSON, which writes a lazy string as its text (the API's errors, flashes in the session)."""

    @staticmethod
    def default(o):
        if isinstance(o, LazyString):
            return str(o)
        return DefaultJSONProvider.default(o)


def treat_translations_as_text(app):
    """Lazy translated strings are escaped like `str` in templates and written as text in JSON."""
    if "__html__" in vars(LazyString):
        del LazyString.__html__
    app.json = TextJSONProvider(app)
