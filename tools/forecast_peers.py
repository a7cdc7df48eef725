#!/usr/bin/env python3
"""Rolling-origin MASE of forecasting peers, scored on exactly the targets `stormglass forecast` scores.

    tools/.venv/bin/python tools/forecast_peers.py FILE.csv [--resample 30m] [--horizon 5m,30m,2h] [--peer all]

Set-up (once): python3 -m venv tools/.venv && tools/.venv/bin/pip install statsmodels statsforecast

Scoring is Stormglass's (`RollingOriginEvaluation`, `AccuracyTracker`), restated here:
- rows are read in file order (a repeated timestamp is kept); `--resample` averages buckets of that length
  aligned to multiples of it; the step is the median spacing;
- the series is put on a regular grid: a gap is filled by linear interpolation, and the season is one day
  of grid steps (time-aligned: a gap does not shift it); horizons are durations, a whole number of steps;
- a forecast is made at every grid time after the warm-up (2 days when the series spans at least 4 days)
  and scored only against a real row at its target time;
- MASE = MAE / the in-sample seasonal-naive MAE over the real rows (each against the row one day earlier
  in time, when there is one).

Peers, each refitted once a day on the last 14 days seen, their state advanced with the fitted parameters
in between (never re-filtered over the whole history at each origin):
- holt-winters: statsmodels ExponentialSmoothing, additive damped trend, additive daily season;
- mstl-ets: statsforecast MSTL (daily season) with an AutoETS trend; between refits the seasonal
  component rolls forward as fitted and the fitted AutoETS is applied to the latest 4 days of the
  deseasonalised series with `forward` (no refit).
"""
import argparse
import datetime as dt
import math
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def duration(text):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total, num = 0.0, ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            num += ch
        elif ch in units and num:
            total += float(num) * units[ch]
            num = ""
        else:
            raise SystemExit(f"not a duration: {text}")
    if num:
        raise SystemExit(f"not a duration (give a unit): {text}")
    return total


def load(path):
    times, values = [], []
    with open(path) as f:
        for n, line in enumerate(f):
            a, _, b = line.strip().partition(",")
            if n == 0 and not b.replace(".", "").replace("-", "").replace("e", "").isdigit():
                continue
            try:
                t = float(a)
            except ValueError:
                t = dt.datetime.fromisoformat(a.replace("Z", "+00:00")).replace(tzinfo=dt.timezone.utc).timestamp()
            times.append(t)
            values.append(float(b))
    return np.array(times), np.array(values)


def resample(times, values, every):
    out_t, out_v = [], []
    bucket, acc = None, []
    for t, v in zip(times, values):
        b = math.floor(t / every) * every
        if b != bucket:
            if acc:
                out_t.append(bucket); out_v.append(sum(acc) / len(acc))
            bucket, acc = b, []
        acc.append(v)
    if acc:
        out_t.append(bucket); out_v.append(sum(acc) / len(acc))
    return np.array(out_t), np.array(out_v)


class HoltWinters:
    """statsmodels' fit; the ETS(A,Ad,A) recursions advance the state between daily refits."""
    name = "holt-winters"

    def __init__(self, m):
        self.m = m
        self.ready = False

    def refit(self, y):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        if len(y) < 2 * self.m:
            return False
        fit = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=self.m,
                                   initialization_method="estimated").fit()
        p = fit.params
        self.alpha, self.beta, self.gamma, self.phi = (p["smoothing_level"], p["smoothing_trend"],
                                                       p["smoothing_seasonal"], p["damping_trend"])
        self.level, self.trend = fit.level[-1], fit.trend[-1]
        self.season = list(fit.season[-self.m:])   # season[0] is the oldest of the last m
        self.ready = True
        return True

    def observe(self, x):
        if not self.ready:
            return
        s = self.season[0]
        prev_level, prev_trend = self.level, self.trend
        self.level = self.alpha * (x - s) + (1 - self.alpha) * (prev_level + self.phi * prev_trend)
        self.trend = self.beta * (self.level - prev_level) + (1 - self.beta) * self.phi * prev_trend
        new_s = self.gamma * (x - prev_level - self.phi * prev_trend) + (1 - self.gamma) * s
        self.season = self.season[1:] + [new_s]

    def forecast(self, h):
        if not self.ready:
            return None
        damp = sum(self.phi ** k for k in range(1, h + 1))
        return self.level + damp * self.trend + self.season[(h - 1) % self.m]


class MSTLETS:
    """statsforecast's MSTL + AutoETS fit; between refits the daily seasonal component is rolled
    forward as fitted (as MSTL forecasts it) and the fitted AutoETS is applied to the latest four days of
    the deseasonalised series with `forward` (no refit)."""
    name = "mstl-ets"

    def __init__(self, m, horizons):
        self.m = m
        self.hmax = max(horizons)
        self.trend = None

    def refit(self, y):
        from statsforecast.models import MSTL, AutoETS
        if len(y) < 2 * self.m:
            return False
        fit = MSTL(season_length=self.m, trend_forecaster=AutoETS(model="ZZN")).fit(y=np.asarray(y, dtype=float))
        seasonal = fit.model_["seasonal"].to_numpy()
        self.season = list(seasonal[-self.m:])
        self.adjusted = list(np.asarray(y, dtype=float) - seasonal)
        self.trend = fit.trend_forecaster
        self.cache = None
        return True

    def observe(self, x):
        if self.trend is None:
            return
        s = self.season[0]
        self.season = self.season[1:] + [s]
        self.adjusted.append(x - s)
        self.cache = None

    def forecast(self, h):
        if self.trend is None:
            return None
        if self.cache is None:
            recent = np.asarray(self.adjusted[-4 * self.m:], dtype=float)
            self.cache = self.trend.forward(y=recent, h=self.hmax)["mean"]
        return self.cache[h - 1] + self.season[(h - 1) % self.m]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("--horizon", default="5m,30m,2h")
    p.add_argument("--resample")
    p.add_argument("--warmup")
    p.add_argument("--peer", default="all", choices=["all", "holt-winters", "mstl-ets"])
    a = p.parse_args()

    times, values = load(a.csv)
    if a.resample:
        times, values = resample(times, values, duration(a.resample))
    step = float(np.median(np.diff(times)))
    m = max(1, round(86400 / step))
    horizons = []
    for part in a.horizon.split(","):
        d = duration(part)
        k = round(d / step)
        if k < 1 or abs(k * step - d) > 1e-6 * step:
            sys.exit(f"--horizon {part} is not a whole number of the data's {step:g} s interval")
        horizons.append((part, k))
    span = times[-1] - times[0]
    warm = duration(a.warmup) if a.warmup else (2 * 86400 if span >= 4 * 86400 else 0)
    score_from = times[0] + warm

    # The grid, and the real rows by step key (the first row at a key is the one a target meets).
    grid, real = [], {}
    last_t = last_v = None
    for t, v in zip(times, values):
        if last_t is not None:
            missing = round((t - last_t) / step) - 1
            for k in range(1, missing + 1):
                grid.append((last_t + k * step, last_v + (v - last_v) * k / (missing + 1)))
        grid.append((t, v))
        real.setdefault(round(t / step), v)
        last_t, last_v = t, v

    # Seasonal-naive scale over the real rows, time-aligned (as AccuracyTracker).
    seen, errs = {}, []
    for t, v in zip(times, values):
        k = round(t / step)
        if k - m in seen:
            errs.append(abs(v - seen[k - m]))
        seen[k] = v
    scale = np.mean(errs) if errs else float("nan")

    peers = []
    if a.peer in ("all", "holt-winters"):
        peers.append(HoltWinters(m))
    if a.peer in ("all", "mstl-ets"):
        peers.append(MSTLETS(m, [k for _, k in horizons]))
    print(f"{a.csv}: {len(times)} rows every {step:g} s, season {m} steps, scored after {warm / 3600:g} h; "
          f"MASE scale (seasonal-naive, 1 day) {scale:.6g}")
    for peer in peers:
        started = time.process_time()
        errors = {k: [] for _, k in horizons}
        ys = []
        next_fit = None
        for i, (t, v) in enumerate(grid):
            ys.append(v)
            if t < score_from:
                continue
            if next_fit is None or t >= next_fit:
                # Until a fit succeeds (two seasons of data), try again at every step.
                if peer.refit(np.array(ys[-14 * m:])):
                    next_fit = t + 86400
            else:
                peer.observe(v)
            for _, k in horizons:
                target = round((t + k * step) / step)
                if target not in real:
                    continue
                f = peer.forecast(k)
                if f is not None:
                    errors[k].append((real[target], f))
        took = time.process_time() - started
        for name, k in horizons:
            pairs = np.array(errors[k])
            if len(pairs) == 0:
                print(f"{peer.name:13s} {name:>5s}  no forecasts")
                continue
            mae = np.mean(np.abs(pairs[:, 0] - pairs[:, 1]))
            print(f"{peer.name:13s} {name:>5s}  forecasts {len(pairs):6d}  MASE {mae / scale:.3f}")
        print(f"{peer.name:13s} time: {took * 1e6 / max(1, len(grid)):.0f} µs per observation")


if __name__ == "__main__":
    main()
