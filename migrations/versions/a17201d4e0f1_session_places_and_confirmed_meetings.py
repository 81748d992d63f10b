"""session places and confirmed meetings

Every session may have a place: a video-call link and/or a room or address. A session not
run in the live room records who first answered "did your circle meet?" and when; the
attendance they confirmed says who confirmed it (circles/sessions/places.py, meetings.py).

Revision ID: a17201d4e0f1
Revises: 685aab47ba48
Create Date: 2026-12-08 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a17201d4e0f1'
down_revision = '685aab47ba48'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('circle_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_url', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('location', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reported_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_circle_session_reported_by_id_user'), 'user', ['reported_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attendance_confirmed_by_id_user'), 'user', ['confirmed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendance_confirmed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('confirmed_by_id')

    with op.batch_alter_table('circle_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_circle_session_reported_by_id_user'), type_='foreignkey')
        batch_op.drop_column('reported_at')
        batch_op.drop_column('reported_by_id')
        batch_op.drop_column('location')
        batch_op.drop_column('video_url')
