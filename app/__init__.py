"""Manual WhatsApp: service reminders for the workshop's customers outside its main system."""
from flask import Flask

from app.config import PROJECT_ROOT, Config
from app.escaping import treat_translations_as_text
from app.logs import configure_logging, tag_records_with_request_id


def create_app(config=None):
    """Build the app; `config` is a Config instance (tests pass a TestConfig)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(config or Config())
    treat_translations_as_text(app)  # before anything can format user data into a translated string
    register_converters(app)
    if app.config.get("TRUST_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUST_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errors(app)
    register_templates(app)
    register_cli(app)
    tag_records_with_request_id()
    if not app.testing:  # tests keep pytest's log capture
        configure_logging(app.config["LOG_LEVEL"])
    return app


def register_converters(app):
    from app.routing import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added


def register_extensions(app):
    from app import models  # noqa: F401  (the tables must be known before Alembic looks)
    from app.auth.access import load_user, unauthorized
    from app.extensions import babel, csrf, db, login_manager, migrate
    from app.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def register_blueprints(app):
    from app.api import bp as api_bp
    from app.audit import bp as audit_bp
    from app.auth import bp as auth_bp
    from app.bookings import bp as bookings_bp
    from app.customers import bp as customers_bp
    from app.imports import bp as imports_bp
    from app.main import bp as main_bp
    from app.main_system import bp as main_system_bp
    from app.reminders import bp as reminders_bp
    from app.replies import bp as replies_bp
    from app.settings import bp as settings_bp
    from app.stats import bp as stats_bp
    from app.users import bp as users_bp
    from app.webhooks import bp as webhooks_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(customers_bp, url_prefix="/customers")
    app.register_blueprint(imports_bp, url_prefix="/import")
    app.register_blueprint(reminders_bp, url_prefix="/reminders")
    app.register_blueprint(replies_bp, url_prefix="/replies")
    app.register_blueprint(bookings_bp, url_prefix="/bookings")
    app.register_blueprint(stats_bp, url_prefix="/stats")
    app.register_blueprint(api_bp, url_prefix="/manual-whatsapp")
    app.register_blueprint(webhooks_bp, url_prefix="/webhooks")
    app.register_blueprint(users_bp, url_prefix="/users")
    app.register_blueprint(settings_bp, url_prefix="/settings")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(main_system_bp, url_prefix="/main-system")


def register_request_hooks(app):
    from app.auth.access import require_login_and_setup
    from app.htmx import add_vary_header
    from app.inputs import refuse_bad_input
    from app.logs import finish_request, start_request
    from app.security import add_security_headers

    app.before_request(start_request)  # first: every later line of the request carries its id
    app.before_request(refuse_bad_input)  # before anything reads the request or the database
    app.before_request(require_login_and_setup)
    app.after_request(add_vary_header)
    app.after_request(add_security_headers)
    app.after_request(finish_request)


def register_errors(app):
    from app.errors import register

    register(app)


def register_templates(app):
    """Every name the templates use beyond Jinja's own, registered here and nowhere else."""
    from flask_babel import format_decimal, get_locale

    from app import i18n
    from app.customers.rows import customer_rows, whatsapp_provider
    from app.services import audit, bookings, conversations
    from app.services.customers import due_state
    from app.services.formats import local_phone
    from app.services.settings import get_setting
    from app.whatsapp import provider_label
    from app.whatsapp.link import wa_link

    app.jinja_env.filters.update({
        "date_short": i18n.date_short, "datetime_short": i18n.datetime_short,
        "iso_date_short": i18n.iso_date_short, "iso_datetime_short": i18n.iso_datetime_short,
        "phone": local_phone, "due_state": due_state, "audit_value": i18n.recorded_value,
        "trigger_label": i18n.trigger_label, "provider_label": provider_label, "number": format_decimal,
    })
    app.jinja_env.globals.update({
        "get_locale": get_locale,
        "workshop_name": lambda: get_setting("workshop_name"),  # asked only by pages with the header
        "whatsapp": whatsapp_provider, "customer_rows": customer_rows, "wa_url": wa_link,
        "audit_changes": audit.readable_changes, "audit_details": audit.readable_details,
        "audit_action": audit.action_label, "audit_source": audit.source_label,
        "replies_waiting": conversations.waiting_count,  # asked only by pages with the header
        "bookings_open": bookings.open_count,
    })


def register_cli(app):
    from app.cli import backup_command, main_system_cli, reminders_cli, restore_command, users_cli, worker_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(main_system_cli)
