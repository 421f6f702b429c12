"""The staff blueprint, on its own so that the modules adding routes to it (views.py,
two_factor_views.py) need not import each other."""
from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
