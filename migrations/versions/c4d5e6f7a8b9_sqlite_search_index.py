"""search index for SQLite: an FTS5 trigram table kept in step by triggers

Revision ID: c4d5e6f7a8b9
Revises: b3c1d2e4f5a6
Create Date: 2026-11-24 04:15:00

On SQLite, searching "any part of the name, plate or phone" would read all 100,000 rows; an FTS5
trigram table answers LIKE '%…%' from an index. PostgreSQL has trigram indexes on the table itself
(previous revision), so this revision does nothing there.
"""
from alembic import op

revision = 'c4d5e6f7a8b9'
down_revision = 'b3c1d2e4f5a6'
branch_labels = None
depends_on = None

DOC = "lower({t}.customer_name) || ' ' || replace({t}.nopol, ' ', '') || ' ' || {t}.no_hp"


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("CREATE VIRTUAL TABLE customer_search USING fts5(doc, tokenize='trigram')")
    op.execute(f"INSERT INTO customer_search(rowid, doc) SELECT rowid, {DOC.format(t='manual_whatsapp')} "
               "FROM manual_whatsapp")
    op.execute(f"""CREATE TRIGGER customer_search_insert AFTER INSERT ON manual_whatsapp BEGIN
        INSERT INTO customer_search(rowid, doc) VALUES (new.rowid, {DOC.format(t='new')}); END""")
    op.execute(f"""CREATE TRIGGER customer_search_update AFTER UPDATE OF customer_name, nopol, no_hp
        ON manual_whatsapp BEGIN
        UPDATE customer_search SET doc = {DOC.format(t='new')} WHERE rowid = new.rowid; END""")
    op.execute("""CREATE TRIGGER customer_search_delete AFTER DELETE ON manual_whatsapp BEGIN
        DELETE FROM customer_search WHERE rowid = old.rowid; END""")


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for trigger in ('customer_search_insert', 'customer_search_update', 'customer_search_delete'):
        op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
    op.execute('DROP TABLE IF EXISTS customer_search')
