"""rounds: two servers measured in interleaved rounds, their medians, and
the ratio of the two estimated two ways.

Why interleaved: on a shared machine a slow spell hits whichever server
runs during it; flipping the order every round (a, b, b, a, ...) spreads
that over both.  Why two estimators: the ratio of the medians, and the
median of the per-round ratios ("paired": the two ran back to back).  When
they disagree the machine was noisy, and a target met by one of them only
is not met (stats.verdict).

A result is wrk.parse()'s dict, plus whatever measured() added.
"""

from . import procfs, stats


def measured(run, watch):
    """Call run() (it returns a wrk result) while counting the CPU time of
    groups of processes; returns the result with, for each key of watch
    ({key: [pid, ...]}), result[key] = that group's user+system CPU
    microseconds per completed request (0.0 when none completed).

    Why per request: req/s follows whatever else the machine runs; the
    CPU a server spent per request follows its own code.
    """
    before = {k: procfs.cpu_seconds(p) for k, p in watch.items()}
    r = run()
    for k, pids in watch.items():
        cpu = procfs.cpu_seconds(pids) - before[k]
        r[k] = cpu * 1e6 / r["requests"] if r["requests"] else 0.0
    return r


def interleave(cases, servers, rounds, run, on_result=None, skip=None):
    """rounds x cases x servers calls of run(case, server) -> result.

    servers: the two (or more) names, in the first round's order; the
    order flips every round.  on_result(rnd, case, server, result) is
    called after each run (progress lines).  skip(case, server) true: that
    server does not run that case (a reference that means nothing there).
    Returns {case: {server: [result of round 1, round 2, ...]}}, without
    the skipped servers.
    """
    def runs(c, s):
        return skip is None or not skip(c, s)
    out = {c: {s: [] for s in servers if runs(c, s)} for c in cases}
    for rnd in range(rounds):
        order = servers if rnd % 2 == 0 else servers[::-1]
        for c in cases:
            for s in [s for s in order if runs(c, s)]:
                r = run(c, s)
                out[c][s].append(r)
                if on_result is not None:
                    on_result(rnd, c, s, r)
    return out


def summarize(runs, pair, metrics):
    """Medians of interleave()'s runs and the paired ratios of pair.

    pair: (a, b), the servers whose ratio a/b is wanted.  metrics: [(key,
    src, scale)]: the median of result[src] times scale is stored as key.
    Returns {case: {server: {key: median, ..., "errors": sum over rounds,
    "rps_all": [req/s of each round]}, "paired": {key: median over rounds
    of a/b within the round, or None if b was always 0}}}.
    """
    a, b = pair
    out = {}
    for c, per in runs.items():
        out[c] = {"paired": {}}
        for s, rs in per.items():
            out[c][s] = {key: stats.median([r[src] for r in rs]) * scale
                         for key, src, scale in metrics}
            out[c][s]["errors"] = sum(r["errors"] for r in rs)
            out[c][s]["rps_all"] = [r["rps"] for r in rs]
        for key, src, _ in metrics:
            pairs = [stats.ratio(x[src], y[src]) for x, y in
                     zip(per[a], per[b])]
            pairs = [p for p in pairs if p is not None]
            out[c]["paired"][key] = stats.median(pairs) if pairs else None
    return out


def estimates(case_summary, pair, key):
    """[("of medians", a/b), ("paired", median of per-round a/b)] for one
    case of summarize()'s output: what stats.verdict() takes."""
    a, b = pair
    return [("of medians", stats.ratio(case_summary[a][key],
                                       case_summary[b][key])),
            ("paired", case_summary["paired"][key])]


def round_line(prefix, case_summary, pair):
    """'- prefix, a / b req/s: x / y (r), ...; paired median r': every
    round's two rates, so the spread behind a median is visible."""
    a, b = pair
    xs, ys = case_summary[a]["rps_all"], case_summary[b]["rps_all"]
    cells = ["{:,.0f} / {:,.0f} ({})".format(
        x, y, stats.fmt_ratio(stats.ratio(x, y))) for x, y in zip(xs, ys)]
    return "- %s, %s / %s req/s: %s; paired median %s" % (
        prefix, a, b, ", ".join(cells),
        stats.fmt_ratio(case_summary["paired"]["rps"]))
