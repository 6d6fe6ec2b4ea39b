"""Flask extensions, created once here and bound to the app in create_app()."""
import sqlite3

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Named constraints, so Alembic migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class ForeignSqliteConnection(sqlite3.Connection):
    """A connection to another application's SQLite file (the main system's): read as it is, never tuned."""


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record):
    """WAL lets readers work while one process writes; the busy timeout makes writers wait, not fail."""
    if not isinstance(dbapi_connection, sqlite3.Connection) or isinstance(dbapi_connection, ForeignSqliteConnection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-32000")  # 32 MB: bulk imports touch many index pages
    cursor.close()


@event.listens_for(Engine, "savepoint")
def _begin_before_sqlite_savepoint(connection, _name):
    """Open SQLite's transaction before a SAVEPOINT, so releasing the savepoint commits nothing.

    pysqlite sends BEGIN by itself only before INSERT/UPDATE/DELETE. A SAVEPOINT sent outside a
    transaction starts SQLite's own one, which its RELEASE then commits: a bulk import committed
    record by record and a failure or a killed worker left the first ones written. SQLAlchemy's
    recipe for pysqlite (isolation_level=None, BEGIN on every transaction) fixes that too, but a
    deferred BEGIN before the first SELECT makes a later write fail at once ("database is locked")
    when another process wrote in between, instead of waiting for the busy timeout. IMMEDIATE
    takes the write lock now (waiting as long as the busy timeout), so the reads that follow see
    the data they will write over; reads before it still take no lock at all.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")
