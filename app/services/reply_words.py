"""What a customer's reply means, from its words: the one place these words live.

A reminder may say "Balas 1 untuk booking, 2 jika sudah servis". A reply is read as a whole, case
and spacing free; nothing here acts on its own: the meaning only tells the front desk what the
customer asked for. A reply with a stop word is an opt-out, whatever else it says.
"""
import re

OPT_OUT, BOOKING, SERVICED = "opt_out", "booking", "serviced"

_OPT_OUT = re.compile(r"\b(stop|berhenti|unsubscribe|unsub)\b|jangan\s+kirim")
YES_WORDS = frozenset({"1", "ya", "iya", "yes", "booking", "book", "mau", "oke", "ok", "okay", "okey", "siap"})
SERVICED_WORDS = frozenset({"2", "sudah", "udah", "sdh", "dah"})
# "tidak mau", "belum sudah"…: a negation makes a yes or a "sudah" no longer mean it.
NEGATIONS = frozenset({"tidak", "tak", "nggak", "ngga", "gak", "ga", "enggak", "belum", "blm", "jangan", "no"})
# Longer than this, a reply is a message for a person to read, not an answer to the question.
SHORT_REPLY_WORDS = 6


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", (text or "").lower())


def is_opt_out(text: str) -> bool:
    """STOP, BERHENTI, UNSUBSCRIBE, JANGAN KIRIM LAGI and polite sentences around them."""
    return bool(_OPT_OUT.search(" ".join((text or "").lower().split())))


def meaning(text: str) -> str | None:
    """OPT_OUT, BOOKING (`1`, `ya`, `mau`… in a short reply), SERVICED (`2`, `sudah`) or None."""
    if is_opt_out(text):
        return OPT_OUT
    words = _words(text)
    if not words or len(words) > SHORT_REPLY_WORDS or NEGATIONS.intersection(words):
        return None
    yes, serviced = bool(YES_WORDS.intersection(words)), bool(SERVICED_WORDS.intersection(words))
    if yes and not serviced:
        return BOOKING
    if serviced and not yes:
        return SERVICED
    return None  # neither, or both: a person decides
