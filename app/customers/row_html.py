"""The customer row's HTML, written here instead of in a Jinja macro because it is the hottest markup.

The list renders fifty rows per page, and each row writes some forty values. As a macro, Jinja spent
most of the page's time on them: an escape call, a Markup object and an attribute lookup for every
value, words and addresses included. Here each piece of markup is a `Snippet`, split into its text
and its fields once at import; filling one escapes every value that goes in (markupsafe's escape,
the one Jinja uses), so user data cannot reach the page as markup, and only values that are Markup
already (the page's words, escaped once in RowContext, and smaller snippets) pass unchanged.

The list (`partials/_results.html`) and every row action (`partials/_row.html`) render the row with
`rows.html(customer, …)`, so the two cannot drift. Wide screens show a table row; tablets and phones
the same markup as a card (app.css), each value under its data-label. One form per row: each button
posts to its own action (formaction without JavaScript, hx-post with it), so the row carries the
CSRF token once. The row shows the two everyday actions; the rest sit in "Lainnya".
"""
import re

from markupsafe import Markup, escape

from app.services.formats import local_phone


class Snippet:
    """HTML with `{name}` fields; calling it with the values escapes each one as it goes in.

    The snippet is kept as its parts (text, field, text, …) and as a %-format made from them, so
    filling a row is one C-level format of escaped values; a `%` in the text is written `%%`.
    """

    _FIELD = re.compile(r"\{(\w+)\}")

    def __init__(self, source: str, parts: list[str] | None = None):
        self._parts = parts if parts is not None else self._FIELD.split(source)
        self._format = "".join(part.replace("%", "%%") if index % 2 == 0 else f"%({part})s"
                               for index, part in enumerate(self._parts))

    def __call__(self, **values) -> Markup:
        return Markup(self._format % {name: _escaped(value) for name, value in values.items()})

    def fill(self, **values) -> "Snippet":
        """The snippet with some fields filled (the page's words and token), the rest left for each row.

        A filled value becomes text: braces or % in it are never read as fields.
        """
        parts = [self._parts[0]]
        for index in range(1, len(self._parts), 2):
            name, text = self._parts[index], self._parts[index + 1]
            if name in values:
                parts[-1] = "".join((parts[-1], _escaped(values[name]), text))  # plain text from here on
            else:
                parts += [name, text]
        return Snippet("", parts)


def _escaped(value) -> Markup:
    return value if isinstance(value, Markup) else escape(value)


ROW = Snippet("""<tr id="customer-{id}" class="{row_class}">
  <td class="name"><a href="{base}">{name}</a>{main_system}</td>
  <td class="nopol">{nopol}</td>
  <td class="phone">{phone}</td>
  <td class="date col-last" data-label="{label_last}">{last_service}</td>
  <td class="date col-next" data-label="{label_next}">
    {next_service}
    {due}
  </td>
  <td class="reminders" data-label="{label_reminders}">
    {reminder_count}×
    {last_reminder}
  </td>
  <td class="status col-status">{status}</td>
  <td class="actions">
    <form method="post" action="{base}/toggle" class="row-actions" hx-target="closest tr" hx-swap="outerHTML">
      <input type="hidden" name="csrf_token" value="{csrf_token}">
      <input type="hidden" name="next" value="{next_url}">
      {send}
      <button type="submit" class="secondary outline" formaction="{base}/serviced" hx-post="{base}/serviced"
              hx-disabled-elt="this">{serviced_text}</button>
      <details class="dropdown row-menu">
        <summary role="button" class="secondary outline">{more}</summary>
        <ul>
          <li><a href="{base}/edit">{edit_text}</a></li>
          <li><button type="submit" class="link-button" formaction="{base}/toggle" hx-post="{base}/toggle"
                      hx-disabled-elt="this">{toggle_text}</button></li>
          <li><button type="submit" class="link-button danger" formaction="{base}/delete" hx-post="{base}/delete"
                      hx-disabled-elt="this" hx-target="#results" hx-swap="innerHTML"
                      hx-confirm="{confirm_delete}">{delete_text}</button></li>
        </ul>
      </details>
    </form>
    {after}
  </td>
</tr>""")
MAIN_SYSTEM = Snippet(' <span class="badge badge-muted main-system">{text}</span>')
OVERDUE = Snippet('<mark class="badge badge-danger">{text}</mark>')
SOON = Snippet('<mark class="badge badge-warn">{text}</mark>')
LAST_REMINDER = Snippet('<small class="muted">{moment}</small>')
OPTED_OUT = Snippet('<span class="badge badge-warn" title="{title}">{text}</span>')
ACTIVE = Snippet('<span class="badge badge-ok">{text}</span>')
INACTIVE = Snippet('<span class="badge badge-muted">{text}</span>')
SEND = Snippet("""<button type="submit" class="send-button" formaction="{remind}" hx-post="{remind}"
              hx-disabled-elt="this">{text}</button>""")
SEND_DISABLED = Snippet("""<button type="submit" class="send-button" formaction="{remind}" hx-post="{remind}"
              hx-disabled-elt="this" disabled title="{problem}">{text}</button>""")
# wa.me: the server checks the send rules, records "opened" and redirects to wa.me (app.js: the row answers).
SEND_LINK = Snippet("""<a href="{whatsapp}" target="_blank" rel="noopener" role="button" class="send-button"
         data-open-target="closest tr">{text}</a>""")
OPENED = Snippet("""<span class="link-opened" role="status">{prompt}</span>
      <button type="submit" class="send-button" formaction="{whatsapp}/{message_id}/sent"
              hx-post="{whatsapp}/{message_id}/sent" hx-disabled-elt="this">{sent}</button>
      <button type="submit" class="secondary outline" formaction="{whatsapp}/{message_id}/not_sent"
              hx-post="{whatsapp}/{message_id}/not_sent" hx-disabled-elt="this">{not_sent}</button>""")
NOTICE = Snippet('<p class="notice {kind}" role="status">{notice}</p>')
# The main system has this customer: the question, then the answer that sends anyway.
ASK_MAIN_SYSTEM = Snippet("""<form method="post" class="ask-main-system" hx-target="closest tr" hx-swap="outerHTML">
      <input type="hidden" name="csrf_token" value="{csrf_token}">
      <input type="hidden" name="next" value="{next_url}">
      <p class="notice notice-error" role="status">{notice}</p>
      {send_anyway}
    </form>""")
SEND_ANYWAY_LINK = Snippet("""<a href="{whatsapp}?main_system_ok=1" target="_blank" rel="noopener" role="button"
         class="send-anyway"
         data-open-target="closest tr">{text}</a>""")
SEND_ANYWAY = Snippet("""<button type="submit" class="send-anyway" formaction="{remind}?main_system_ok=1"
              hx-post="{remind}?main_system_ok=1" hx-disabled-elt="this">{text}</button>""")
NOTHING = Markup("")


def page_row(rows) -> Snippet:
    """The row with what every row of the page shares filled in once: words, token, the list's address."""
    texts = rows.texts
    return ROW.fill(
        label_last=texts["last_service"], label_next=texts["next_service"], label_reminders=texts["reminders"],
        csrf_token=rows.csrf_token, next_url=rows.next_url, serviced_text=texts["serviced"], more=texts["more"],
        edit_text=texts["edit"], delete_text=texts["delete"],
    )


def customer_row(customer, rows, notice=None, notice_ok=False, ask_main_system=False) -> Markup:
    """One customer's row: `rows` is the page's RowContext (words, addresses, dates, CSRF token)."""
    texts, view = rows.texts, rows.view(customer)
    if customer.opted_out:
        status = OPTED_OUT(title=texts["opted_out_title"], text=texts["opted_out"])
    else:
        status = ACTIVE(text=texts["active"]) if customer.is_active else INACTIVE(text=texts["inactive"])
    return rows.row(
        id=str(customer.id), base=view.url,
        row_class=("" if customer.is_active else "inactive") + (" opted-out" if customer.opted_out else ""),
        name=customer.customer_name, nopol=customer.nopol, phone=local_phone(customer.no_hp),
        main_system=MAIN_SYSTEM(text=texts["in_main_system"]) if rows.in_main_system(customer) else NOTHING,
        last_service=view.last_service or "—", next_service=view.next_service or "—",
        due=(OVERDUE(text=texts["overdue"]) if view.due == "overdue"
             else SOON(text=texts["soon"]) if view.due == "soon" else NOTHING),
        reminder_count=customer.reminder_sent_count,
        last_reminder=LAST_REMINDER(moment=view.last_reminder) if view.last_reminder else NOTHING,
        status=status, send=_send(customer, rows, view),
        toggle_text=texts["deactivate"] if customer.is_active else texts["activate"],
        confirm_delete=texts["confirm_delete"] % {"name": customer.customer_name, "nopol": customer.nopol},
        after=_after(rows, view, notice, notice_ok, ask_main_system),
    )


def _send(customer, rows, view) -> Markup:
    """The row's first action: send now, open WhatsApp, or confirm a link opened; none once opted out."""
    texts = rows.texts
    if customer.opted_out:
        return NOTHING  # nothing to send: the status says why
    if not rows.interactive:
        if rows.send_problem:
            return SEND_DISABLED(remind=view.remind, problem=rows.send_problem, text=texts["send"])
        return SEND(remind=view.remind, text=texts["send"])
    opened = rows.opened(customer)
    if opened:
        return OPENED(prompt=texts["opened_prompt"], whatsapp=view.whatsapp, message_id=opened.id,
                      sent=texts["confirm_sent"], not_sent=texts["confirm_not_sent"])
    return SEND_LINK(whatsapp=view.whatsapp, text=texts["send_link"])


def _after(rows, view, notice, notice_ok, ask_main_system) -> Markup:
    """What an action answered, under the row's buttons: a notice, or the main system's question."""
    if ask_main_system:
        text = rows.texts["send_anyway"]
        send_anyway = (SEND_ANYWAY_LINK(whatsapp=view.whatsapp, text=text) if rows.interactive
                       else SEND_ANYWAY(remind=view.remind, text=text))
        return ASK_MAIN_SYSTEM(csrf_token=rows.csrf_token, next_url=rows.next_url, notice=notice or "",
                               send_anyway=send_anyway)
    if notice:
        return NOTICE(kind="notice-ok" if notice_ok else "notice-error", notice=notice)
    return NOTHING
