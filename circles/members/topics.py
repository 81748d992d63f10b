"""Topic vocabulary: free entries normalised and matched to each community's list; topics
members typed that the community does not know, flagged to them and collected for the
facilitator, who maps each to a vocabulary topic or adopts it (formation then counts it)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import InvalidInput
from circles.models import (
    Boundary,
    LearningGoal,
    Membership,
    Question,
    Strength,
    Topic,
    TopicAlias,
)

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
        raise InvalidInput.field(field, _("Name a topic."))
    if len(label) > MAX_TOPIC:
        raise InvalidInput.field(field, _("Keep a topic under %(max)s characters.", max=MAX_TOPIC))
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


#: Profile lists whose topics formation matches (boundaries too: a boundary the community
#: does not know cancels nothing).
TOPIC_LISTS = (Strength, Question, LearningGoal, Boundary)


@dataclass(frozen=True)
class TypedTopic:
    """A topic members typed that is not in the community's vocabulary: its key, the label
    most of them typed, how many members use it, and the closest vocabulary topics."""

    key: str
    label: str
    members: int
    suggestions: list[str]


def close_matches(label: str, vocabulary: list[str], *, limit: int = 3) -> list[str]:
    """Vocabulary labels that look like ``label``: similar spelling, or a word in common.

    >>> close_matches("Public-speaking skills", ["Public speaking", "Python", "Negotiation"])
    ['Public speaking']
    """
    keys = {topic_key(v): v for v in vocabulary}
    found = [keys[k] for k in difflib.get_close_matches(topic_key(label), list(keys), n=limit,
                                                         cutoff=0.6)]
    words = {w for w in topic_key(label).replace("-", " ").split() if len(w) > 3}
    for key, original in keys.items():
        if len(found) < limit and original not in found and words & set(key.split()):
            found.append(original)
    return found


def _known(db: Session, community_id: int) -> set[str]:
    vocabulary = set(db.scalars(select(Topic.key).where(Topic.community_id == community_id)))
    return vocabulary | set(topic_aliases(db, community_id))


def typed_topics(db: Session, community_id: int) -> list[TypedTopic]:
    """Topics the community's members use that neither its vocabulary nor a mapping knows,
    most used first (for the facilitator to map or adopt)."""
    known = _known(db, community_id)
    members = select(Membership.user_id).where(Membership.community_id == community_id)
    used: dict[str, dict[str, Any]] = {}
    for model in TOPIC_LISTS:
        for user_id, key, label in db.execute(
                select(model.user_id, model.topic_key, model.topic)
                .where(model.user_id.in_(members), model.topic_key != "")):
            if key in known:
                continue
            entry = used.setdefault(key, {"members": set(), "labels": {}})
            entry["members"].add(user_id)
            entry["labels"][label] = entry["labels"].get(label, 0) + 1
    vocabulary = [t.label for t in db.scalars(select(Topic).where(
        Topic.community_id == community_id))]
    found = [TypedTopic(key, max(entry["labels"], key=entry["labels"].get),
                        len(entry["members"]), [])
             for key, entry in used.items()]
    return sorted((TypedTopic(t.key, t.label, t.members, close_matches(t.label, vocabulary))
                   for t in found), key=lambda t: (-t.members, t.label.casefold()))


def map_topic(db: Session, community_id: int, key: str, topic_id: int) -> TopicAlias:
    """Count a typed topic as one of the community's own from now on (formation included)."""
    topic = db.get(Topic, topic_id)
    if topic is None or topic.community_id != community_id:
        raise InvalidInput.field("topic_id", _("Choose one of this community's topics."))
    if key not in {t.key for t in typed_topics(db, community_id)}:
        raise InvalidInput.field("key", _("That typed topic is not in use here any more."))
    alias = TopicAlias(community_id=community_id, key=key, topic_id=topic.id)
    db.add(alias)
    db.flush()
    return alias


def adopt_topic(db: Session, community_id: int, key: str) -> Topic:
    """Add a typed topic to the vocabulary, spelled as most members typed it."""
    typed = next((t for t in typed_topics(db, community_id) if t.key == key), None)
    if typed is None:
        raise InvalidInput.field("key", _("That typed topic is not in use here any more."))
    return add_topic(db, community_id, typed.label)


def unmatched(db: Session, user_id: int) -> dict[str, list[str]]:
    """The member's topics that none of their communities knows, each with close vocabulary
    topics: shown beside the item so they can pick a word their community uses."""
    communities = list(db.scalars(select(Membership.community_id)
                                  .where(Membership.user_id == user_id)))
    if not communities:
        return {}
    known = set().union(*(_known(db, c) for c in communities))
    vocabulary = vocabulary_for(db, user_id)
    found: dict[str, list[str]] = {}
    for model in TOPIC_LISTS:
        for key, label in db.execute(select(model.topic_key, model.topic).where(
                model.user_id == user_id, model.topic_key != "")):
            if key not in known:
                found[key] = close_matches(label, vocabulary)
    return found
