"""WSGI entry point: `flask` (via .flaskenv) and gunicorn (`gunicorn wsgi:app`) load the app here."""
from pathlib import Path

from dotenv import load_dotenv

# `flask` reads .env itself; gunicorn does not, so read it here too (real environment wins).
load_dotenv(Path(__file__).with_name(".env"))

from app import create_app  # noqa: E402  (the environment must be loaded first)

app = create_app()
