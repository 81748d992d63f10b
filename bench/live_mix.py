"""What the load benchmark's members send: the narrow mix of the first benchmark, or a whole
live session as a room of 8 goes through it (docs/benchmarks.md, "The session mix").

The session mix walks each room through its phases over the run's duration, in the shares a
90-minute session gives them (``PLAN``); within a phase the members send what that phase
takes (``WEIGHTS``), and throughout it they raise and lower hands, toggle "ready", run the
timer and autosave the shared note from the version they last saw — so saves race and some
are refused, as they are in a room. The facilitator advances when a stage's time is up.
Every room's state (phase, stage, agenda, contributions, note version) is read from the
changes its members apply: a member only sends what its room would let it send, as far as
it knows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

#: Minutes of a 90-minute session per phase (the product's guide to running a session;
#: review has no stages in a fresh world, where no commitment is open yet, so it is passed).
PLAN: dict[str, float] = {"checkin": 15, "review": 0, "agenda": 10, "focus": 40,
                          "feedback": 10, "commitments": 8, "close": 7}
#: What a member sends in each phase, by weight (relative within the phase's row, beside
#: ``ALWAYS``). The weights follow what a member does there: check-in turns and closing
#: words are spoken contributions; the agenda is built by adding, retitling, timeboxing and
#: moving items; focus rounds are contributions, with the focus member marking what helped.
WEIGHTS: dict[str, dict[str, float]] = {
    "checkin": {"contribute": 40},
    "agenda": {"agenda_add": 12, "agenda_rename": 10, "agenda_timebox": 8,
               "agenda_reorder": 8, "agenda_remove": 2},
    "focus": {"contribute": 36, "contribution_edit": 4, "helped": 8},
    "feedback": {"feedback": 40},
    "commitments": {"commit": 30, "commit_withdraw": 4},
    "close": {"contribute": 40},
}
#: Sent in every phase: hands, ready flags and shared-note autosaves (the note-taker saves
#: most); the timekeeper runs the timer, the facilitator changes the prompt in check-in.
ALWAYS: dict[str, float] = {"hand": 8, "ready": 5, "note": 4}
NOTE_TAKER_NOTE = 30
TIMEKEEPER_TIMER = 20
FACILITATOR_PROMPT = 3
KINDS = {"checkin": ("checkin",), "focus": ("question", "story", "resource", "idea"),
         "close": ("appreciation", "reflection")}

Send = tuple[str, dict[str, Any]]  # event name, fields (without op_id)


@dataclass
class RoomState:
    """One room as its members have applied it (the first member to apply a version
    updates it for all)."""

    members: list[int]
    duration: float = 60.0
    version: int = 0
    phase: str = ""
    stage_id: int | None = None
    stage_focus: int | None = None
    stage_count: int = 0  # stages of the current phase
    stage_index: int = 0
    stage_since: float = 0.0
    phase_since: float = 0.0
    timer: str = "idle"
    agenda: list[tuple[int, int]] = field(default_factory=list)  # (item id, author)
    contributions: list[tuple[int, int]] = field(default_factory=list)  # current stage's
    note_version: int = 0
    hands: set[int] = field(default_factory=set)
    ready: set[int] = field(default_factory=set)
    commitments: dict[int, list[int]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic  # the profile runs on a clock of its own

    def apply(self, version: int, change: dict[str, Any]) -> None:
        if version <= self.version:
            return
        self.version = version
        kind = change.get("type")
        if kind in ("started", "advanced"):
            self._phases(change["phases"])
        elif kind == "agenda":
            self.agenda = [(i["id"], i["author_id"]) for i in change["agenda"]]
        elif kind == "contribution":
            c = change["contribution"]
            if c["stage_id"] == self.stage_id and all(c["id"] != i for i, _ in
                                                      self.contributions):
                self.contributions.append((c["id"], c["author_id"]))
        elif kind == "note":
            self.note_version = max(self.note_version, int(change["note"]["version"]))
        elif kind == "hands":
            self.hands = set(change["hands"])
        elif kind == "ready":
            (self.ready.add if change["ready"] else self.ready.discard)(change["user_id"])
        elif kind == "timer":
            self.timer = change["timer"]["state"]
        elif kind == "commitment":
            c = change["commitment"]
            mine = self.commitments.setdefault(c["user_id"], [])
            if c["id"] not in mine:
                mine.append(c["id"])
        elif kind == "commitment_withdrawn":
            for mine in self.commitments.values():
                if change["commitment_id"] in mine:
                    mine.remove(change["commitment_id"])

    def _phases(self, phases: list[dict[str, Any]]) -> None:
        active = next((p for p in phases if p["status"] == "active"), None)
        if active is None:
            return
        stage = next((s for s in active["stages"] if s["status"] == "active"), None)
        now = self.clock()
        if active["kind"] != self.phase:
            self.phase, self.phase_since = active["kind"], now
        if stage is not None and stage["id"] != self.stage_id:
            self.stage_id, self.stage_focus = stage["id"], stage["focus_user_id"]
            self.stage_index, self.stage_since = active["stages"].index(stage), now
            self.contributions, self.timer = [], "idle"
        self.stage_count = len(active["stages"])
        self.ready.clear()

    def stage_due(self) -> float:
        """When the current stage's share of the run is over (monotonic time)."""
        minutes = sum(PLAN.values())
        phase_seconds = self.duration * PLAN.get(self.phase, 0) / minutes
        per_stage = phase_seconds / max(1, self.stage_count)
        return self.stage_since + per_stage


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    names = [n for n, w in weights.items() if w > 0]
    return rng.choices(names, [weights[n] for n in names])[0]


class SessionMix:
    """The events one member sends (seat 0 facilitates, 1 keeps time, 2 takes notes)."""

    def __init__(self, room: RoomState, user_id: int, seat: int,
                 text: Callable[[random.Random], str]) -> None:
        self.room, self.user_id, self.seat, self.text = room, user_id, seat, text

    def next(self, rng: random.Random, token: str) -> tuple[str, Send]:
        """(kind label, (event, fields)) for this member's next change."""
        room = self.room
        if self.seat == 0 and room.phase and room.phase != "close" and \
                room.clock() >= room.stage_due():
            return "advance", ("live:advance", {})
        weights = dict(ALWAYS)
        weights.update(WEIGHTS.get(room.phase, {}))
        if self.seat == 2:
            weights["note"] = NOTE_TAKER_NOTE
        if self.seat == 1 and room.stage_id is not None:
            weights["timer"] = TIMEKEEPER_TIMER
        if self.seat == 0 and room.phase == "checkin":
            weights["prompt"] = FACILITATOR_PROMPT
        if room.stage_focus != self.user_id:
            weights.pop("helped", None)
        for _ in range(4):  # a choice this member cannot make now gives way to another
            kind = weighted(rng, weights)
            send = getattr(self, kind)(rng, token)
            if send is not None:
                return kind, send
            weights.pop(kind, None)
            if not weights:
                break
        return "hand", self.hand(rng, token)

    # --- one method per kind, returning None when the room does not allow it now -----------

    def contribute(self, rng: random.Random, token: str) -> Send | None:
        kinds = KINDS.get(self.room.phase)
        if not kinds:
            return None
        return "live:contribute", {"kind": rng.choice(kinds), "text": f"{token} {self.text(rng)}"}

    def contribution_edit(self, rng: random.Random, token: str) -> Send | None:
        mine = [i for i, author in self.room.contributions if author == self.user_id]
        if not mine:
            return None
        return "live:contribution_edit", {"contribution_id": rng.choice(mine),
                                          "text": f"{token} {self.text(rng)}"}

    def helped(self, rng: random.Random, _token: str) -> Send | None:
        theirs = [i for i, author in self.room.contributions if author != self.user_id]
        if not theirs:
            return None
        return "live:helped", {"contribution_id": rng.choice(theirs),
                               "helped": rng.random() < 0.8}

    def hand(self, _rng: random.Random, _token: str) -> Send:
        return "live:hand", {"raised": self.user_id not in self.room.hands}

    def ready(self, _rng: random.Random, _token: str) -> Send:
        return "live:ready", {"ready": self.user_id not in self.room.ready}

    def note(self, rng: random.Random, token: str) -> Send:
        return "live:note", {"private": False, "base_version": self.room.note_version,
                             "body": f"{token} {self.text(rng)}\n" * rng.randint(1, 4)}

    def timer(self, rng: random.Random, _token: str) -> Send:
        state = self.room.timer
        if state == "idle":
            return "live:timer", {"action": "start", "minutes": rng.randint(3, 10)}
        if state == "paused":
            return "live:timer", {"action": "resume"}
        action = rng.choice(("extend", "extend", "pause"))
        return "live:timer", {"action": action, **({"minutes": 1} if action == "extend" else {})}

    def prompt(self, rng: random.Random, token: str) -> Send:
        return "live:prompt", {"prompt": f"{token} {self.text(rng)[:120]}"}

    def agenda_add(self, rng: random.Random, token: str) -> Send | None:
        if sum(author == self.user_id for _, author in self.room.agenda) >= 3:
            return None
        return "live:agenda_add", {"title": f"{token} {self.text(rng)[:120]}",
                                   "timebox_minutes": rng.randint(5, 20)}

    def agenda_rename(self, rng: random.Random, token: str) -> Send | None:
        mine = [i for i, author in self.room.agenda if author == self.user_id]
        if not mine:
            return None
        return "live:agenda_rename", {"item_id": rng.choice(mine),
                                      "title": f"{token} {self.text(rng)[:150]}"}

    def agenda_remove(self, rng: random.Random, _token: str) -> Send | None:
        mine = [i for i, author in self.room.agenda if author == self.user_id]
        if len(mine) < 2:  # keep one's own first item: it is one's focus round
            return None
        return "live:agenda_remove", {"item_id": mine[-1]}

    def agenda_timebox(self, rng: random.Random, _token: str) -> Send | None:
        if not self.room.agenda:
            return None
        return "live:agenda_timebox", {"item_id": rng.choice(self.room.agenda)[0],
                                       "timebox_minutes": rng.randint(5, 20)}

    def agenda_reorder(self, rng: random.Random, _token: str) -> Send | None:
        ids = [i for i, _ in self.room.agenda]
        if len(ids) < 2:
            return None
        a, b = rng.sample(range(len(ids)), 2)
        ids[a], ids[b] = ids[b], ids[a]
        return "live:agenda_reorder", {"item_ids": ids}

    def feedback(self, rng: random.Random, token: str) -> Send:
        other = rng.choice([m for m in self.room.members if m != self.user_id])
        return "live:feedback", {"receiver_id": other, "strength": f"{token} {self.text(rng)}",
                                 "suggestion": self.text(rng)[:200]}

    def commit(self, rng: random.Random, token: str) -> Send:
        due = date.today() + timedelta(days=rng.randint(7, 28))
        return "live:commit", {"text": f"{token} {self.text(rng)[:300]}",
                               "due_on": due.isoformat()}

    def commit_withdraw(self, _rng: random.Random, _token: str) -> Send | None:
        mine = self.room.commitments.get(self.user_id)
        if not mine or len(mine) < 2:
            return None
        return "live:commit_withdraw", {"commitment_id": mine[-1]}


def narrow(rng: random.Random, token: str, item_id: int | None, agenda_share: float,
           text: Callable[[random.Random], str]) -> tuple[str, Send]:
    """The first benchmark's mix: a check-in contribution, or (``agenda_share`` of the time)
    a rename of one's own agenda item."""
    if item_id is not None and rng.random() < agenda_share:
        return "agenda_rename", ("live:agenda_rename", {
            "item_id": item_id, "title": f"{token} {text(rng)[:150]}"})
    return "contribute", ("live:contribute", {"kind": "checkin", "text": f"{token} {text(rng)}"})
