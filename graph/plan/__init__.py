"""Plan circles over one or more rounds: pair utilities, coverage of needs, and hard rules.

:func:`plan_circles` is the engine behind circle formation in the product. It maximises

    Σ pair utilities inside groups  +  cover_weight · Σ coverage of each group
        − balance / A · Σ_rounds (heaviest needs nobody in the member's group answers)²

where a group's coverage counts each member's needs ``(topic, weight)`` once some group-mate
gives that topic, with diminishing returns for more givers (``1, 1 + r, 1 + r², …``): the
objective pays for answering a question nobody else in the group can, not for a third answer
to the same one; A counts the members with a need someone gives, and the square makes an
answer worth more in the round that answers fewest (``balance``, 0 by default). The rules,
from the one that gives way last:

1. ``forbidden`` pairs never share a group;
2. every group shares a window (``windows``: the slots at which each member could start a
   meeting);
3. no pair meets twice — across the rounds of the plan, and never again when listed in
   ``met`` (unless ``relax_repeats``: then it gives way before anyone sits a round out).

With ``set_aside``, a member who fits no group of a round without breaking a rule sits that
round out (callers tell them why).

The search is simulated annealing over moves and swaps (compiled in
:mod:`graph.plan.kernel`), each rule break costing more than any gain in utility, so a break
survives only where the search found no way around it; the result lists every break left,
and callers decide what to do with them.

Modules: :mod:`~graph.plan.solve` (:func:`plan_circles`), :mod:`~graph.plan.chains` (the
chains, side by side and paced by the clock), :mod:`~graph.plan.greedy` (the baseline),
:mod:`~graph.plan.rules` (checked inputs and rule breaks), :mod:`~graph.plan.coverage` (needs
and gives as arrays), :mod:`~graph.plan.state` (a plan's sums, built and valued from scratch)
and :mod:`~graph.plan.kernel` (the compiled steps).
"""

from graph.plan.greedy import greedy_plan
from graph.plan.rules import breaks, columns
from graph.plan.solve import Plan, plan_circles

__all__ = ["Plan", "breaks", "columns", "greedy_plan", "plan_circles"]
