"""OpenVINO's cache of compiled kernels per input shape, kept (its default, 5,000) or not (newsbot's
OPENVINO_SHAPE_CACHE): the time to encode texts of random lengths and the RSS after each round,
each variant in its own process, the variants alternating.

    python bench/compare_openvino_cache.py [--runs 2] [--rounds 12] [--texts 300]
"""

import argparse
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from common import cpu_model, median

VARIANTS = {"no cache (newsbot)": "0", "OpenVINO's default": "5000"}
WORDS = "the of and to in a is that for it as was with be by on not he this are or his from at which".split()


def rss_mb() -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) // 1024


def child(capacity: str, rounds: int, texts: int) -> None:
    from index.embedding import encoders
    from index.embedding.embedder import Embedder

    encoders.OPENVINO_SHAPE_CACHE = capacity
    embedder = Embedder(backend="openvino")
    rng = random.Random(1)
    started = time.perf_counter()
    after_round = []
    for _ in range(rounds):
        embedder.embed([" ".join(rng.choices(WORDS, k=rng.randint(5, 200))) for _ in range(texts)], batch_size=64)
        after_round.append(rss_mb())
    print(json.dumps({"seconds": time.perf_counter() - started, "rss_after_round_mb": after_round}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.rounds, args.texts)
        return
    results = {name: [] for name in VARIANTS}
    for _ in range(args.runs):
        for name, capacity in VARIANTS.items():
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    capacity,
                    "--rounds",
                    str(args.rounds),
                    "--texts",
                    str(args.texts),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[name].append(json.loads(out.strip().splitlines()[-1]))
    print(f"{args.rounds} rounds of {args.texts} texts, {args.runs} runs; CPU: {cpu_model()}")
    for name, runs in results.items():
        seconds = [round(r["seconds"], 1) for r in runs]
        print(
            f"{name}: median {median(seconds):.1f} s {seconds}; RSS after rounds 1 and {args.rounds} (MB): "
            f"{[(r['rss_after_round_mb'][0], r['rss_after_round_mb'][-1]) for r in runs]}"
        )


if __name__ == "__main__":
    main()
