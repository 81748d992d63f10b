"""Topic vocabulary: free entries normalised and matched to each community's list."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import InvalidInput
from circles.models import Membership, Topic, TopicAlias

MAX_TOPIC = 80
_EDGE_PUNCTUATION = " .,;:!?-_/"


def topic_key(label: str) -> str:
    """The form two spellings of one topic share.

    >>> topic_key("  Machine   LEARNING. ")
    'machine learning'
    """
    return " ".join(label.split()).strip(_EDGE_PUNCTUATION).casefold()


def tidy_label(raw: str, *, field: str = "topic") -> str:
    """Collapse spacing and edge punctuation; an all-lowercase entry gets a capital.

    Mixed or upper case is the writer's choice and kept ("iOS", "SQL").

    >>> tidy_label("  public   speaking ")
    'Public speaking'
    >>> tidy_label("SQL tuning")
    'SQL tuning'
    """
    label = " ".join(raw.split()).strip(_EDGE_PUNCTUATION)
    if not label:
        raise InvalidInput.field(field, "Name a topic.")
    if len(label) > MAX_TOPIC:
        raise InvalidInput.field(field, f"Keep a topic under {MAX_TOPIC} characters.")
    if label == label.lower():
        label = label[0].upper() + label[1:]
    return label


def canonical_topic(db: Session, user_id: int, raw: str, *, field: str = "topic") -> tuple[str, str]:
    """``(label, key)`` for a free entry: the vocabulary's spelling when one of the user's
    communities already knows the topic, otherwise the tidied entry."""
    label = tidy_label(raw, field=field)
    key = topic_key(label)
    known = db.scalar(
        select(Topic.label)
        .join(Membership, Membership.community_id == Topic.community_id)
        .where(Membership.user_id == user_id, Topic.key == key)
        .order_by(Topic.id)
        .limit(1)
    )
    return (known or label), key


def vocabulary_for(db: Session, user_id: int) -> list[str]:
    """Every topic label of the user's communities, for autocomplete."""
    labels = db.scalars(
        select(Topic.label)
        .join(Membership, Membership.community_id == Topic.community_id)
        .where(Membership.user_id == user_id)
        .distinct()
    )
    return sorted(labels, key=str.casefold)


def add_topic(db: Session, community_id: int, raw: str) -> Topic:
    """Add one entry to a community's vocabulary, or return the entry it duplicates."""
    label = tidy_label(raw, field="label")
    key = topic_key(label)
    existing = db.scalar(select(Topic).where(Topic.community_id == community_id, Topic.key == key))
    if existing is not None:
        return existing
    topic = Topic(community_id=community_id, label=label, key=key)
    db.add(topic)
    db.flush()
    return topic


def topic_aliases(db: Session, community_id: int) -> dict[str, str]:
    """The community's mappings: a typed topic's key → the key of the vocabulary topic it
    counts as."""
    rows = db.execute(select(TopicAlias.key, Topic.key)
                      .join(Topic, TopicAlias.topic_id == Topic.id)
                      .where(TopicAlias.community_id == community_id))
    return {alias: key for alias, key in rows}
