"""Which column of a sheet holds what: the header names people use for each field, in one place.

The customer import and the main system's export are read with the same names.
"""
import re

# Header names people use, compared without case, spaces or punctuation.
ALIASES = {
    "customer_name": ["nama", "namapelanggan", "pelanggan", "namakonsumen", "konsumen", "namacustomer",
                      "customer", "customername", "name", "namalengkap"],
    "nopol": ["nopol", "nopolisi", "nomorpolisi", "platnomor", "nomorplat", "noplat", "plat", "platno",
              "tnkb", "nomorkendaraan", "nokendaraan", "licenseplate", "plate", "platenumber"],
    "no_hp": ["nohp", "hp", "whatsapp", "nowa", "wa", "nomorwa", "nomorhp", "nohpwa", "nowhatsapp",
              "nohpwhatsapp", "telepon", "telp", "notelp", "notelepon", "nomortelepon", "ponsel", "handphone",
              "phone", "phonenumber", "mobile"],
    "last_service": ["servisterakhir", "tglservisterakhir", "tanggalservisterakhir", "terakhirservis",
                     "servicesterakhir", "lastservice", "lastservicedate"],
    "next_service": ["servisberikutnya", "tglservisberikutnya", "tanggalservisberikutnya", "jadwalservis",
                     "jadwalservisberikutnya", "servisselanjutnya", "nextservice", "nextservicedate"],
    "notes": ["catatan", "keterangan", "ket", "notes", "note", "remarks", "remark"],
    "is_active": ["aktif", "isactive", "active", "statusaktif"],
}
_ALIAS_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
HEADER_SEARCH_ROWS = 30


def header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def field_for_header(text: str) -> str | None:
    return _ALIAS_FIELD.get(header_key(text))


def find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """The header row (the one naming the most known columns) and its mapping.

    A header that names only some columns is still a header: the preview asks for the rest.
    """
    best = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = {}
        for column, cell in enumerate(row):
            name = field_for_header(cell)
            if name and name not in mapping:
                mapping[name] = column
        if mapping and (best is None or len(mapping) > len(best[1])):
            best = (index, mapping)
    return best
