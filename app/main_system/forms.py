from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from app.services.sheets import EXTENSIONS


class ConnectionForm(FlaskForm):
    url = StringField(
        _l("Alamat database sistem utama"),
        description=_l("Hanya dibaca, tidak pernah diubah. Contoh: postgresql+psycopg://pengguna:sandi@server/bengkel. "
                       "Kosongkan untuk memakai MAIN_DATABASE_URL dari server."),
        validators=[Length(max=500, message=_l("Maks. 500 karakter."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    query = TextAreaField(
        _l("Perintah SQL"),
        description=_l("Satu SELECT yang mengembalikan kolom nopol dan/atau no_hp."),
        validators=[Length(max=4000, message=_l("Maks. 4000 karakter."))],
        render_kw={"rows": 3, "spellcheck": "false"},
    )


class ExportUploadForm(FlaskForm):
    file = FileField(
        _l("File kendaraan dari sistem utama"),
        description=_l("Excel (.xlsx, .xls), OpenDocument (.ods) atau CSV, dengan kolom nopol dan/atau no_hp."),
        validators=[
            FileRequired(_l("Pilih file yang akan diunggah.")),
            FileAllowed([ext.lstrip(".") for ext in EXTENSIONS],
                        _l("Jenis file tidak didukung. Unggah file .xlsx, .xls, .ods atau .csv.")),
        ],
    )
