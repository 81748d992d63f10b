"""How a community's networks widen round by round: aggregates for its facilitators only.

Nothing here names a member or gives one member's figures: every number is a count, a mean
or a percentile over the members of the community in that round (people with the member
role who had joined before the round ended; facilitators run the rounds and are not
counted). "Members who gained no new tie" is a count, not a list — who they are is
individual data, and a facilitator who wants to help can ask the whole community.
External contacts are never read.

One pass over the community's tie history (``circles.network.history``): events are swept in
time order into one graph, and each round's figures are read off at its end with the
per-ego functions of ``graph.network`` (range and strong share cost O(degree) per member).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.models import CircleSession, Membership, User, as_utc, utcnow
from circles.network.ego import system_of
from circles.network.history import (
    MAX_STRENGTH,
    WEIGHTS,
    Events,
    Pair,
    Round,
    community_starts,
    first_met,
    load_events,
    round_circles,
    timeline,
)
from graph.network import higgins_kram, network_range, strong_share

HK_TYPES = ("receptive", "traditional", "opportunistic", "entrepreneurial")
PERCENTILE = 10
#: A round's circles are counted as off to a good start when they met within this time.
EARLY = timedelta(days=14)
#: Rounds with fewer members than this show only their member count: with two or three
#: people, a mean or a count of types points straight at individuals.
MIN_REPORTED = 5


def spread(values: list[int]) -> dict[str, float]:
    """Mean and 10th percentile (the value at or below which the lowest tenth of members
    fall: numpy's "lower" method, so it is a value some member actually has)."""
    if not values:
        return {"mean": 0.0, "p10": 0.0}
    return {"mean": float(np.mean(values)),
            "p10": float(np.percentile(values, PERCENTILE, method="lower"))}


class _Sweep:
    """The community graph, advanced through its tie history cut by cut.

    Events are bucketed once by the cut they precede, so each step adds a bucket's edges in
    bulk instead of one event at a time.
    """

    def __init__(self, members: dict[int, tuple[str, datetime]], history: Events,
                 cuts: list[datetime]) -> None:
        self.g = nx.Graph()
        self.g.add_nodes_from((uid, {"system": system}) for uid, (system, _) in members.items())
        self.cuts = cuts
        self.buckets: list[dict[Pair, float]] = [defaultdict(float) for _ in range(len(cuts) + 1)]
        for p, evs in history.items():
            for at, kind in evs:
                self.buckets[bisect_right(cuts, at)][p] += WEIGHTS.get(kind, 0.0)
        self.raw: dict[Pair, float] = defaultdict(float)
        self.applied = 0  # buckets applied so far
        self._ranges: tuple[int, dict[int, int]] | None = None

    def until(self, cut: datetime | None) -> None:
        """Apply every event before ``cut`` (all when None)."""
        upto = len(self.cuts) + 1 if cut is None else self.cuts.index(cut) + 1
        for bucket in self.buckets[self.applied:upto]:
            for p, weight in bucket.items():
                self.raw[p] += weight
            self.g.add_edges_from(
                (a, b, {"strength": max(1.0, min(self.raw[(a, b)], MAX_STRENGTH))})
                for a, b in bucket)
        self.applied = max(self.applied, upto)

    def ranges(self) -> dict[int, int]:
        """Every member's range now (kept until more events are applied)."""
        if self._ranges is None or self._ranges[0] != self.applied:
            self._ranges = (self.applied, {uid: network_range(self.g, uid) for uid in self.g})
        return self._ranges[1]


def community_report(db: Session, community_id: int) -> dict[str, Any]:
    """Per round: mean and 10th percentile of new ties and of range growth, members who gained
    no new tie (a count), cross-organisation ties created, Higgins–Kram types (counts)."""
    members: dict[int, tuple[str, datetime]] = {}
    organisations: dict[int, str] = {}
    for uid, org, dept, joined in db.execute(
            select(Membership.user_id, User.organisation, User.department, Membership.joined_at)
            .join(User, User.id == Membership.user_id)
            .where(Membership.community_id == community_id, Membership.role == "member")):
        members[uid] = (system_of(org, dept), as_utc(joined))
        organisations[uid] = org
    history = {p: evs for p, evs in load_events(db, community_id=community_id).items()
               if p[0] in members and p[1] in members}  # seats of people who since left
    met = {p: first_met(evs) for p, evs in history.items()}
    starts = community_starts(db, community_id)
    rounds = [r for r in timeline(list(starts), starts) if r.at is not None]
    cuts = sorted({t for r in rounds for t in (r.at, r.until) if t is not None})
    sweep = _Sweep(members, history, cuts)
    early = met_early(db, round_circles(db, community_id))
    report = [{**_round(r, members, organisations, met, sweep), "met_early": early[r.at]}
              for r in rounds if r.at is not None]
    latest = report[-1] if report else None
    return {
        "community_id": community_id,
        "members": len(members),
        "rounds": report,
        "hk_types": (latest["hk_types"] if latest and not latest["suppressed"]
                     else dict.fromkeys(HK_TYPES, 0)),
        "hk_suppressed": bool(latest and latest["suppressed"]),
        "percentile": PERCENTILE,
        "min_reported": MIN_REPORTED,
    }


def met_early(db: Session, rounds: dict[datetime, list[int]],
              now: datetime | None = None) -> dict[datetime, dict[str, Any]]:
    """Per round (by its start): of its circles, how many met within ``EARLY`` of the start
    (a session held in the live room or confirmed afterwards); ``settled`` once that time
    is over, so a round still in its first two weeks reads "so far"."""
    now = now or utcnow()
    ids = [cid for circles in rounds.values() for cid in circles]
    first: dict[int, datetime] = {}
    if ids:
        for circle_id, starts in db.execute(
                select(CircleSession.circle_id, CircleSession.starts_at)
                .where(CircleSession.circle_id.in_(ids),
                       CircleSession.status.in_(("live", "ended")))):
            first[circle_id] = min(first.get(circle_id, as_utc(starts)), as_utc(starts))
    report = {}
    for began, circles in rounds.items():
        met = sum(1 for cid in circles if cid in first and first[cid] < began + EARLY)
        report[began] = {"circles": len(circles), "met": met,
                         "share": met / len(circles) if circles else None,
                         "settled": now >= began + EARLY}
    return report


def _round(r: Round, members: dict[int, tuple[str, datetime]], organisations: dict[int, str],
           met: dict[tuple[int, int], datetime], sweep: _Sweep) -> dict[str, Any]:
    assert r.at is not None
    present = [uid for uid, (_, joined) in members.items() if r.until is None or joined < r.until]
    sweep.until(r.at)
    before = sweep.ranges()
    sweep.until(r.until)
    after = sweep.ranges()
    new: Counter[int] = Counter()
    cross_org = 0
    for (a, b), at in met.items():
        if r.contains(at):
            new[a] += 1
            new[b] += 1
            if organisations[a] and organisations[b] and organisations[a] != organisations[b]:
                cross_org += 1
    if len(present) < MIN_REPORTED:
        return {"round": r.number, "label": r.label, "at": r.at.isoformat(),
                "until": r.until.isoformat() if r.until else None, "members": len(present),
                "suppressed": True}
    types = Counter(higgins_kram(after[uid], strong_share(sweep.g, uid)) for uid in present)
    return {
        "suppressed": False,
        "round": r.number, "label": r.label, "at": r.at.isoformat(),
        "until": r.until.isoformat() if r.until else None,
        "members": len(present),
        "new_ties": spread([new[uid] for uid in present]),
        "range_growth": spread([after[uid] - before[uid] for uid in present]),
        "no_new_tie": sum(1 for uid in present if not new[uid]),
        "ties_created": sum(1 for at in met.values() if r.contains(at)),
        "cross_org_ties": cross_org,
        "hk_types": {kind: types[kind] for kind in HK_TYPES},
    }
