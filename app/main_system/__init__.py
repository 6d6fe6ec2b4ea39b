from flask import Blueprint

bp = Blueprint("main_system", __name__)

from app.main_system import routes
