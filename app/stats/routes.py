from datetime import date

from flask import Response, render_template, request
from flask_babel import gettext as _

from app.auth.access import manager_required
from app.i18n import date_short
from app.services import exporting, stats
from app.stats import bp
from app.stats.charts import stacked_bars


def _date_arg(name) -> date | None:
    """A date from the address bar; one that is not a date is left out."""
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _period() -> stats.Period:
    """The chosen date range (default: the last 30 days), bounded to a year."""
    return stats.Period.chosen(_date_arg("from"), _date_arg("to"))


@bp.get("/")
@manager_required
def index():
    """Totals, reminders and their outcomes, upcoming services and who came back, with charts."""
    period = _period()
    per_day = stats.messages_per_day(period)
    per_week = stats.services_per_week()
    # Delivered is part of sent: the bar shows delivered, then the rest of sent, then failed on top.
    day_points = [{**point, "sent_not_delivered": point["sent"] - point["delivered"]} for point in per_day]
    day_chart = stacked_bars(day_points, [("delivered", "bar-delivered", _("diterima/dibaca")),
                                          ("sent_not_delivered", "bar-sent", _("terkirim")),
                                          ("failed", "bar-failed", _("gagal"))],
                             label=lambda point: date_short(point["day"])[:6].strip())
    week_chart = stacked_bars(per_week, [("count", "bar-sent", _("pelanggan"))],
                              label=lambda point: date_short(point["start"])[:6].strip())
    return render_template("stats/index.html", period=period, summary=stats.summary(period), per_day=per_day,
                           per_week=per_week, day_chart=day_chart, week_chart=week_chart,
                           delivery_reported=stats.delivery_is_reported())


@bp.get("/export.csv")
@manager_required
def export():
    """The figures of the chosen period as CSV."""
    period = _period()
    figures = stats.summary(period).as_dict()
    failures, steps = figures.pop("top_failures"), figures.pop("by_step")
    rows = [[_("Angka"), _("Nilai")], *[[name, value] for name, value in figures.items()]]
    rows += [[f"failure {failure['code']}", failure["count"]] for failure in failures]
    rows += [[f"step {row['step']} reminded/replies/booking_requests/bookings_made/came_back",
              "/".join(str(row[name]) for name in ("reminded", "replies", "booking_requests", "bookings_made", "came_back"))]
             for row in steps]
    rows += [[f"day {point['day'].isoformat()} sent/delivered/failed",
              f"{point['sent']}/{point['delivered']}/{point['failed']}"] for point in stats.messages_per_day(period)]
    response = Response(exporting.csv_lines(rows), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=f"statistik-{period.start}-{period.end}.csv")
    return response
