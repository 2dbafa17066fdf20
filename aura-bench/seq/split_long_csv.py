#!/usr/bin/python3
"""Checks a labelled time-series data set in the long CSV format and splits it, by series, into
train.csv and test.csv (standard library only).

The long format: a header row; an `id` column (string); an optional `time` column (numeric,
strictly increasing within an id); any number of numeric feature columns; a `label` column (class
name or number). One row per time step, the rows of one id contiguous and in time order. Every
feature value must be a finite number.

The split is by series id, stratified by label and seeded: within each class the ids (in order of
first appearance) are shuffled with random.Random(seed) and the first round(test_fraction * n) go
to the test set (at least one when the class has two or more series). Each output keeps the input's
row order. With --drop P, every row but the first of each series is dropped independently with
probability P (random.Random(drop_seed), one draw per row in file order) before the split: seeded
irregular sampling for sets that come regular (needs a `time` column).

    split_long_csv.py ALL.csv OUT_DIR [--seed 14] [--test-fraction 0.3] [--drop 0.3 --drop-seed 7]

Prints one summary line per output file on stdout (series, rows, features, classes); a bad input
fails with its file, line and column, and writes nothing.
"""

import argparse
import csv
import math
import os
import random
import sys
from collections import OrderedDict


def fail(message):
    print("split_long_csv.py: " + message, file=sys.stderr)
    sys.exit(2)


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None:
            fail(path + ": empty file")
        if len(set(header)) != len(header):
            fail(path + ": duplicate column names in the header " + str(header))
        for need in ("id", "label"):
            if need not in header:
                fail(path + ": no '" + need + "' column in the header " + str(header))
        i_id, i_label = header.index("id"), header.index("label")
        i_time = header.index("time") if "time" in header else None
        numeric = [i for i, name in enumerate(header) if i not in (i_id, i_label)]
        if len(numeric) == (1 if i_time is not None else 0):
            fail(path + ": no feature columns")
        series = OrderedDict()  # id -> (label, [row, ...])
        previous = None
        for line, row in enumerate(rows, start=2):
            if len(row) != len(header):
                fail("%s:%d: %d fields, the header has %d" % (path, line, len(row), len(header)))
            for i in numeric:
                try:
                    v = float(row[i])
                except ValueError:
                    fail("%s:%d: column '%s' is not a number: %r" % (path, line, header[i], row[i]))
                if not math.isfinite(v):
                    fail("%s:%d: column '%s' is not finite: %r" % (path, line, header[i], row[i]))
            sid, label = row[i_id], row[i_label]
            if sid == "" or label == "":
                fail("%s:%d: empty id or label" % (path, line))
            if sid != previous:
                if sid in series:
                    fail("%s:%d: the rows of id %r are not contiguous" % (path, line, sid))
                series[sid] = (label, [])
            elif series[sid][0] != label:
                fail("%s:%d: id %r changes its label from %r to %r" % (path, line, sid, series[sid][0], label))
            steps = series[sid][1]
            if i_time is not None and steps and not float(row[i_time]) > float(steps[-1][i_time]):
                fail("%s:%d: time %s of id %r does not increase (previous %s)" % (path, line, row[i_time], sid, steps[-1][i_time]))
            steps.append(row)
            previous = sid
    if not series:
        fail(path + ": no rows")
    return header, i_time, series


def summary(name, header, series):
    rows = sum(len(s[1]) for s in series.values())
    lengths = sorted(len(s[1]) for s in series.values())
    classes = OrderedDict()
    for label, _ in series.values():
        classes[label] = classes.get(label, 0) + 1
    features = len(header) - 2 - (1 if "time" in header else 0)
    per_class = ", ".join("%s %d" % kv for kv in sorted(classes.items()))
    return "%s: %d series, %d rows, %d features, length %d..%d (median %d), %d classes (%s)" % (
        name, len(series), rows, features, lengths[0], lengths[-1], lengths[len(lengths) // 2], len(classes), per_class)


def main(argv):
    p = argparse.ArgumentParser(description="check a long-format CSV and split it by series id into train.csv and test.csv")
    p.add_argument("input")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--test-fraction", type=float, default=0.3)
    p.add_argument("--drop", type=float, default=0.0, help="probability of dropping each row but a series' first")
    p.add_argument("--drop-seed", type=int, default=7)
    a = p.parse_args(argv)
    if not 0 < a.test_fraction < 1:
        p.error("--test-fraction must lie in (0, 1)")
    if not 0 <= a.drop < 1:
        p.error("--drop must lie in [0, 1)")
    header, i_time, series = read(a.input)
    if a.drop > 0:
        if i_time is None:
            fail(a.input + ": --drop needs a 'time' column, so that the gaps it makes stay visible")
        rng = random.Random(a.drop_seed)
        for label, steps in series.values():
            steps[1:] = [r for r in steps[1:] if rng.random() >= a.drop]
    by_class = OrderedDict()
    for sid, (label, _) in series.items():
        by_class.setdefault(label, []).append(sid)
    rng = random.Random(a.seed)
    test_ids = set()
    for label in sorted(by_class):
        ids = by_class[label]
        rng.shuffle(ids)
        k = round(a.test_fraction * len(ids))
        if len(ids) >= 2:
            k = min(max(k, 1), len(ids) - 1)
        test_ids.update(ids[:k])
    os.makedirs(a.out_dir, exist_ok=True)
    for name, keep in (("train.csv", lambda s: s not in test_ids), ("test.csv", lambda s: s in test_ids)):
        part = OrderedDict((sid, v) for sid, v in series.items() if keep(sid))
        tmp = os.path.join(a.out_dir, name + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for _, steps in part.values():
                w.writerows(steps)
        os.replace(tmp, os.path.join(a.out_dir, name))
        print(summary(name, header, part))


if __name__ == "__main__":
    main(sys.argv[1:])
