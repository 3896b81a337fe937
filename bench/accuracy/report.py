#!/usr/bin/python3
"""Joins baselines.jsonl and drover's --json outputs into the accuracy table.

Usage: report.py RESULTS_DIR. Prints a Markdown table and exits 1 when a
dataset misses the bar: drover's best CV score within 1 % (relative) of the
best baseline on the primary metric, or better.
"""
import json
import os
import sys

TOLERANCE = 0.01
HIGHER_IS_BETTER = {"auc": True, "logloss": False, "rmse": False}
MODELS = ("xgboost", "sklearn-hgb", "linear")


def main():
    res = sys.argv[1]
    rows, failed = [], 0
    with open(os.path.join(res, "baselines.jsonl")) as f:
        base = [json.loads(l) for l in f if l.strip()]
    for b in base:
        name = os.path.basename(b["file"])
        with open(os.path.join(res, name + ".drover.seconds")) as f:
            secs = float(f.read())
        metric = b["metric"]
        try:
            with open(os.path.join(res, name + ".drover.json")) as f:
                d = json.load(f)
        except (OSError, ValueError):
            failed += 1
            rows.append([name, metric] + [f"{b['scores'][m]:.4f}" for m in MODELS] +
                        ["error", "", "", "FAIL", "", f"{secs:.0f}", f"{sum(b['seconds'].values()):.0f}"])
            continue
        if d["scorer"] != metric or d["task"] != b["task"]:
            sys.exit(f"{name}: drover ran {d['task']}/{d['scorer']}, baselines {b['task']}/{metric}")
        hib = HIGHER_IS_BETTER[metric]
        pick = max if hib else min
        best_name = pick(MODELS, key=lambda m: b["scores"][m])
        best = b["scores"][best_name]
        ours = d["best"]["cv_score"]
        gap = (ours - best) / abs(best) * (1 if hib else -1)  # > 0: drover better
        ok = gap >= -TOLERANCE
        single = next(e for e in d["leaderboard"] if e["model"] != "ensemble")
        failed += not ok
        rows.append([name, metric] + [f"{b['scores'][m]:.4f}" for m in MODELS] +
                    [f"{ours:.4f}", f"{best:.4f} ({best_name})", f"{gap * 100:+.2f} %", "pass" if ok else "FAIL",
                     f"{single['cv_score']:.4f} ({single['model']})", f"{secs:.0f}", f"{sum(b['seconds'].values()):.0f}"])
    head = ["dataset", "metric", "xgboost", "sklearn-hgb", "linear", "drover", "best baseline",
            "gap (+ = drover better)", "pass", "drover best single model", "drover s", "baselines s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\n{len(rows) - failed} of {len(rows)} datasets pass (drover within {TOLERANCE:.0%} of the best baseline or better).")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
