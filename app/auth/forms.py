from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from app.services.users import PASSWORD_MIN_LENGTH
from app.settings.forms import workshop_name_field, workshop_whatsapp_field


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Nama pengguna wajib diisi."))])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Kata sandi wajib diisi."))])
    remember = BooleanField(_l("Ingat saya di perangkat ini"))


class SetupForm(FlaskForm):
    workshop_name = workshop_name_field()
    workshop_whatsapp = workshop_whatsapp_field()
    username = StringField(
        _l("Nama pengguna manajer"),
        validators=[DataRequired(_l("Nama pengguna wajib diisi.")), Length(max=64)],
    )
    password = PasswordField(
        _l("Kata sandi"),
        validators=[
            DataRequired(_l("Kata sandi wajib diisi.")),
            Length(min=PASSWORD_MIN_LENGTH, message=_l("Kata sandi minimal %(min)d karakter.")),
        ],
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi"),
        validators=[EqualTo("password", _l("Kedua kata sandi tidak sama."))],
    )


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Bahasa"), choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")])
