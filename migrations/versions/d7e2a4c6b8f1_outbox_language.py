"""outbox_language: the language an e-mail was written in, so its footer matches

Revision ID: d7e2a4c6b8f1
Revises: c5a9d3e7f1b2
Create Date: 2026-12-06 07:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7e2a4c6b8f1'
down_revision = 'c5a9d3e7f1b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('language')
