"""The migrations build exactly the schema the models describe."""
import warnings

import pytest
from flask_migrate import check


def test_migrations_build_the_models_schema(app):
    with app.app_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLite cannot reflect expression indexes; they are skipped
        try:
            check()  # `flask db check`: exits when a model change has no migration
        except SystemExit as exc:
            pytest.fail(f"the models and the migrations differ (flask db check exited {exc.code})")
