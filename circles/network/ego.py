"""A member's developmental network: assembled from tie history, rebuilt at any past moment.

The DB → networkx adapter for one member. Nodes are member ids (int) and external contacts
("x<id>"); each carries ``name``, ``system`` (organisation / department, or the contact's
context), ``kind`` ("member" | "external"), ``organisation``, ``department``, ``new`` (first met
in the round being pictured) and ``ring`` (0 the ego, 1 alters, 2 the optional second ring).
Edges carry ``strength`` (see ``circles.network.history.WEIGHTS``), ``first_met`` (ISO),
``new`` and, for the ego's own ties, ``how`` (the history in words). Only members sharing a
community with the ego appear; external contacts appear only in their owner's network.
Work is proportional to the ego network: every query is by the ego's id or by IN lists of its
alters (indexed columns), never a scan of the community.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import networkx as nx
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import NotFound
from circles.models import (
    Boundary,
    ExternalContact,
    LearningGoal,
    Membership,
    Question,
    Strength,
    User,
    as_utc,
    utcnow,
)
from circles.network.contacts import (
    add_external,
    external_contact,
    external_contacts,
    remove_external,
    system,
    update_external,
)
from circles.network.history import (
    Events,
    Pair,
    Round,
    first_met,
    load_events,
    member_timeline,
    one_of,
    strength,
)
from circles.network.words import explain
from graph.network import (
    RANGE_CUT,
    STRONG,
    STRONG_CUT,
    ego_metrics,
    higgins_kram,
    network_range,
    novelty,
    strong_share,
)

__all__ = ["EgoNetwork", "Round", "add_external", "ego_network", "export_graphml", "export_json",
           "external_contact", "external_contacts", "member_rounds", "my_network", "neighbours",
           "remove_external", "update_external"]

EXTERNAL_STRENGTH = 3.0  # someone you turn to for advice outside Circles is a strong tie


@dataclass
class EgoNetwork:
    graph: nx.Graph
    ego: int
    round: Round | None = None


@dataclass
class _History:
    """Everything needed to picture the ego network at any moment, loaded once."""

    ego: int
    people: dict[int, dict[str, Any]]  # id → node attributes (name, system, …)
    events: Events  # pairs among ego, alters (and second ring)
    alters: set[int]
    ring2: set[int]
    externals: list[ExternalContact]
    rounds: list[Round]
    first: dict[Pair, datetime] = field(init=False)

    def __post_init__(self) -> None:
        self.first = {p: first_met(evs) for p, evs in self.events.items()}


def system_of(organisation: str, department: str) -> str:
    """The social system a member belongs to ("Acme / Sales"); "" when they gave neither."""
    return " / ".join(part for part in (organisation, department) if part)


def _person(name: str, organisation: str, department: str) -> dict[str, Any]:
    return {"name": name, "system": system_of(organisation, department), "kind": "member",
            "organisation": organisation, "department": department}


def _visible(db: Session, ids: set[int], communities: list[int]) -> dict[int, dict[str, Any]]:
    """The active members among ``ids`` who share one of ``communities``, with what they
    show every member of it (name, organisation, department)."""
    if not ids or not communities:
        return {}
    return {uid: _person(name, org, dept) for uid, name, org, dept in db.execute(
        select(User.id, User.display_name, User.organisation, User.department).distinct()
        .join(Membership, Membership.user_id == User.id)
        .where(one_of(db, User.id, ids), Membership.community_id.in_(communities),
               User.is_active))}


def _ego_ties(db: Session, user_id: int
              ) -> tuple[Events, dict[int, dict[str, Any]], list[int]]:
    """The ego's own tie events with visible people, those people, the ego's communities."""
    communities = list(db.scalars(
        select(Membership.community_id).where(Membership.user_id == user_id)))
    events = load_events(db, ego=user_id)
    visible = _visible(db, {b if a == user_id else a for a, b in events}, communities)
    mine = {p: e for p, e in events.items() if (p[1] if p[0] == user_id else p[0]) in visible}
    return mine, visible, communities


def neighbours(db: Session, user_id: int) -> dict[int, float]:
    """The member's alters among members (no external contacts) with today's tie strength."""
    events, _, _ = _ego_ties(db, user_id)
    return {(b if a == user_id else a): strength(e) for (a, b), e in events.items()}


def _load(db: Session, user_id: int, *, second_ring: bool, include_external: bool) -> _History:
    ego = db.get(User, user_id)
    if ego is None:
        raise NotFound("member")
    events, people, communities = _ego_ties(db, user_id)
    people[user_id] = _person(ego.display_name, ego.organisation, ego.department)
    alters = set(people) - {user_id}
    ring2: set[int] = set()
    around = load_events(db, among=sorted(alters), touching=second_ring)
    if second_ring:
        outside = {x for p in around for x in p if x not in alters and x != user_id}
        outer = _visible(db, outside, communities)
        people.update(outer)
        ring2 = set(outer)
    for p, evs in around.items():
        if user_id not in p and all(x in alters or x in ring2 for x in p):
            events[p] = evs
    externals = external_contacts(db, user_id) if include_external else []
    rounds = member_timeline(db, user_id)
    return _History(user_id, people, events, alters, ring2, externals, rounds)


def _how(evs: list[tuple[datetime, str]]) -> str:
    """The history of one of the ego's ties in words, for the graph's hover text."""
    kinds = Counter(kind for _moment, kind in evs)
    parts = []
    if kinds["declared"] or kinds["imported"]:
        parts.append(_("knew each other before Circles"))
    if kinds["introduction"]:
        parts.append(_("introduced through a mutual contact"))
    if kinds["circle"]:
        parts.append(ngettext("shared a circle", "shared %(num)d circles", kinds["circle"]))
    if kinds["session"]:
        parts.append(ngettext("%(num)d session together", "%(num)d sessions together",
                              kinds["session"]))
    if kinds["feedback"]:
        parts.append(ngettext("%(num)d feedback exchange", "%(num)d feedback exchanges",
                              kinds["feedback"]))
    first = first_met(evs).date().isoformat()
    said = "; ".join(parts) or _("connected")
    return str(_("%(how)s (first met %(date)s).", how=f"{said[0].upper()}{said[1:]}", date=first))


def _is_new(moment: datetime, current: Round) -> bool:
    return current.at is not None and current.contains(moment)


def _picture(h: _History, before: datetime | None, current: Round, *, ring2: bool = False,
             alter_ties: bool = True, describe: bool = True) -> EgoNetwork:
    """The ego network from the events before ``before`` (all when None); ``new`` marks
    what was first met during ``current``. Without ``alter_ties`` only the star around the
    ego is built, without ``describe`` no ``how`` text (enough for range and tie strength)."""
    g = nx.Graph()

    def add_member(uid: int, ring: int, new: bool) -> None:
        g.add_node(uid, **h.people[uid], new=new, ring=ring)

    add_member(h.ego, 0, False)
    later: list[tuple[int, int, list[tuple[datetime, str]]]] = []
    for (a, b), all_evs in h.events.items():
        met = h.first[(a, b)]
        if before is not None and met >= before:
            continue
        evs = all_evs if before is None else [e for e in all_evs if e[0] < before]
        if h.ego in (a, b):
            other = b if a == h.ego else a
            add_member(other, 1, _is_new(met, current))
            g.add_edge(h.ego, other, strength=strength(evs), first_met=met.isoformat(),
                       new=_is_new(met, current), how=_how(evs) if describe else "")
        elif alter_ties or ring2:
            later.append((a, b, evs))
    for a, b, evs in later:  # ties among alters (and to the second ring) once alters are known
        present = [x in g and x in h.alters for x in (a, b)]
        if all(present):
            if not alter_ties:
                continue
        elif ring2 and any(present) and (a in h.ring2 or b in h.ring2):
            outer = b if present[0] else a
            if outer not in g:
                add_member(outer, 2, False)
        else:
            continue
        met = h.first[(a, b)]
        g.add_edge(a, b, strength=strength(evs), first_met=met.isoformat(),
                   new=_is_new(met, current))
    for contact in h.externals:
        added = as_utc(contact.created_at)
        if before is not None and added >= before:
            continue
        node = f"x{contact.id}"
        g.add_node(node, name=contact.name, system=system(contact), kind="external",
                   organisation=contact.context_name, department="",
                   new=_is_new(added, current), ring=1,
                   support=",".join(contact.support), note=contact.note)
        g.add_edge(h.ego, node, strength=EXTERNAL_STRENGTH, first_met=added.isoformat(),
                   new=_is_new(added, current), how=_("Outside Circles (only you see this)."))
    return EgoNetwork(g, h.ego, current)


def ego_network(db: Session, user_id: int, *, as_of: datetime | None = None,
                second_ring: bool = False, include_external: bool = True) -> EgoNetwork:
    """The member's network now, or as it stood at ``as_of`` (nothing created after it)."""
    h = _load(db, user_id, second_ring=second_ring, include_external=include_external)
    if as_of is None:
        return _picture(h, None, h.rounds[-1], ring2=second_ring)
    moment = as_utc(as_of)
    current = next(r for r in h.rounds if r.contains(moment))
    return _picture(h, moment + timedelta(microseconds=1), current, ring2=second_ring)


def member_rounds(db: Session, user_id: int) -> list[Round]:
    """The member's timeline: "Before Circles", one point per placement, the last one now."""
    return member_timeline(db, user_id)


def _topics(db: Session, user_id: int, alters: list[int]
            ) -> tuple[dict[str, str], dict[int, set[str]]]:
    """My needs (question and learning-goal topics: key → label) and each alter's strengths
    (minus the topics they said they cannot advise on)."""
    needs = {key: label for key, label in db.execute(
        select(Question.topic_key, Question.topic)
        .where(Question.user_id == user_id, Question.topic_key != ""))}
    needs.update((key, label) for key, label in db.execute(
        select(LearningGoal.topic_key, LearningGoal.topic).where(LearningGoal.user_id == user_id)))
    offers: dict[int, set[str]] = {}
    if alters:
        for uid, key in db.execute(select(Strength.user_id, Strength.topic_key)
                                   .where(one_of(db, Strength.user_id, alters))):
            offers.setdefault(uid, set()).add(key)
        for uid, key in db.execute(select(Boundary.user_id, Boundary.topic_key)
                                   .where(one_of(db, Boundary.user_id, alters))):
            offers.get(uid, set()).discard(key)
    return needs, offers


def _mates(h: _History, r: Round) -> set[int]:
    """Alters the ego began sharing a circle with during round ``r``."""
    if r.at is None:
        return set()
    return {b if a == h.ego else a for (a, b), evs in h.events.items() if h.ego in (a, b)
            and any(kind == "circle" and r.contains(at) for at, kind in evs)}


def _growth(h: _History, now: nx.Graph) -> list[dict[str, Any]]:
    """Size, range, new ties, novelty and Higgins–Kram position at the end of every round."""
    first = {(b if a == h.ego else a): met for (a, b), met in h.first.items() if h.ego in (a, b)}
    series: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r in h.rounds:
        g = now if r.until is None else _picture(h, r.until, r, alter_ties=False,
                                                 describe=False).graph
        alters = list(g.adj[h.ego])
        systems = {s for v in alters if (s := g.nodes[v]["system"])}
        known_before = [v for v in alters if r.at is not None and v in first and first[v] < r.at]
        range_value, strong = network_range(g, h.ego), strong_share(g, h.ego)
        mates = _mates(h, r)
        series.append({
            "round": r.number, "label": r.label,
            "at": r.at.isoformat() if r.at else None,
            "until": r.until.isoformat() if r.until else None,
            "size": len(alters), "range": range_value,
            "new_ties": sum(1 for v in alters if g.adj[h.ego][v]["new"]),
            "new_systems": sorted(systems - seen) if r.number else [],
            "circle_mates": len(mates), "novelty": novelty(mates, known_before),
            "strong_share": strong, "hk_type": higgins_kram(range_value, strong),
        })
        seen |= systems
    return series


def _node_json(g: nx.Graph, node: Any, ego: int, contacts: dict[str, ExternalContact]
               ) -> dict[str, Any]:
    data = g.nodes[node]
    out = {"id": str(node), "ego": node == ego, **{k: data[k] for k in NODE_FIELDS}}
    if node != ego and g.has_edge(ego, node):
        out["strength"], out["how"] = g.adj[ego][node]["strength"], g.adj[ego][node]["how"]
    if node in contacts:
        contact = contacts[node]
        out.update(contact_id=contact.id, context=contact.context,
                   context_name=contact.context_name, support=list(contact.support),
                   note=contact.note)
    return out


NODE_FIELDS = ("name", "system", "kind", "organisation", "department", "new", "ring")


def my_network(db: Session, user_id: int, *, second_ring: bool = False) -> dict[str, Any]:
    """Everything the member's network page shows, as JSON-able data (see the module doc).

    Keys: ``ego``, ``round`` (current), ``nodes``/``edges`` (ids as strings), ``systems``,
    ``metrics`` (key → label, value, display, explanation), ``metric_order`` (the order to
    show them in), ``growth`` (one entry per round:
    size, range, new ties, new systems, novelty, strong share, Higgins–Kram type — the path
    through the quadrant), ``hk`` (type and cut-offs), ``coverage`` (which of my topics someone
    covers, and who) and ``novelty``.
    """
    h = _load(db, user_id, second_ring=second_ring, include_external=True)
    current = h.rounds[-1]
    net = _picture(h, None, current, ring2=second_ring)
    g = net.graph
    alters = list(g.adj[user_id])
    needs, offers = _topics(db, user_id, [v for v in alters if isinstance(v, int)])
    m: dict[str, Any] = dict(ego_metrics(g, user_id, needs, offers))
    growth = _growth(h, g)
    m["new_ties"], m["novelty"] = growth[-1]["new_ties"], growth[-1]["novelty"]
    mates = growth[-1]["circle_mates"]
    covered = {key: sorted(h.people[v]["name"] for v in alters if key in offers.get(v, ()))
               for key in needs}
    contacts = {f"x{c.id}": c for c in h.externals}
    metrics = explain(
        m, round_label=current.label if current.at else "",
        externals=sum(1 for v in alters if v in contacts),
        strong=sum(1 for v in alters if g.adj[user_id][v]["strength"] >= STRONG),
        mates=mates, new_mates=round(m["novelty"] * mates),
        new_systems=growth[-1]["new_systems"],
        covered=sum(1 for names in covered.values() if names), needs=len(needs))
    return {
        "ego": user_id,
        "round": {"number": current.number, "label": current.label},
        "nodes": [_node_json(g, node, user_id, contacts) for node in g],
        "edges": [{"id": f"{u}-{v}", "source": str(u), "target": str(v),
                   "strength": d["strength"], "strong": d["strength"] >= STRONG,
                   "new": d["new"], "first_met": d["first_met"],
                   "how": d.get("how", _("They know each other."))}
                  for u, v, d in g.edges(data=True)],
        "systems": sorted({s for _, s in g.nodes(data="system") if s}),
        "metrics": metrics,
        "metric_order": list(metrics),  # simplest figure first (JSON objects come key-sorted)
        "growth": growth,
        "hk": {"type": m["hk_type"], "range": m["range"], "strong_share": m["strong_share"],
               "range_cut": RANGE_CUT, "strong_cut": STRONG_CUT,
               "explanation": metrics["hk_type"]["explanation"]},
        "coverage": {"value": m["coverage"], "explanation": metrics["coverage"]["explanation"],
                     "topics": [{"topic": label, "covered_by": covered[key][:3]}
                                for key, label in sorted(needs.items(), key=lambda kv: kv[1])]},
        "novelty": {"value": m["novelty"], "circle_mates": mates,
                    "explanation": metrics["novelty"]["explanation"]},
    }


def export_graphml(net: EgoNetwork) -> bytes:
    """The network as GraphML (UTF-8), readable by Gephi, yEd and ``networkx.read_graphml``."""
    return "\n".join(nx.generate_graphml(net.graph)).encode("utf-8")


def export_json(db: Session, user_id: int) -> dict[str, Any]:
    """The member's own network with its metrics and their private contacts, for download."""
    data = my_network(db, user_id)
    return {"format": "circles-network", "version": 1, "exported_at": utcnow().isoformat(),
            **data}
