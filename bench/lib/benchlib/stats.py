"""stats: medians of repeated rounds, ratios, and target verdicts.

Why medians: the machine is shared, so one round can be hit by someone
else's compile; the median of interleaved rounds ignores one bad round on
either side.
"""


def median(values):
    """Median of a non-empty list of numbers (mean of the middle two)."""
    v = sorted(values)
    if not v:
        raise ValueError("median of nothing")
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def ratio(a, b):
    """a / b, or None when b is zero (shown as n/a)."""
    return a / b if b else None


def fmt_ratio(r):
    return "n/a" if r is None else "%.2fx" % r


def verdict(name, ratios, goal, higher_is_better=True):
    """One target line, PASS only when every estimate reaches the goal.

    ratios: [(label, ratio)], e.g. [("of medians", 1.21), ("paired",
    0.86)]; a ratio of None never passes.  Why several: on a noisy machine
    the ratio of the medians and the median of per-round ratios can
    disagree, and a target met by one estimator only is not met.  A MISS
    says by how much the worst estimate falls short, in percent of the
    goal.  Returns (passed, line).
    """
    op = ">=" if higher_is_better else "<="
    shown, worst = [], None
    for label, r in ratios:
        shown.append("n/a %s" % label if r is None else
                     "%.2fx %s" % (r, label))
        if r is None:
            worst = float("inf")
            continue
        short = (goal - r if higher_is_better else r - goal) / goal
        worst = short if worst is None else max(worst, short)
    ok = worst is not None and worst <= 0
    line = "%s %s: %s (goal %s %.2fx)" % ("PASS" if ok else "MISS", name,
                                          ", ".join(shown), op, goal)
    if not ok and worst is not None and worst != float("inf"):
        line += ", missed by %.0f%%" % (worst * 100)
    return ok, line
