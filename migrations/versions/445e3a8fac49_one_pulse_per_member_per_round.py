"""one pulse per member per round

Each pulse gets the round it counts in (``session:<id>`` for one that followed a session,
else ``month:YYYY-MM`` of when it was given, as circles.models.pulse.round_key), and a
member has one answer per round. Where a member answered a round more than once, the
latest answer is kept and the earlier ones are deleted: a second answer replaces the first.

Revision ID: 445e3a8fac49
Revises: d93ec1b4f765
Create Date: 2026-12-05 12:14:14.241063

"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '445e3a8fac49'
down_revision = 'd93ec1b4f765'
branch_labels = None
depends_on = None

pulse = sa.table(
    'pulse',
    sa.column('id', sa.Integer()),
    sa.column('circle_id', sa.Integer()),
    sa.column('user_id', sa.Integer()),
    sa.column('session_id', sa.Integer()),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('round_key', sa.String(32)),
)


def _round_key(session_id, created_at):
    if session_id is not None:
        return f'session:{session_id}'
    moment = created_at if created_at.tzinfo is not None else created_at.replace(tzinfo=UTC)
    return f'month:{moment.astimezone(UTC):%Y-%m}'


def _fill_round_keys():
    """Give every row its round; of several answers to one round keep the latest."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(pulse.c.id, pulse.c.circle_id, pulse.c.user_id,
                                  pulse.c.session_id, pulse.c.created_at)
                        .order_by(pulse.c.created_at, pulse.c.id)).all()
    latest, replaced = {}, []
    for row in rows:
        key = _round_key(row.session_id, row.created_at)
        earlier = latest.get((row.circle_id, row.user_id, key))
        if earlier is not None:
            replaced.append(earlier)
        latest[(row.circle_id, row.user_id, key)] = row.id
    if replaced:
        conn.execute(sa.delete(pulse).where(pulse.c.id.in_(replaced)))
    for (_, _, key), pulse_id in latest.items():
        conn.execute(sa.update(pulse).where(pulse.c.id == pulse_id).values(round_key=key))


def upgrade():
    with op.batch_alter_table('pulse', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_key', sa.String(length=32), nullable=True))
    _fill_round_keys()
    with op.batch_alter_table('pulse', schema=None) as batch_op:
        batch_op.alter_column('round_key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_pulse_circle_id_user_id_round_key'), ['circle_id', 'user_id', 'round_key'])


def downgrade():
    with op.batch_alter_table('pulse', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pulse_circle_id_user_id_round_key'), type_='unique')
        batch_op.drop_column('round_key')
