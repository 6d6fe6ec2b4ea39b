"""The fast path for Indonesian mobile numbers says what phonenumbers says, on every number tried."""
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from app.services.normalize import is_known_mobile, normalize_phone

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def phonenumbers_says_mobile(national: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=62, national_number=int(national))
    return phonenumbers.number_type(number) in MOBILE_TYPES


# National numbers as the import meets them: mostly 8… mobiles of every length and operator prefix,
# and any other digits (landlines, premium, toll-free, too short, too long).
mobile_like = st.builds(lambda prefix, rest: "8" + prefix + rest, st.sampled_from("0123456789"),
                        st.text("0123456789", min_size=5, max_size=12))
any_number = st.builds(lambda first, rest: first + rest, st.sampled_from("123456789"),
                       st.text("0123456789", min_size=0, max_size=13))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(mobile_like, any_number))
def test_fast_path_never_says_mobile_when_phonenumbers_does_not(national):
    if is_known_mobile(national):
        assert phonenumbers_says_mobile(national), national


@settings(max_examples=3000, deadline=None)
@given(mobile_like)
def test_fast_path_recognises_every_mobile_phonenumbers_recognises(national):
    assert is_known_mobile(national) == phonenumbers_says_mobile(national), national


@settings(max_examples=1000, deadline=None)
@given(st.one_of(mobile_like, any_number))
def test_normalising_accepts_exactly_what_phonenumbers_calls_an_indonesian_mobile(national):
    try:
        stored = normalize_phone("0" + national)
    except Exception:
        stored = None
    assert (stored == "62" + national) == phonenumbers_says_mobile(national), national
