"""Page or fragment, decided in one place from htmx's request headers."""
from flask import make_response, redirect, render_template, request


def is_htmx() -> bool:
    """An htmx request that wants a fragment.

    A history-restore request (back button after the cache was evicted) wants the whole page.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, fragment: str, **context):
    """The full page for a normal request, only the fragment for htmx."""
    return render_template(fragment if is_htmx() else page, **context)


def add_vary_header(response):
    """The same URL answers with a page or a fragment: caches must keep them apart."""
    response.vary.add("HX-Request")
    return response


def redirect_page(url: str):
    """Go to another page: a plain redirect, or for htmx a header that makes it load the page."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)
