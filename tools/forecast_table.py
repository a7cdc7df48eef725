#!/usr/bin/env python3
"""`stormglass forecast --model auto` beside the peers of tools/forecast_peers.py, on the same targets, for
every trace of a folder at 5-minute, 30-minute and 1-hour resolution. Prints the README's Markdown table.

    tools/.venv/bin/python tools/forecast_table.py [--traces traces/nab] [--stormglass .build/release/stormglass]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# One and four steps ahead at each coarse resolution; the 5-minute rows keep the horizons of the first table.
RESOLUTIONS = [(None, "5m,30m,2h", "5 min"), ("30m", "30m,2h", "30 min"), ("1h", "1h,4h", "1 hour")]


def mase_rows(text, names):
    """{(model, horizon): MASE} from a table whose rows start with a model name and a horizon."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in names:
            m = re.search(r"MASE ([0-9.]+)", line)
            if m:   # the peers' lines
                out[(parts[0], parts[1])] = float(m.group(1))
            elif len(parts) >= 7:   # stormglass's table: model horizon forecasts accuracy MAPE sMAPE MASE …
                try:
                    out[(parts[0], parts[1])] = float(parts[6])
                except ValueError:
                    pass
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--traces", default="traces/nab")
    p.add_argument("--stormglass", default=".build/release/stormglass")
    p.add_argument("--data", default="5 min,30 min,1 hour", help="which resolutions, by their labels")
    a = p.parse_args()
    chosen = [r for r in RESOLUTIONS if r[2] in a.data.split(",")]
    files = sorted(f for f in os.listdir(a.traces) if f.endswith(".csv"))
    print("| trace | data | horizon | `auto` | statsmodels Holt-Winters | statsforecast MSTL+AutoETS | auto vs best peer |")
    print("|---|---|---|---|---|---|---|")
    within = total = 0
    for f in files:
        path = os.path.join(a.traces, f)
        for resample, horizons, label in chosen:
            extra = ["--resample", resample] if resample else []
            ours = subprocess.run([a.stormglass, "forecast", "--csv", path, "--horizon", horizons, "--model", "auto"] + extra,
                                  capture_output=True, text=True)
            if ours.returncode != 0:
                sys.exit(ours.stderr)
            peers = subprocess.run([sys.executable, os.path.join(HERE, "forecast_peers.py"), path, "--horizon", horizons] + extra,
                                   capture_output=True, text=True)
            if peers.returncode != 0:
                sys.exit(peers.stderr)
            s = mase_rows(ours.stdout, {"auto"})
            q = mase_rows(peers.stdout, {"holt-winters", "mstl-ets"})
            for h in horizons.split(","):
                auto, hw, ms = s.get(("auto", h)), q.get(("holt-winters", h)), q.get(("mstl-ets", h))
                peers_here = [x for x in (hw, ms) if x is not None]
                best = min(peers_here) if peers_here else None
                verdict = "–"
                if auto is not None and best:
                    ratio = auto / best - 1
                    total += 1
                    if ratio <= 0.02:
                        within += 1
                    verdict = f"{ratio * 100:+.1f} %"
                cell = lambda x: "–" if x is None else (f"**{x:.3f}**" if best is not None and x <= min(best, auto or x) else f"{x:.3f}")
                print(f"| {f[:-4]} | {label} | {h} | {cell(auto)} | {cell(hw)} | {cell(ms)} | {verdict} |")
            sys.stdout.flush()
    print(f"\n`auto` is best or within 2 % of the best peer on {within} of {total} trace × resolution × horizon cells.")


if __name__ == "__main__":
    main()
