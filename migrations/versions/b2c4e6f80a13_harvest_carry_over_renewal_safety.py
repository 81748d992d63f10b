"""harvest, carry-over, renew or remix, blocks, concerns and code of conduct

The harvest copies what a person helped was offered in their round, for them alone;
agenda items not reached are carried over; circles have cycles members renew or remix;
members block each other and report concerns to a community's safety contacts, who are
marked on their membership; a community may ask new members to accept a code of conduct.

Revision ID: b2c4e6f80a13
Revises: a174c0a7e5d1
Create Date: 2026-12-05 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b2c4e6f80a13'
down_revision = 'a174c0a7e5d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'harvest_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('contribution_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('round_title', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('helped', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'],
                                name=op.f('fk_harvest_item_author_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'],
                                name=op.f('fk_harvest_item_contribution_id_contribution'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['circle_session.id'],
                                name=op.f('fk_harvest_item_session_id_circle_session'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_harvest_item_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_item')),
        sa.UniqueConstraint('user_id', 'contribution_id',
                            name=op.f('uq_harvest_item_user_id_contribution_id')),
    )
    with op.batch_alter_table('harvest_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_item_author_id'), ['author_id'])
        batch_op.create_index(batch_op.f('ix_harvest_item_session_id'), ['session_id'])
        batch_op.create_index(batch_op.f('ix_harvest_item_user_id'), ['user_id'])

    op.create_table(
        'block',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('blocker_id', sa.Integer(), nullable=False),
        sa.Column('blocked_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('blocker_id <> blocked_id', name=op.f('ck_block_not_self')),
        sa.ForeignKeyConstraint(['blocked_id'], ['user.id'],
                                name=op.f('fk_block_blocked_id_user'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['blocker_id'], ['user.id'],
                                name=op.f('fk_block_blocker_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_block')),
        sa.UniqueConstraint('blocker_id', 'blocked_id',
                            name=op.f('uq_block_blocker_id_blocked_id')),
    )
    with op.batch_alter_table('block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_block_blocked_id'), ['blocked_id'])
        batch_op.create_index(batch_op.f('ix_block_blocker_id'), ['blocker_id'])

    op.create_table(
        'concern_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('reporter_id', sa.Integer(), nullable=True),
        sa.Column('subject_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'],
                                name=op.f('fk_concern_report_community_id_community'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reporter_id'], ['user.id'],
                                name=op.f('fk_concern_report_reporter_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['subject_id'], ['user.id'],
                                name=op.f('fk_concern_report_subject_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_report')),
    )
    with op.batch_alter_table('concern_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_report_community_id'), ['community_id'])
        batch_op.create_index(batch_op.f('ix_concern_report_reporter_id'), ['reporter_id'])
        batch_op.create_index(batch_op.f('ix_concern_report_subject_id'), ['subject_id'])

    op.create_table(
        'renewal_choice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('circle_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('cycle_no', sa.Integer(), nullable=False),
        sa.Column('choice', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['circle_id'], ['circle.id'],
                                name=op.f('fk_renewal_choice_circle_id_circle'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_renewal_choice_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_choice')),
        sa.UniqueConstraint('circle_id', 'user_id', 'cycle_no',
                            name=op.f('uq_renewal_choice_circle_id_user_id_cycle_no')),
    )
    with op.batch_alter_table('renewal_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_choice_circle_id'), ['circle_id'])
        batch_op.create_index(batch_op.f('ix_renewal_choice_user_id'), ['user_id'])

    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agenda_item_carried_from_id_agenda_item'),
                                    'agenda_item', ['carried_from_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('circle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle_sessions', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('renewed_cycles', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conduct', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety_contact', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('conduct_accepted_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('conduct_accepted_at')
        batch_op.drop_column('safety_contact')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('conduct')
    with op.batch_alter_table('circle', schema=None) as batch_op:
        batch_op.drop_column('renewed_at')
        batch_op.drop_column('renewed_cycles')
        batch_op.drop_column('cycle_sessions')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agenda_item_carried_from_id_agenda_item'),
                                 type_='foreignkey')
        batch_op.drop_column('carried_from_id')
    op.drop_table('renewal_choice')
    op.drop_table('concern_report')
    op.drop_table('block')
    op.drop_table('harvest_item')
