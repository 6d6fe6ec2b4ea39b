"""The main system beside this one (manager only): its list of plates and phones, and the hand-over."""
import uuid

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import manager_required
from app.extensions import db
from app.main_system import bp
from app.main_system.forms import ConnectionForm, ExportUploadForm
from app.models import Customer
from app.services import audit, exporting, main_system
from app.services import customers as customer_service
from app.services.customers import CustomerQuery, matching_customers
from app.services.refusal import Refused
from app.services.sheets import read_sheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HANDOVER_LIMIT = 200  # customers listed to choose from at once; a search narrows them


def _page(connection_form=None, upload_form=None, status=200):
    settings = main_system.connection()
    if connection_form is None:
        connection_form = ConnectionForm(url=settings.shown_url, query=settings.query)
    return render_template("main_system/index.html", overview=main_system.overview(), settings=settings,
                           connection_form=connection_form, upload_form=upload_form or ExportUploadForm()), status


def _report(attempt):
    if attempt.ok:
        flash(_("Daftar sistem utama diperbarui: %(entries)d kendaraan/nomor dari %(rows)d baris.",
                entries=attempt.entries, rows=attempt.rows_read), "success")
    else:
        flash(_("Daftar sistem utama tidak diperbarui; daftar terakhir tetap dipakai. %(error)s", error=attempt.error),
              "error")


@bp.get("/")
@manager_required
def index():
    """What the main system has (from its database or an uploaded export), when it was read, and the hand-over."""
    return _page()


@bp.post("/connection")
@manager_required
def save_connection():
    """Store the main system's database address and query."""
    form = ConnectionForm()
    if not form.validate_on_submit():
        return _page(connection_form=form, status=422)
    try:
        main_system.save_connection(form.url.data, form.query.data)
    except Refused as exc:
        db.session.rollback()
        form.query.errors.append(exc.message)
        return _page(connection_form=form, status=422)
    db.session.commit()
    flash(_("Koneksi sistem utama disimpan."), "success")
    return redirect(url_for("main_system.index"))


@bp.post("/sync")
@manager_required
def sync():
    """Read the main system's database now (the cron runs `flask main-system sync`)."""
    _report(main_system.sync_database(current_user))
    return redirect(url_for("main_system.index"))


@bp.post("/upload")
@manager_required
def upload():
    """Take the main system's vehicles from an exported sheet."""
    form = ExportUploadForm()
    if not form.validate_on_submit():
        return _page(upload_form=form, status=422)
    upload = form.file.data
    try:
        sheet = read_sheet(upload.filename, upload.read())
    except Refused as exc:
        form.file.errors.append(exc.message)
        return _page(upload_form=form, status=422)
    _report(main_system.load_export(upload.filename, sheet, current_user))
    return redirect(url_for("main_system.index"))


@bp.get("/handover")
@manager_required
def handover():
    """Choose customers to hand over to the main system (a search narrows the list)."""
    q = request.args.get("q", "").strip()[:100]
    stmt = sa.select(Customer).where(sa.not_(main_system.in_main_system())).order_by(Customer.customer_name, Customer.id)
    if q:
        stmt = matching_customers(CustomerQuery(q=q, sort="name")).where(sa.not_(main_system.in_main_system()))
    customers = db.session.scalars(stmt.limit(HANDOVER_LIMIT + 1)).all()
    return render_template("main_system/handover.html", customers=customers[:HANDOVER_LIMIT], q=q,
                           more=len(customers) > HANDOVER_LIMIT)


@bp.post("/handover")
@manager_required
def handover_download():
    """The chosen customers in the main system's columns, as a sheet to import there."""
    ids = []
    for value in request.form.getlist("customer"):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    if not ids:
        flash(_("Pilih minimal satu pelanggan."), "error")
        return redirect(url_for("main_system.handover", q=request.form.get("q", "")))
    customers = db.session.scalars(sa.select(Customer).where(Customer.id.in_(ids[:5000]))
                                   .order_by(Customer.customer_name, Customer.id)).all()
    audit.record("customers.export", details={"format": "xlsx", "main_system": len(customers)})
    db.session.commit()
    response = Response(exporting.xlsx_bytes(exporting.handover_rows(customers), "Kendaraan"), mimetype=XLSX_MIMETYPE)
    response.headers.set("Content-Disposition", "attachment", filename="pindah-ke-sistem-utama.xlsx")
    return response


@bp.route("/archive", methods=["GET", "POST"])
@manager_required
def archive():
    """Archive the customers the main system now has (asked first; each can be restored from the archive)."""
    if request.method == "POST":
        count = customer_service.archive_those_in_main_system()
        db.session.commit()
        flash(_("%(n)d pelanggan yang sudah ada di sistem utama diarsipkan.", n=count), "success")
        return redirect(url_for("main_system.index"))
    return render_template("main_system/archive.html", customers=main_system.known_customers(limit=500),
                           total=main_system.count_known_customers())
