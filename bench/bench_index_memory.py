"""Peak memory of `newsbot index` as the corpus grows: for each input, a fresh data dir is indexed by
a real `newsbot index` process; its RSS is read from /proc after every committed batch (the
"committed N of M articles" debug line) and its peak from the kernel when it exits (wait4's
ru_maxrss). Inputs: the first 100, 1,000 and 5,000 articles of rtqa-train as JSON lines, and a
folder of generated HTML pages, half declaring Latin-1 (in Windows-1252 bytes, as browsers read
Latin-1) and half UTF-8.

    python bench/bench_index_memory.py [--sizes 100 1000 5000] [--html 400] [--articles PATH] [--json]
"""

import argparse
import gzip
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, cpu_model

TRAIN_ARTICLES = ROOT.parent / "shared" / "eval" / "rtqa-train" / "articles.jsonl.gz"
COMMITTED = re.compile(r"committed (\d+) of (\d+) articles")


def train_articles(path: Path, skip: int, limit: int) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if n < skip or not line.strip():
                continue
            rows.append(json.loads(line))
            if len(rows) == limit:
                break
    return rows


def write_jsonl(rows: list[dict], target: Path) -> Path:
    target.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return target


def write_pages(rows: list[dict], folder: Path) -> Path:
    """One HTML page per article, alternately Latin-1 (cp1252 bytes; characters beyond it as
    character references) and UTF-8, each declaring its charset in a <meta> tag."""
    folder.mkdir()
    for n, row in enumerate(rows):
        charset, codec = ("iso-8859-1", "cp1252") if n % 2 == 0 else ("utf-8", "utf-8")
        paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in row["text"].split("\n") if p.strip())
        page = (
            f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>{html.escape(row['title'])}</title></head><body><article><h1>{html.escape(row['title'])}</h1>\n"
            f"<p>Zürich and Malmö café owners said the übergang was déjà vu.</p>\n{paragraphs}</article></body></html>"
        )
        (folder / f"page-{n:05d}.html").write_bytes(page.encode(codec, errors="xmlcharrefreplace"))
    return folder


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def measure(source: Path, work: Path) -> dict:
    """Index `source` into a fresh data dir; RSS after each batch, the peak, and the time."""
    data = Path(tempfile.mkdtemp(dir=work, prefix="data-"))
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_LOG_LEVEL": "DEBUG"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", str(source)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    after_batch = []
    articles = 0
    for line in process.stderr:
        found = COMMITTED.search(line)
        if found:
            after_batch.append(round(rss_mb(process.pid)))
            articles = int(found.group(2))
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"newsbot index {source} failed with status {status}")
    return {
        "articles": articles,
        "seconds": round(seconds, 1),
        "articles_per_second": round(articles / seconds, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "rss_after_batch_mb": after_batch,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=TRAIN_ARTICLES, help="JSON lines (.gz allowed)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--html", type=int, default=400, help="HTML pages to generate (0: none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    results = {"cpu": cpu_model(), "runs": {}}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        inputs = {
            f"{size} articles (JSON lines)": write_jsonl(
                train_articles(args.articles, 0, size), work / f"articles-{size}.jsonl"
            )
            for size in args.sizes
        }
        if args.html:
            inputs[f"{args.html} HTML pages (Latin-1 and UTF-8)"] = write_pages(
                train_articles(args.articles, max(args.sizes), args.html), work / "pages"
            )
        for name, source in inputs.items():
            result = measure(source, work)
            results["runs"][name] = result
            if not args.json:
                batches = result["rss_after_batch_mb"]
                shown = batches if len(batches) <= 12 else batches[:4] + ["…"] + batches[-4:]
                print(
                    f"{name}: peak {result['peak_mb']} MB, {result['articles_per_second']} articles/s "
                    f"({result['seconds']} s); RSS after each batch (MB): {shown}",
                    flush=True,
                )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"CPU: {results['cpu']}")


if __name__ == "__main__":
    main()
