from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange


class BatchForm(FlaskForm):
    days = IntegerField(
        _l("Servis berikutnya dalam (hari)"),
        validators=[InputRequired(_l("Isi jumlah hari.")),
                    NumberRange(min=0, max=365, message=_l("Jumlah hari antara 0 dan 365."))],
        invalid_value_message=_l("Isi jumlah hari dengan angka."),
    )
    only_active = BooleanField(_l("Hanya pelanggan aktif"), default=True)
