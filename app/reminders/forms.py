from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.services.reminder_rules import default_overdue_days


class BatchForm(FlaskForm):
    days = IntegerField(
        _l("Servis berikutnya dalam (hari)"),
        validators=[InputRequired(_l("Isi jumlah hari.")),
                    NumberRange(min=0, max=365, message=_l("Jumlah hari antara 0 dan 365."))],
        invalid_value_message=_l("Isi jumlah hari dengan angka."),
    )
    only_active = BooleanField(_l("Hanya pelanggan aktif"), default=True)
    include_overdue = BooleanField(_l("Ikut sertakan yang lewat jadwal"))
    overdue_days = IntegerField(
        _l("Lewat jadwal paling lama (hari)"),
        validators=[Optional(), NumberRange(min=1, max=365, message=_l("Batas lewat jadwal antara 1 dan 365 hari."))],
        invalid_value_message=_l("Isi batas hari lewat jadwal dengan angka."),
    )

    def overdue_bound(self) -> int:
        """How many days overdue a customer may be to be included; 0 when overdue ones are not."""
        if not self.include_overdue.data:
            return 0
        return self.overdue_days.data or default_overdue_days()
