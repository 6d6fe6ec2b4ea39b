from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.services.messages import PLACEHOLDERS, check_template
from app.services.normalize import normalize_phone
from app.services.refusal import Refused


def workshop_name_field():
    """The workshop's name as the first-run form and the settings page ask for it."""
    return StringField(
        _l("Nama bengkel"), description=_l("Mengisi {bengkel} di pesan."), filters=[lambda v: v.strip() if v else v],
        validators=[DataRequired(_l("Isi nama bengkel.")), Length(max=80, message=_l("Maks. 80 karakter."))],
    )


def _normalized_whatsapp(form, field):
    """Empty is allowed; anything else must be a number the one normaliser accepts (stored as 628…)."""
    if not (field.data or "").strip():
        field.data = ""
        return
    try:
        field.data = normalize_phone(field.data)
    except Refused as exc:
        raise ValidationError(exc.message) from None


def workshop_whatsapp_field():
    return StringField(
        _l("Nomor WhatsApp bengkel"),
        description=_l("Nomor yang dibalas pelanggan; mengisi {wa_bengkel} di pesan. Boleh dikosongkan."),
        validators=[Length(max=40, message=_l("Maks. 40 karakter.")), _normalized_whatsapp],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )


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
    workshop_name = workshop_name_field()
    workshop_whatsapp = workshop_whatsapp_field()
    message_template = TextAreaField(
        _l("Teks pengingat"),
        description=_l("Kata isian, diganti otomatis: {nama}, {nopol}, {servis_berikutnya}, {servis_terakhir}, "
            "{bengkel}, {wa_bengkel}. Variasi: {Halo|Hai} memilih satu kata untuk tiap pelanggan."),
        render_kw={"rows": 5},
    )
    overdue_message_template = TextAreaField(
        _l("Teks pengingat untuk yang lewat jadwal"),
        description=_l("Dikirim bila tanggal servis berikutnya sudah lewat. Kata isian sama dengan teks di atas."),
        render_kw={"rows": 5},
    )
    template_params = StringField(
        _l("Parameter template Cloud API"),
        description=_l("Urutan nilai untuk {{1}}, {{2}}, … di template yang disetujui Meta, dipisah koma."),
    )
    reminder_days = IntegerField(
        _l("Kirim pengingat berapa hari sebelum jadwal"),
        invalid_value_message=_l("Isi jumlah hari dengan angka."),
        validators=[InputRequired(_l("Isi jumlah hari.")),
                    NumberRange(min=0, max=365, message=_l("Jumlah hari antara 0 dan 365."))],
    )
    overdue_days = IntegerField(
        _l("Ingatkan yang lewat jadwal paling lama (hari)"),
        description=_l("0: yang lewat jadwal hanya diikutkan bila dipilih di halaman Pengingat."),
        invalid_value_message=_l("Isi jumlah hari dengan angka."),
        validators=[InputRequired(_l("Isi jumlah hari.")),
                    NumberRange(min=0, max=365, message=_l("Jumlah hari antara 0 dan 365."))],
    )
    quiet_start = TimeField(_l("Kirim otomatis mulai jam"), description=_l("Jam 24, mis. 08:00."),
                            invalid_value_message=_l("Jam tidak valid, mis. 08:00."))
    quiet_end = TimeField(_l("sampai jam"), description=_l("Jam 24, mis. 20:00. Lebih awal dari jam mulai: sampai esok hari."),
                          invalid_value_message=_l("Jam tidak valid, mis. 20:00."))

    step2_on = BooleanField(_l("Kirim langkah 2"), false_values=("false", "", "0"))
    step2_days = IntegerField(
        _l("Langkah 2: hari dari jadwal servis"),
        description=_l("0: pada hari jadwal; 7: seminggu sesudahnya; -2: dua hari sebelumnya."),
        invalid_value_message=_l("Isi jumlah hari dengan angka."), validators=[
            InputRequired(_l("Isi jumlah hari.")), NumberRange(min=-60, max=90, message=_l("Antara -60 dan 90 hari."))])
    step2_message_template = TextAreaField(_l("Teks langkah 2"), render_kw={"rows": 4})
    step3_on = BooleanField(_l("Kirim langkah 3"), false_values=("false", "", "0"))
    step3_days = IntegerField(
        _l("Langkah 3: hari dari jadwal servis"), invalid_value_message=_l("Isi jumlah hari dengan angka."), validators=[
            InputRequired(_l("Isi jumlah hari.")), NumberRange(min=-60, max=90, message=_l("Antara -60 dan 90 hari."))])
    step3_message_template = TextAreaField(_l("Teks langkah 3"), render_kw={"rows": 4})

    pause_min_seconds = IntegerField(
        _l("Jeda antar pesan, paling cepat (detik)"), invalid_value_message=_l("Isi jumlah detik dengan angka."),
        validators=[InputRequired(_l("Isi jumlah detik.")),
                    NumberRange(min=3, max=600, message=_l("Antara 3 dan 600 detik."))])
    pause_max_seconds = IntegerField(
        _l("Jeda antar pesan, paling lama (detik)"), invalid_value_message=_l("Isi jumlah detik dengan angka."),
        validators=[InputRequired(_l("Isi jumlah detik.")),
                    NumberRange(min=3, max=600, message=_l("Antara 3 dan 600 detik."))])
    daily_cap = IntegerField(
        _l("Pesan per hari dari nomor ini, paling banyak"), invalid_value_message=_l("Isi jumlah pesan dengan angka."),
        validators=[InputRequired(_l("Isi jumlah pesan.")),
                    NumberRange(min=1, max=5000, message=_l("Antara 1 dan 5000 pesan."))])

    def validate_pause_max_seconds(self, field):
        if self.pause_min_seconds.data is not None and field.data is not None and field.data < self.pause_min_seconds.data:
            raise ValidationError(_l("Jeda paling lama tidak boleh lebih pendek dari jeda paling cepat."))

    def validate_step2_message_template(self, field):
        self.validate_message_template(field)

    def validate_step3_message_template(self, field):
        self.validate_message_template(field)

    def validate_step3_days(self, field):
        if self.step2_on.data and self.step3_on.data and self.step2_days.data is not None and field.data is not None \
                and field.data <= self.step2_days.data:
            raise ValidationError(_l("Langkah 3 harus sesudah langkah 2."))

    def validate_message_template(self, field):
        try:
            field.data = check_template(field.data)
        except Refused as exc:
            raise ValidationError(exc.message) from None

    def validate_overdue_message_template(self, field):
        self.validate_message_template(field)

    def validate_template_params(self, field):
        names = [name.strip() for name in (field.data or "").split(",") if name.strip()]
        unknown = [name for name in names if name not in PLACEHOLDERS]
        if unknown:
            raise ValidationError(_l("Tidak dikenal: %(names)s.", names=", ".join(unknown)))
        field.data = ",".join(names)

    def validate_quiet_end(self, field):
        # An end before the start runs over midnight (reminder_rules.outside_sending_hours); equal ones never send.
        if self.quiet_start.data and field.data and field.data == self.quiet_start.data:
            raise ValidationError(_l("Jam mulai dan jam selesai tidak boleh sama."))
