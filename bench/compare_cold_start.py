"""Cold start side by side: `newsbot --help` and a cold `newsbot ask --json` from this checkout and
from another (an earlier commit in a git worktree), alternating runs on one data dir, so that a
loaded machine weighs on both alike.

    git worktree add /tmp/before REV
    python bench/compare_cold_start.py --other /tmp/before --data-dir DIR [--runs 5]
"""

import argparse
from pathlib import Path

from bench_ask import cold_command
from common import ROOT, cpu_model, median

QUESTION = "Who won the election in Japan?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--data-dir", type=Path, required=True, help="an indexed data dir both can read")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    checkouts = {"other": args.other.resolve(), "this": ROOT}
    results = {name: {"help": [], "ask": [], "rss": []} for name in checkouts}
    for _ in range(args.runs):
        for name, checkout in checkouts.items():
            results[name]["help"].append(cold_command(checkout, args.data_dir, "--help")[0])
            wall, rss = cold_command(checkout, args.data_dir, "ask", QUESTION, "--json")
            results[name]["ask"].append(wall)
            results[name]["rss"].append(rss)
    print(f"CPU: {cpu_model()}; {args.runs} alternating runs each, medians")
    for name, checkout in checkouts.items():
        found = results[name]
        runs = ", ".join(f"{wall:.2f}" for wall in found["ask"])
        print(
            f"{name} ({checkout}): --help {median(found['help']):.2f} s; cold ask {median(found['ask']):.2f} s "
            f"({runs}), {median(found['rss']):.0f} MB peak"
        )


if __name__ == "__main__":
    main()
