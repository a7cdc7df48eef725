#!/usr/bin/env python3
"""Writes checkout-requests.json and .csv: one week of a public trace shaped as Prometheus would serve it.

Against your own Prometheus, the same file comes from a range query (per-second request rate, 5-minute step):

    curl -sG http://prometheus:9090/api/v1/query_range \
      --data-urlencode 'query=sum(rate(http_requests_total{service="checkout"}[5m]))' \
      --data-urlencode start=2015-03-02T00:00:00Z --data-urlencode end=2015-03-09T00:00:00Z \
      --data-urlencode step=300 > checkout-requests.json

This sample has no Prometheus behind it: it takes NAB's Twitter_volume_AAPL trace (tweets per 5 minutes,
traces/nab, MIT licence in traces/nab/LICENSE-NAB.txt), keeps the week from 2015-03-02, and writes the
counts as a per-second rate in the API's JSON layout, plus the same numbers as a timestamp,value CSV.
"""
import csv, datetime, json, pathlib

here = pathlib.Path(__file__).resolve().parent
source = here.parent.parent / "traces/nab/Twitter_volume_AAPL.csv"
start = datetime.datetime(2015, 3, 2, tzinfo=datetime.timezone.utc)
end = start + datetime.timedelta(days=7)
values = []
with open(source) as f:
    for row in csv.DictReader(f):
        t = datetime.datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        if start <= t < end:
            values.append([int(t.timestamp()), repr(int(row["value"]) / 300)])
body = {"status": "success", "data": {"resultType": "matrix", "result": [
    {"metric": {"service": "checkout"}, "values": values}]}}
(here / "checkout-requests.json").write_text(json.dumps(body, separators=(",", ":")) + "\n")
with open(here / "checkout-requests.csv", "w") as f:
    f.write("timestamp,value\n")
    for t, v in values:
        f.write(f"{t},{v}\n")
print(f"{len(values)} samples")
