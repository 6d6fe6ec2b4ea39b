"""The API keeps its documented contract: Schemathesis generates requests from /manual-whatsapp/openapi.json.

Every operation gets a bounded, repeatable set of examples (derandomized) sent in-process to the
app with a real manager token: no answer may be a server error, every status must be one the
document lists, and every body must match the documented schema. Each operation runs on a fresh
app and emptied database (the `app` fixture), on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.api.openapi import spec

EXAMPLES_PER_OPERATION = 25


# The document the app serves at /manual-whatsapp/openapi.json (test_api checks they are the same).
schema = schemathesis.openapi.from_dict(spec())


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case, app, tokens):
    case.call_and_validate(app=app, headers=tokens["manager"],
                           checks=[not_a_server_error, status_code_conformance, response_schema_conformance])
