"""URL converters: a path that names a row no database can hold is a 404, not a database error."""
from werkzeug.routing import IntegerConverter

# The largest integer SQLite and PostgreSQL's bigint store; larger ids overflow the driver.
MAX_ID = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` that matches only ids a row can have (1 to MAX_ID), so a huge one does not match."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
