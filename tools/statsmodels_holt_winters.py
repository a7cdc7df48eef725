#!/usr/bin/env python3
"""Rolling-origin MASE of statsmodels' Holt-Winters, for comparison with `stormglass forecast`.

Scored exactly as Stormglass scores: forecasts made after `--warmup` of history, each compared with the
value observed at its target time; MASE = MAE / in-sample seasonal-naive (one day) MAE over the whole
series. statsmodels' ExponentialSmoothing (additive damped trend, additive daily season) is refitted
once a day on everything seen so far (as a production job would), and forecasts from each origin with
the fitted parameters. Needs `pip install statsmodels`.

    python3 tools/statsmodels_holt_winters.py FILE.csv --horizon-steps 6
"""
import argparse
import csv
import datetime as dt
import warnings

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

warnings.filterwarnings("ignore")

p = argparse.ArgumentParser()
p.add_argument("csv")
p.add_argument("--horizon-steps", type=int, default=6)
p.add_argument("--season-steps", type=int, default=288)
p.add_argument("--warmup-steps", type=int, default=576)
a = p.parse_args()

with open(a.csv) as f:
    rows = [r for r in csv.reader(f)][1:]
y = np.array([float(r[1]) for r in rows])
m, h = a.season_steps, a.horizon_steps

errors = []
fit = None
for t in range(a.warmup_steps, len(y) - h):
    # Refit once a day on all data up to and including t.
    if fit is None or (t - a.warmup_steps) % m == 0:
        fit = ExponentialSmoothing(y[: t + 1], trend="add", damped_trend=True, seasonal="add",
                                   seasonal_periods=m, initialization_method="estimated").fit()
        params = fit.params
        fitted_to = t
    # Forecast from origin t: apply the fitted smoothing equations to the data up to t.
    model = ExponentialSmoothing(y[: t + 1], trend="add", damped_trend=True, seasonal="add", seasonal_periods=m,
                                 initialization_method="known", initial_level=params["initial_level"],
                                 initial_trend=params["initial_trend"], initial_seasonal=params["initial_seasons"])
    r = model.fit(smoothing_level=params["smoothing_level"], smoothing_trend=params["smoothing_trend"],
                  smoothing_seasonal=params["smoothing_seasonal"], damping_trend=params["damping_trend"], optimized=False)
    f = r.forecast(h)[-1]
    errors.append((y[t + h], f))

actual = np.array([e[0] for e in errors])
fc = np.array([e[1] for e in errors])
scale = np.mean(np.abs(y[m:] - y[:-m]))
mae = np.mean(np.abs(actual - fc))
nz = actual != 0
mape = np.mean(np.abs(actual[nz] - fc[nz]) / np.abs(actual[nz]))
print(f"{a.csv}: statsmodels Holt-Winters, horizon {h} steps, {len(errors)} forecasts: "
      f"MASE {mae / scale:.3f}, accuracy {max(0, 1 - mape) * 100:.1f}%")
