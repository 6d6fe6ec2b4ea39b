from flask import Blueprint

bp = Blueprint("replies", __name__)

from app.replies import routes
