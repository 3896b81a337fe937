#!/usr/bin/python3
"""Write the digits table that scikit-learn ships (load_digits: 1,797 8x8 images,
64 pixel counts 0-16, 10 classes) as CSV: header pixel0..pixel63,digit.

    /usr/bin/python3 export_digits.py OUT.csv

Exit status 3 when scikit-learn is not installed (Debian: python3-sklearn).
"""
import sys

try:
    from sklearn.datasets import load_digits
except ImportError as e:  # the Go side tells "missing" from "broken" by this code
    print(f"scikit-learn not importable: {e}", file=sys.stderr)
    sys.exit(3)


def main(path):
    d = load_digits()
    with open(path, "w") as f:
        f.write(",".join([f"pixel{i}" for i in range(d.data.shape[1])] + ["digit"]) + "\n")
        for row, label in zip(d.data, d.target):
            f.write(",".join(str(int(v)) for v in row) + f",{int(label)}\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: export_digits.py OUT.csv", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
