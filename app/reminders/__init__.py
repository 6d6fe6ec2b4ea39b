from flask import Blueprint

bp = Blueprint("reminders", __name__)

from app.reminders import routes
