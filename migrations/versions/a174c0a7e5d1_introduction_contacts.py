"""introduction contacts: what the two people introduced share with each other

Each side chooses to share their account e-mail, another contact line, or nothing; only the
two read it once both said yes (circles/network/introduction_contacts.py).

Revision ID: a174c0a7e5d1
Revises: a17201d4e0f1
Create Date: 2026-12-05 15:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a174c0a7e5d1'
down_revision = 'a17201d4e0f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('introduction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requester_shares', sa.String(length=8), nullable=False,
                                      server_default='none'))
        batch_op.add_column(sa.Column('requester_contact', sa.String(length=200),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('target_shares', sa.String(length=8), nullable=False,
                                      server_default='none'))
        batch_op.add_column(sa.Column('target_contact', sa.String(length=200), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('introduction', schema=None) as batch_op:
        batch_op.drop_column('target_contact')
        batch_op.drop_column('target_shares')
        batch_op.drop_column('requester_contact')
        batch_op.drop_column('requester_shares')
