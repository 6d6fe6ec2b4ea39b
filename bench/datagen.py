"""Realistic customer data for the benchmarks: valid plates and phones, a spread of service dates."""
import random
from datetime import date, timedelta

REGIONS = ["B", "D", "F", "AB", "H", "L", "N", "BK", "DK", "KT", "E", "T", "Z", "AD", "AG", "W"]
MOBILE_PREFIXES = ["0811", "0812", "0813", "0821", "0822", "0852", "0853", "0856", "0857", "0858",
                   "0877", "0878", "0895", "0896", "0897", "0898", "0899", "0881", "0882", "0838"]
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Eko", "Andi", "Rudi", "Maria", "Ahmad", "Putri",
         "Hendra", "Yanti", "Bambang", "Sri", "Wahyu", "Indah", "Fajar", "Lestari"]
LAST = ["Santoso", "Wijaya", "Hartono", "Lestari", "Prasetyo", "Nurhaliza", "Saputra", "Susilo", "Fauzi",
        "Kurniawan", "Setiawan", "Hidayat", "Utami", "Pratama", "Gunawan"]


def plates(count: int, seed: int = 1):
    """`count` distinct plates in the civil pattern (B 1234 XYZ)."""
    rng = random.Random(seed)
    seen = set()
    while len(seen) < count:
        suffix = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ", k=rng.randint(1, 3)))
        plate = f"{rng.choice(REGIONS)} {rng.randint(1, 9999)} {suffix}"
        if plate not in seen:
            seen.add(plate)
            yield plate


def customers(count: int, seed: int = 1, today: date | None = None):
    """Dicts of customer fields as a person would type them (phones in national format)."""
    rng = random.Random(seed)
    today = today or date.today()
    for index, plate in enumerate(plates(count, seed)):
        last = today - timedelta(days=rng.randint(0, 400))
        yield {
            "customer_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "nopol": plate,
            "no_hp": f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(1000000, 9999999)}{rng.randint(0, 9)}",
            "last_service": last,
            "next_service": last + timedelta(days=rng.choice([90, 120, 180])),
            "notes": rng.choice(["", "walk-in", "partner: Bengkel Jaya", "ganti oli", ""]),
            "is_active": rng.random() > 0.1,
            "index": index,
        }
