"""Draws throughput against backlog size from target/bench-backlog.json (what
scripts/bench-backlog wrote) as an SVG, for docs/performance.md:

    python3 scripts/plot_backlog.py [target/bench-backlog.json] [docs/performance-backlog.svg]

One line per setup and figure (handled/s: every mail committed; mails/s: every
acknowledgement sent); the backlog size on a log scale. The last run of each
setup and size counts."""

import json
import math
import sys

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 360, 70, 190, 30, 50
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def short(name):
    """A legend label that fits: the setup's first part and the figure."""
    setup, figure = name.split(": ", 1)
    return f"{setup.split('+')[0]}: {figure}"


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "target/bench-backlog.json"
    target = sys.argv[2] if len(sys.argv) > 2 else "docs/performance-backlog.svg"
    runs = {}
    for line in open(source):
        if line.strip():
            run = json.loads(line)
            runs[(run["setup"], run["backlog"])] = run
    series = {}
    for (setup, backlog), run in sorted(runs.items()):
        for figure in ("handled_per_s", "mails_per_s"):
            if run.get(figure):
                series.setdefault(f"{setup}: {figure.replace('_per_s', '/s')}", []).append((backlog, run[figure]))
    sizes = sorted({b for (_, b) in runs})
    top = max(v for points in series.values() for _, v in points) * 1.15
    lo, hi = math.log10(min(sizes)), math.log10(max(sizes))
    hi = hi if hi > lo else lo + 1

    def x(b):
        return LEFT + (math.log10(b) - lo) / (hi - lo) * (W - LEFT - RIGHT)

    def y(v):
        return H - BOTTOM - v / top * (H - TOP - BOTTOM)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="black"/>',
           f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" stroke="black"/>',
           f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 12}" text-anchor="middle">backlog (mails, log scale)</text>',
           f'<text x="16" y="{(TOP + H - BOTTOM) / 2}" transform="rotate(-90 16 {(TOP + H - BOTTOM) / 2})" text-anchor="middle">mails per second</text>']
    for b in sizes:
        out.append(f'<text x="{x(b):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{b:,}</text>')
    step = 10 ** math.floor(math.log10(top / 2))
    step *= 5 if top / step > 10 else 1
    v = 0
    while v <= top:
        out.append(f'<line x1="{LEFT}" y1="{y(v):.1f}" x2="{W - RIGHT}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        v += step
    for i, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{x(b):.1f},{y(v):.1f}" for b, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for b, v in points:
            out.append(f'<circle cx="{x(b):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
        ly = TOP + 14 + i * 16
        out.append(f'<rect x="{W - RIGHT + 10}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{W - RIGHT + 24}" y="{ly + 1}">{short(name)}</text>')
    out.append("</svg>")
    with open(target, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
