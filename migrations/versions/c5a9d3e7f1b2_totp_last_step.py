"""totp_last_step: the time step of the last two-factor code taken, so a code works once

Revision ID: c5a9d3e7f1b2
Revises: b3e1f0c2d9a4
Create Date: 2026-12-06 01:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5a9d3e7f1b2'
down_revision = 'b3e1f0c2d9a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
