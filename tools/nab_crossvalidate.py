#!/usr/bin/env python3
"""Cross-validated NAB score of `stormglass detect` over a grid of settings (the threshold, and for the context
method the spatial tolerance).

The corpus's categories are split in two halves; the setting is chosen on one half (per profile, as NAB's
optimiser does) and scored on the other, and the reverse. The held-out figure is the two halves' scores
combined as NAB normalises (sums of raw, null and perfect scores over the files). Standard library only.

    tools/nab_crossvalidate.py .build/release/stormglass traces/nab-corpus --method context \
        --grid 0.6,0.65,0.7,0.75,0.8,0.85,0.9 --spatial none,0.05
"""
import argparse
import json
import os
import subprocess

HALVES = [
    {"realAWSCloudwatch", "realAdExchange", "artificialNoAnomaly"},
    {"realTweets", "realKnownCause", "realTraffic", "artificialWithAnomaly"},
]
PROFILES = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]


def run(binary, corpus, method, threshold, spatial):
    """Per file name: {profile: (raw, null, perfect)}."""
    labels = os.path.join(corpus, "anomaly_windows.json")
    extra = ["--spatial-tolerance", spatial] if spatial != "none" else []
    out = subprocess.run([binary, "detect", "--csv", corpus, "--score", labels, "--method", method,
                          "--threshold", str(threshold), "--format", "json"] + extra, check=True, capture_output=True, text=True).stdout
    files = {}
    for f in json.loads(out)["files"]:
        files[os.path.basename(f["file"])] = {s["profile"]: (s["raw"], s["null"], s["perfect"]) for s in f["nab"]}
    return files


def normalised(files, names, profile):
    raw = sum(files[n][profile][0] for n in names)
    null = sum(files[n][profile][1] for n in names)
    perfect = sum(files[n][profile][2] for n in names)
    return 100 * (raw - null) / (perfect - null)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("corpus")
    p.add_argument("--method", default="context")
    p.add_argument("--grid", default="0.6,0.65,0.7,0.75,0.8,0.85,0.9", help="thresholds")
    p.add_argument("--spatial", default="none", help="spatial tolerances (context method), or none")
    a = p.parse_args()
    with open(os.path.join(a.corpus, "anomaly_windows.json")) as f:
        category = {os.path.basename(k): k.split("/")[0] for k in json.load(f)}
    halves = [[n for n, c in category.items() if c in h] for h in HALVES]
    grid = [(float(x), sp) for sp in a.spatial.split(",") for x in a.grid.split(",")]
    runs = {t: run(a.binary, a.corpus, a.method, *t) for t in grid}
    label = lambda t: f"{t[0]:.3f}" + ("" if t[1] == "none" else f" spatial {t[1]}")

    print(f"{a.method}: NAB score (normalised) per setting, on each half and on all {len(category)} files")
    print(f"halves: {', '.join(sorted(HALVES[0]))} ({len(halves[0])} files) | {', '.join(sorted(HALVES[1]))} ({len(halves[1])} files)")
    width = max(len(label(t)) for t in grid)
    print(f"{'setting':>{width}}  half 1  half 2     all   (standard profile)")
    for t in grid:
        row = [normalised(runs[t], h, "standard") for h in halves] + [normalised(runs[t], list(category), "standard")]
        print(f"{label(t):>{width}}  " + "  ".join(f"{x:6.1f}" for x in row))
    print()
    print("held out (setting chosen on the other half, per profile):")
    for profile in PROFILES:
        sums = [0.0, 0.0, 0.0]
        chosen = []
        for k in range(2):
            train, test = halves[1 - k], halves[k]
            best = max(grid, key=lambda t: normalised(runs[t], train, profile))
            chosen.append(best)
            for i in range(3):
                sums[i] += sum(runs[best][n][profile][i] for n in test)
        held = 100 * (sums[0] - sums[1]) / (sums[2] - sums[1])
        in_sample = max(normalised(runs[t], list(category), profile) for t in grid)
        print(f"  {profile:20s} held-out {held:5.1f} ({label(chosen[0])} → half 1, {label(chosen[1])} → half 2);"
              f" in-sample best over the grid {in_sample:5.1f}")


if __name__ == "__main__":
    main()
