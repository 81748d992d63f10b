"""Names for circles formation forms: a pleasant word, the same for the same run, seed and
round, and never the name of another circle still open in the community."""

from __future__ import annotations

import random
from collections.abc import Iterable

WORDS = (
    "Alder", "Aspen", "Beacon", "Birch", "Bramble", "Cedar", "Clover", "Cobalt", "Compass",
    "Driftwood", "Elm", "Ember", "Fern", "Fjord", "Granite", "Harbour", "Hazel", "Heron",
    "Indigo", "Juniper", "Kestrel", "Lantern", "Larch", "Marigold", "Meadow", "Orchard",
    "Pebble", "Quartz", "Rowan", "Saffron", "Sorrel", "Thistle", "Tideline", "Vale",
    "Willow", "Wren", "Yarrow", "Maple", "Lark", "Summit",
)
NAME_MAX = 80


def fresh_names(count: int, *, seed: str, taken: Iterable[str]) -> list[str]:
    """``count`` names such as "Cedar circle", in an order fixed by ``seed``, none of them in
    ``taken`` (compared without case); past the word list, "Cedar circle 2" and so on."""
    order = random.Random(f"circle-names:{seed}").sample(WORDS, len(WORDS))
    used = {name.casefold() for name in taken}
    names: list[str] = []
    lap = 1
    while len(names) < count:
        for word in order:
            name = f"{word} circle" if lap == 1 else f"{word} circle {lap}"
            if name.casefold() not in used:
                used.add(name.casefold())
                names.append(name)
                if len(names) == count:
                    break
        lap += 1
    return names
