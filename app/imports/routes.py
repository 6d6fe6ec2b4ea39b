import sqlalchemy as sa
from flask import Response, current_app, flash, make_response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.customers.listing import list_query_from_request
from app.extensions import db
from app.htmx import redirect_page, render
from app.imports import bp
from app.imports.forms import CommitForm, UploadForm
from app.models import ImportBatch
from app.services import audit, exporting, import_checks, importing
from app.services.importing import FIELD_LABELS, FIELDS
from app.services.refusal import Refused
from app.services.sheets import read_sheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_page(form, status=200):
    return render("imports/index.html", "imports/partials/_upload.html",
                  form=form, history=importing.recent_imports(), limit_mb=_limit_mb()), status


def _batch_or_404(batch_id) -> ImportBatch:
    """The batch without its stored rows (megabytes for a large sheet), loaded only if a page reads them."""
    return db.get_or_404(ImportBatch, batch_id, options=[sa.orm.defer(ImportBatch.payload), sa.orm.defer(ImportBatch.sheet_data)])


def _limit_mb():
    return current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)


@bp.get("/")
def index():
    """Upload a sheet of customers; the history of earlier imports."""
    return _upload_page(UploadForm())


@bp.post("/")
def upload():
    """Read the uploaded sheet and start checking its rows; the preview page shows how far it got.

    Nothing is written to the customers yet.
    """
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 422)
    upload = form.file.data
    try:
        sheet = read_sheet(upload.filename, upload.read())
        batch = importing.start_import(upload.filename, sheet, current_user)
    except Refused as exc:
        db.session.rollback()
        form.file.errors.append(exc.message)
        return _upload_page(form, 422)
    db.session.commit()
    if batch.status == ImportBatch.STATUS_CHECKING:
        import_checks.launch(batch.id)
    return redirect_page(url_for("imports.show", batch_id=batch.id))


@bp.get("/<uuid:batch_id>")
def show(batch_id):
    """The preview of an upload (every row classified), or what a finished import did."""
    batch = import_checks.settle_if_stopped(_batch_or_404(batch_id))
    if batch.status == ImportBatch.STATUS_CHECKING:
        return render_template("imports/checking.html", batch=batch, percent=import_checks.percent_done(batch))
    if batch.status == ImportBatch.STATUS_FAILED:
        flash(batch.failure, "error")
        return redirect_page(url_for("imports.index"))
    # A preview reads only the counts and the rows it lists, not every row of the sheet.
    state = importing.load_state(batch, summary_only=batch.status == ImportBatch.STATUS_PREVIEW)
    if batch.status == ImportBatch.STATUS_DONE:
        return render_template("imports/result.html", batch=batch, state=state)
    if state is None:
        flash(_("Pratinjau ini sudah tidak berlaku. Unggah file lagi."), "error")
        return redirect_page(url_for("imports.index"))
    return render_template("imports/preview.html", batch=batch, state=state, form=CommitForm(),
                           fields=FIELDS, labels=FIELD_LABELS, limit=importing.SHOWN_PER_STATUS,
                           missing_labels=[str(FIELD_LABELS[name]) for name in state.missing])


@bp.get("/<uuid:batch_id>/progress")
def progress(batch_id):
    """How far the check of an upload got (htmx polls it); once it is over, the page reloads as the preview."""
    batch = import_checks.settle_if_stopped(_batch_or_404(batch_id))
    if batch.status != ImportBatch.STATUS_CHECKING:
        response = make_response("", 200)
        response.headers["HX-Refresh"] = "true"
        return response
    return render_template("imports/partials/_checking.html", batch=batch, percent=import_checks.percent_done(batch))


@bp.post("/<uuid:batch_id>/columns")
def columns(batch_id):
    """The user chose which sheet column holds which field: classify the rows again."""
    batch = db.get_or_404(ImportBatch, batch_id)
    mapping = {}
    for name in FIELDS:
        value = request.form.get(f"column_{name}", "")
        if value.isdigit():
            mapping[name] = int(value)
    try:
        importing.remap(batch, mapping)
    except Refused as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        if batch.status == ImportBatch.STATUS_CHECKING:
            import_checks.launch(batch.id)
    return redirect_page(url_for("imports.show", batch_id=batch.id))


@bp.post("/<uuid:batch_id>/commit")
def commit(batch_id):
    """Write the chosen rows in one transaction, then show what was done."""
    # Locked (on PostgreSQL) so that two clicks on "Impor" cannot both write the rows.
    batch = db.get_or_404(ImportBatch, batch_id, with_for_update=True)
    form = CommitForm()
    if form.validate_on_submit():
        try:
            importing.commit_import(batch, form.on_existing.data, form.mode.data)
        except Refused as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Impor selesai: %(created)d pelanggan baru, %(updated)d diperbarui.",
                    created=batch.created_count, updated=batch.updated_count), "success")
    return redirect_page(url_for("imports.show", batch_id=batch.id))


@bp.get("/<uuid:batch_id>/refused.csv")
def refused(batch_id):
    """The refused rows with what was wrong, to fix in a spreadsheet and upload again."""
    batch = db.get_or_404(ImportBatch, batch_id)
    state = importing.load_state(batch)
    if state is None:
        flash(_("Pratinjau ini sudah tidak berlaku. Unggah file lagi."), "error")
        return redirect_page(url_for("imports.index"))
    if batch.status == ImportBatch.STATUS_PREVIEW:
        state.outcomes = state.of_status(*importing.REFUSED)
    return _download(exporting.csv_lines(exporting.refused_rows(state)), "text/csv",
                     f"ditolak-{batch.filename.rsplit('.', 1)[0]}.csv")


@bp.get("/template.xlsx")
def template():
    """An empty sheet with the headers the import recognises and one example row."""
    return _download(exporting.xlsx_bytes(exporting.template_rows(), "Pelanggan"), XLSX_MIMETYPE,
                     "templat-pelanggan.xlsx")


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt):
    """The customer list as a sheet, with the list's current search and filter."""
    query = list_query_from_request()
    audit.record("customers.export", details={"format": fmt, "search": query.q, "filter": query.filter})
    db.session.commit()
    # A streamed CSV is written after this request's session is gone: load the signed-in user
    # again now, so the sheet's headers can still be translated into their language.
    db.session.refresh(current_user._get_current_object())
    rows = exporting.customer_rows(query)
    if fmt == "csv":
        return _download(stream_with_context(exporting.csv_lines(rows)), "text/csv", "pelanggan.csv")
    return _download(exporting.xlsx_bytes(rows, "Pelanggan"), XLSX_MIMETYPE, "pelanggan.xlsx")


def _download(body, mimetype, filename):
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
