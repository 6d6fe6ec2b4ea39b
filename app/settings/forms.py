from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange


class SettingsForm(FlaskForm):
    service_interval_months = IntegerField(
        _l("Jarak servis (bulan)"),
        description=_l("Servis berikutnya = servis terakhir + jarak ini, bila tidak diisi."),
        invalid_value_message=_l("Isi angka bulan, misalnya 6."),
        validators=[
            InputRequired(_l("Isi jarak servis dalam bulan.")),
            NumberRange(min=1, max=36, message=_l("Jarak servis antara 1 dan 36 bulan.")),
        ],
    )
