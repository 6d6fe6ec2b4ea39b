from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from app.services.sheets import EXTENSIONS


class UploadForm(FlaskForm):
    file = FileField(
        _l("File pelanggan"),
        description=_l("Excel (.xlsx, .xls), OpenDocument (.ods) atau CSV."),
        validators=[
            FileRequired(_l("Pilih file yang akan diimpor.")),
            FileAllowed([ext.lstrip(".") for ext in EXTENSIONS],
                        _l("Jenis file tidak didukung. Unggah file .xlsx, .xls, .ods atau .csv.")),
        ],
    )


class CommitForm(FlaskForm):
    on_existing = RadioField(
        _l("Nomor polisi yang sudah ada"),
        choices=[SelectChoice("skip", _l("Lewati (data lama tidak diubah)")),
                 SelectChoice("update", _l("Perbarui dengan data dari file"))],
        default="skip",
    )
    mode = RadioField(
        _l("Bila ada baris yang ditolak"),
        choices=[SelectChoice("valid_only", _l("Impor baris yang valid saja")),
                 SelectChoice("all_or_nothing", _l("Jangan impor apa pun sampai semua baris valid"))],
        default="valid_only",
    )
