"""Every table, imported in one place so migrations and ``create_all`` see them all."""
from .publishing.models import InstrumentVersion
from .staff.models import LoginAttempt, StaffUser
from .survey.models import Answer, Response, Score

__all__ = ["Answer", "InstrumentVersion", "LoginAttempt", "Response", "Score", "StaffUser"]
