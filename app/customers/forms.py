from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import Optional

# Browsers send date inputs as yyyy-mm-dd; people typing by hand write day first.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]


def _date_field(label, description):
    return DateField(
        label,
        description=description,
        format=DATE_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Tanggal tidak valid. Gunakan format hari/bulan/tahun."),
    )


class CustomerForm(FlaskForm):
    """Add or edit a customer. Required fields and the rules for plates and phones are checked
    by app/services/customers.py, the same rules the import and the API use."""

    customer_name = StringField(_l("Nama pelanggan"))
    nopol = StringField(_l("Nomor polisi"), description=_l("Contoh: B 1234 XYZ"))
    special_plate = BooleanField(_l("Plat khusus (RI, CD, dinas, dll.)"))
    no_hp = StringField(_l("No. HP / WhatsApp"), description=_l("Contoh: 0812 3456 7890"))
    last_service = _date_field(_l("Servis terakhir"), _l("Tanggal, bulan, tahun; pilih dari kalender."))
    next_service = _date_field(
        _l("Servis berikutnya"), _l("Kosongkan: dihitung dari servis terakhir ditambah jarak servis."))
    notes = TextAreaField(_l("Catatan"))
    is_active = BooleanField(_l("Aktif (menerima pengingat)"), default=True)

    def customer_fields(self) -> dict:
        return {
            name: field.data
            for name, field in self._fields.items()
            if name != "csrf_token"
        }

    def show_errors(self, errors: dict):
        for name, message in errors.items():
            self[name].errors = [*self[name].errors, message]
