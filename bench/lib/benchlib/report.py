"""report: markdown tables, and one script's section in docs/BENCHMARKS.md.

Why sections: several scripts record into one file; each owns the section
under its own `## ` title and --record replaces only that section, so
re-running one benchmark never erases another's results.
"""

import os

HEADER = """# Benchmarks

Numbers, not adjectives (STYLE.md rule 10).  A section named after a
script's comparison is written by that script in `bench/` run with
`--record`: it replaces its own section and leaves the others alone, and
says when, on what machine, with which versions and by which exact command
it was measured.  Sections whose title ends in "analysis" are written by
hand: what the recorded numbers and profiles mean, with the commands of any
extra experiment.  See bench/README.md for the method.
"""


def table(headers, rows, align=None):
    """A GitHub markdown table.  rows: lists of cells (converted with str).

    align: one of 'l'/'r' per column (default: first left, others right).
    """
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    cells = [[str(c) for c in r] for r in rows]
    width = [max([len(h)] + [len(r[i]) for r in cells])
             for i, h in enumerate(headers)]

    def line(vals):
        out = []
        for v, w, a in zip(vals, width, align):
            out.append(v.ljust(w) if a == "l" else v.rjust(w))
        return "| " + " | ".join(out) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else
                         ("-" * (w + 2)) for w, a in zip(width, align)) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in cells])


def replace_section(text, title, body):
    """text with the section `## title` replaced by body (appended when
    absent).  A section runs until the next `## ` heading.  body must not
    contain a `## ` heading (use ### inside)."""
    head = "## " + title
    lines = text.splitlines()
    new = [head, ""] + body.rstrip("\n").splitlines() + [""]
    try:
        start = lines.index(head)
    except ValueError:
        if lines and lines[-1].strip():
            lines.append("")
        return "\n".join(lines + new) + "\n"
    end = start + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    return "\n".join(lines[:start] + new + lines[end:]) + "\n"


def record(path, title, body):
    """Write body as section `title` of the markdown file at path (created
    with HEADER if missing), atomically through a temp file + rename."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = HEADER
    text = replace_section(text, title, body)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
