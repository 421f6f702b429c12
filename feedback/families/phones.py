"""Mobile numbers as families type them, checked and stored in one form (E.164) with phonenumbers."""
from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhoneNumber(ValueError):
    """The number cannot receive texts; the message says why, for the member of staff entering it."""


def normalise_mobile(typed: str, default_region: str = "GB") -> str:
    """``07700 900123`` → ``+447700900123``; refuse numbers that are not valid mobiles."""
    try:
        number = phonenumbers.parse(typed, default_region)
    except NumberParseException:
        raise InvalidPhoneNumber(f"“{typed}” is not a phone number. Enter a mobile number like 07700 900123.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"“{typed}” is not a valid number. Check the digits and try again.")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhoneNumber(f"“{typed}” is not a mobile number, so it cannot receive texts.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
