"""Security headers on every page, and a CSP that allows no inline script."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", ["/login", "/setup", "/healthz", "/customers/", "/static/app.css",
                                  "/manual-whatsapp/", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, auth, path):
    auth.login_manager()
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_handler_or_style():
    """What the CSP would block must not be written in the first place."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=", text) \
                or re.search(r"\sstyle=", text) or "hx-on" in text:
            offenders.append(template.name)
    assert offenders == []
