"""Serve the app over HTTP in a process of its own, so a test can kill it mid-request.

    python -m tests.serve DATABASE_URL

Prints the port it listens on (127.0.0.1) as its first line, then serves until killed.
"""
import sys

from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig


def main(database_url: str):
    server = make_server("127.0.0.1", 0, create_app(TestConfig(database_url)), threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
