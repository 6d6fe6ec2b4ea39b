from flask import Blueprint

bp = Blueprint("imports", __name__)

from app.imports import routes
