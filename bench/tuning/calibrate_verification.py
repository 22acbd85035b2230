"""Choose the citation verifier's similarity weight and support threshold by measurement.

tests/data/verification*.jsonl hold groups of passages and answer sentences labelled supported (with
the passage that supports them) or unsupported (changed numbers or names, swapped roles, negations,
outside facts, filler, injected text). For every weight and threshold this prints how many
sentences the verifier judges right, the precision of what it keeps (unsupported sentences let
through are the failure that matters), recall, and how often a kept sentence is cited to its
labelled passage.

    python bench/tuning/calibrate_verification.py [--data FILE ...] [--no-consistency] [--verbose]
"""

import argparse
import itertools
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import ROOT

from bot.answering.verify import MIN_SUPPORT, SIMILARITY_WEIGHT, CitationVerifier, Claim
from index.embedding.embedder import Embedder
from index.search.searcher import Passage

WEIGHTS = (1.0, 0.8, 0.7, 0.6, 0.5, 0.4)
THRESHOLDS = [round(0.40 + 0.02 * i, 2) for i in range(21)]
DEFAULT_DATA = [ROOT / "tests" / "data" / "verification.jsonl", ROOT / "tests" / "data" / "verification_heldout.jsonl"]


def passages_of(group: dict) -> list[Passage]:
    return [
        Passage(
            chunk_id=f"{group['group']}-{n}",
            article_id=group["article"],
            title="",
            source="",
            url="",
            published="",
            position=n,
            text=text,
            score=0.0,
        )
        for n, text in enumerate(group["passages"])
    ]


def measure(verifier: CitationVerifier, groups: list[dict]):
    """Per labelled sentence: (label, labelled passage index or None, kind, supports)."""
    measured = []
    for group in groups:
        passages = passages_of(group)
        spans = verifier.spans(passages)
        claims = [Claim(sentence["text"], ()) for sentence in group["sentences"]]
        for sentence, supports in zip(group["sentences"], verifier.measure(claims, spans)):
            labelled = sentence["passage"] - 1 if sentence["passage"] else None
            measured.append((sentence["supported"], labelled, sentence["kind"], supports, sentence["text"]))
    return measured


def judge(verifier: CitationVerifier, measured, consistency: bool = True) -> dict:
    right = kept = kept_right = supported = right_passage = 0
    wrong_by_kind: Counter = Counter()
    for label, labelled, kind, supports, _ in measured:
        if not consistency:
            supports = [type(s)(s.span, s.similarity, s.coverage, True) for s in supports]
        best = verifier.best_support(supports)
        decided = best is not None
        supported += label
        right += decided == label
        if decided != label:
            wrong_by_kind[kind] += 1
        if decided:
            kept += 1
            kept_right += label
            right_passage += label and best.span.passage == labelled
    return {
        "accuracy": right / len(measured),
        "precision": kept_right / kept if kept else 1.0,
        "recall": kept_right / supported if supported else 1.0,
        "right_passage": right_passage / kept_right if kept_right else 0.0,
        "wrong_by_kind": dict(wrong_by_kind),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data",
        nargs="+",
        default=[str(p) for p in DEFAULT_DATA],
        help="labelled files: the first tunes, the rest are held out",
    )
    parser.add_argument(
        "--no-consistency", action="store_true", help="also show the scores without the names/numbers/negation check"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list the sentences judged wrongly at the chosen constants"
    )
    args = parser.parse_args()
    embedder = Embedder("bundled")
    verifier = CitationVerifier(embedder)
    sets = {
        path: measure(verifier, [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()])
        for path in args.data
    }
    tune = sets[args.data[0]]
    variants = [True, False] if args.no_consistency else [True]
    print(f"tuning on {args.data[0]} ({len(tune)} sentences)")
    print("consistency weight threshold accuracy precision recall right_passage")
    results = []
    for consistency, weight, threshold in itertools.product(variants, WEIGHTS, THRESHOLDS):
        verifier.similarity_weight, verifier.min_support = weight, threshold
        scores = judge(verifier, tune, consistency)
        results.append((scores["accuracy"], scores["precision"], consistency, weight, threshold, scores))
    for accuracy, precision, consistency, weight, threshold, scores in sorted(
        results, key=lambda r: r[:2], reverse=True
    )[:12]:
        print(
            f"{consistency!s:11} {weight:6.2f} {threshold:9.2f} {accuracy:8.3f} {precision:9.3f} {scores['recall']:6.3f} {scores['right_passage']:13.3f}"
        )
    if args.no_consistency:
        accuracy, precision, _, weight, threshold, scores = max((r for r in results if not r[2]), key=lambda r: r[:2])
        print(
            f"best without the consistency check: weight {weight}, threshold {threshold}, accuracy {accuracy:.3f}, "
            f"precision {precision:.3f}, recall {scores['recall']:.3f}"
        )
        verifier.similarity_weight, verifier.min_support = weight, threshold
        for path, measured in list(sets.items())[1:]:
            held = judge(verifier, measured, consistency=False)
            print(f"  held out ({path}): accuracy {held['accuracy']:.3f}, precision {held['precision']:.3f}")
    verifier.similarity_weight, verifier.min_support = SIMILARITY_WEIGHT, MIN_SUPPORT
    print(f"\nchosen: weight {SIMILARITY_WEIGHT}, threshold {MIN_SUPPORT}")
    for path, measured in sets.items():
        scores = judge(verifier, measured)
        print(
            f"{path}: {len(measured)} sentences, accuracy {scores['accuracy']:.3f}, precision {scores['precision']:.3f}, "
            f"recall {scores['recall']:.3f}, right passage {scores['right_passage']:.3f}, wrong by kind {scores['wrong_by_kind']}"
        )
        if args.verbose:
            for label, _, kind, supports, text in measured:
                best = verifier.best_support(supports)
                if (best is not None) != label:
                    top = max(supports, key=lambda s: s.score(verifier.similarity_weight))
                    print(
                        f"   {'missed' if label else 'let through'} [{kind}] {text}\n      best {top.score(verifier.similarity_weight):.2f} "
                        f"consistent={top.consistent}: {top.span.quote[:100]}"
                    )


if __name__ == "__main__":
    main()
