from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.services.users import PASSWORD_MIN_LENGTH

_password_rules = [
    DataRequired(_l("Kata sandi wajib diisi.")),
    Length(min=PASSWORD_MIN_LENGTH, message=_l("Kata sandi minimal %(min)d karakter.")),
]


class NewUserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Nama pengguna wajib diisi."))])
    role = SelectField(_l("Peran"), choices=[SelectChoice("staff", _l("Staf")), SelectChoice("manager", _l("Manajer"))])
    password = PasswordField(_l("Kata sandi"), validators=_password_rules)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Kata sandi baru"), validators=_password_rules)
