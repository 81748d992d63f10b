"""session formats: Wise Crowds, Troika, clearness committee, action learning

A session's format and (clearness committee) its focus person and write-up; a round's step,
planned length, recorder and times on its stages; Troika's trios on the phase and a
contribution's trio; contributions the facilitator stopped (circles/live/formats.py).

Revision ID: f0a7c3e1b2d4
Revises: b2c4e6f80a13
Create Date: 2026-12-05 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f0a7c3e1b2d4'
down_revision = 'b2c4e6f80a13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('circle_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.String(length=16), nullable=False,
                                      server_default='circle'))
        batch_op.add_column(sa.Column('focus_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('writeup', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_circle_session_focus_person_id_user'), 'user',
                                    ['focus_person_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('session_phase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trios', sa.JSON(), nullable=True))
    with op.batch_alter_table('session_stage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('step', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recorder_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('began_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_session_stage_recorder_id_user'), 'user',
                                    ['recorder_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trio', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_column('stopped_at')
        batch_op.drop_column('trio')
    with op.batch_alter_table('session_stage', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_session_stage_recorder_id_user'), type_='foreignkey')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('began_at')
        batch_op.drop_column('recorder_id')
        batch_op.drop_column('seconds')
        batch_op.drop_column('step')
        batch_op.drop_column('round')
    with op.batch_alter_table('session_phase', schema=None) as batch_op:
        batch_op.drop_column('trios')
    with op.batch_alter_table('circle_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_circle_session_focus_person_id_user'), type_='foreignkey')
        batch_op.drop_column('writeup')
        batch_op.drop_column('focus_person_id')
        batch_op.drop_column('format')
