"""Configuration read from the environment (see `.env.example` and the README)."""
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


class ConfigError(RuntimeError):
    """The environment does not allow the app to start safely."""


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _development_secret_key():
    """A random key generated once into instance/, so sessions survive restarts in development."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    """Every setting of INTERFACE.md, read when the app is created (not at import time)."""

    BABEL_DEFAULT_LOCALE = "id"
    LANGUAGES: ClassVar[dict[str, str]] = {"id": "Bahasa Indonesia", "en": "English"}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: no expired forms at the counter
    PASSWORD_HASH_METHOD = "scrypt"
    CUSTOMERS_PER_PAGE = 50
    # "Ingat saya" keeps a device signed in this long after the login (Flask-Login's default is
    # 365 days); a logout, a new password or a deactivation ends it sooner.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)

    def __init__(self):
        self.APP_ENV = _env("APP_ENV", "development")
        production = self.APP_ENV == "production"
        self.SECRET_KEY = _env("SECRET_KEY")
        if production and not self.SECRET_KEY:
            raise ConfigError(
                "APP_ENV=production needs SECRET_KEY: set it in the environment or in .env "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not self.SECRET_KEY:
            self.SECRET_KEY = _development_secret_key()

        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'app.db'}")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = _env("REDIS_URL")
        self.APP_TIMEZONE = _env("APP_TIMEZONE", "Asia/Jakarta")
        self.BABEL_DEFAULT_TIMEZONE = self.APP_TIMEZONE
        # Uploads are bounded; the import feature reads within this limit.
        self.MAX_CONTENT_LENGTH = int(_env("MAX_UPLOAD_MB", "20")) * 1024 * 1024

        self.SESSION_COOKIE_SECURE = production
        self.REMEMBER_COOKIE_SECURE = production
        self.SESSION_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SAMESITE = "Lax"

        self.WHATSAPP_PROVIDER = _env("WHATSAPP_PROVIDER", "link")
        self.WHATSAPP_API_BASE_URL = _env("WHATSAPP_API_BASE_URL", "https://graph.facebook.com")
        self.WHATSAPP_API_VERSION = _env("WHATSAPP_API_VERSION", "v21.0")
        self.WHATSAPP_ACCESS_TOKEN = _env("WHATSAPP_ACCESS_TOKEN")
        self.WHATSAPP_PHONE_NUMBER_ID = _env("WHATSAPP_PHONE_NUMBER_ID")
        self.WHATSAPP_TEMPLATE_NAME = _env("WHATSAPP_TEMPLATE_NAME", "pengingat_servis")
        self.WHATSAPP_TEMPLATE_LANG = _env("WHATSAPP_TEMPLATE_LANG", "id")
        self.WHATSAPP_APP_SECRET = _env("WHATSAPP_APP_SECRET")
        self.WHATSAPP_VERIFY_TOKEN = _env("WHATSAPP_VERIFY_TOKEN")
        self.FONNTE_BASE_URL = _env("FONNTE_BASE_URL", "https://api.fonnte.com")
        self.FONNTE_TOKEN = _env("FONNTE_TOKEN")
        self.FONNTE_WEBHOOK_SECRET = _env("FONNTE_WEBHOOK_SECRET")
        # WAHA, the self-hosted gateway on the workshop's own number (docs/waha.md).
        self.WAHA_BASE_URL = _env("WAHA_BASE_URL")
        self.WAHA_API_KEY = _env("WAHA_API_KEY")
        self.WAHA_SESSION = _env("WAHA_SESSION", "default")
        self.WAHA_WEBHOOK_HMAC_KEY = _env("WAHA_WEBHOOK_HMAC_KEY")
        self.WHATSAPP_RATE_PER_SECOND = _env("WHATSAPP_RATE_PER_SECOND")
        self.WHATSAPP_HTTP_TIMEOUT = float(_env("WHATSAPP_HTTP_TIMEOUT", "10"))
        self.STATS_CACHE_SECONDS = int(_env("STATS_CACHE_SECONDS", "60"))
        # The workshop's main system, read only, and the SELECT returning its plates and phones
        # (the manager may set both on /main-system/ instead).
        self.MAIN_DATABASE_URL = _env("MAIN_DATABASE_URL")
        self.MAIN_SYSTEM_QUERY = _env("MAIN_SYSTEM_QUERY")
        # A signed-in session ends after this long without a request (a working day by default).
        self.SESSION_IDLE_MINUTES = int(_env("SESSION_IDLE_MINUTES", "480"))
        # The cookie lives as long, renewed when the server notes activity (at most once a minute).
        self.PERMANENT_SESSION_LIFETIME = self.SESSION_IDLE_MINUTES * 60 + 60
        self.SESSION_REFRESH_EACH_REQUEST = False
        # Behind nginx: how many proxies' X-Forwarded-* headers to trust (0: none).
        self.TRUST_PROXIES = int(_env("TRUST_PROXIES", "0"))
        # Logs are JSON lines on stderr at this level (DEBUG also logs every asset request).
        self.LOG_LEVEL = _env("LOG_LEVEL", "INFO")


class TestConfig(Config):
    __test__ = False  # not a test class, whatever pytest thinks of the name
    TESTING = True
    # CSRF stays on in tests: the test client sends the token like the browser does.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing; production keeps scrypt
    # An upload's rows are checked before the upload answers, so a test reads the preview next;
    # the browser test of the progress bar turns the background check back on.
    IMPORT_CHECK_IN_BACKGROUND = False

    def __init__(self, database_url):
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SECRET_KEY = "test-secret-key"
