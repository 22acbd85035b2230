"""`newsbot eval`: the run file the shared scorers read, the scores, and incremental re-runs."""

import json

from bot.cli import main
from bot.evaluate import Scores, contains, first_words, question_date
from tests.conftest import SEED_FILE


def test_answers_match_as_whole_normalised_tokens():
    assert contains("Talks resumed in ISTANBUL, Turkey.", "Istanbul")
    assert contains("the “Ciragan Palace” hosted", '"Ciragan Palace"')
    assert contains("a 30–day pause", "30-day")
    assert not contains("Iranian officials", "Iran")
    assert not contains("anything", "  ")


def test_budgets_cut_the_ranked_passages_at_n_words():
    passages = ["one two three", "four five", "six"]
    assert first_words(passages, 4) == "one two three four"
    scores = Scores()
    scores.add("five", passages, answer="", refused=True)
    result = scores.to_json()
    assert result["budget_recall@100w"] == 1.0 and result["answer_hit"] == 0.0
    assert result["mrr@10"] == 0.5 and result["refusal_rate"] == 1.0


def test_question_dates_read_iso_and_compact_forms():
    assert str(question_date({"date": "2026-01-09"})) == "2026-01-09"
    assert str(question_date({"date": "20260109"})) == "2026-01-09"
    assert question_date({}) is None


def test_eval_writes_the_run_file_and_reuses_the_index(tmp_path, capsys):
    body = SEED_FILE.read_text(encoding="utf-8").split("---", 2)[2]
    articles = tmp_path / "articles.jsonl"
    articles.write_text(
        json.dumps(
            {
                "id": "seed",
                "url": "https://example.org/talks",
                "title": "Peace talks resume in Istanbul",
                "source": "LN247",
                "published": "2025-06-02",
                "text": body,
            }
        )
        + "\n"
    )
    questions = tmp_path / "questions.jsonl"
    rows = [
        {
            "id": "q1",
            "question": "Who will head the Ukrainian delegation?",
            "answer": "Rustem Umerov",
            "date": "2025-06-03",
            "answer_df": 0.0,
        },
        {
            "id": "q2",
            "question": "Where did the delegations meet?",
            "answer": "Istanbul",
            "date": "2025-06-03",
            "answer_df": 1.0,
        },
    ]
    questions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "run.jsonl"
    args = [
        "eval",
        "--articles",
        str(articles),
        "--questions",
        str(questions),
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "data"),
        "--json",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "1 added" in captured.err
    results = json.loads(captured.out)
    assert results["all"]["questions"] == 2 and results["answer_df<=0.05"]["questions"] == 1
    assert results["all"]["budget_recall@1000w"] == 1.0 and results["answer_df<=0.05"]["answer_hit"] == 1.0
    assert results["search_ms"]["p50"] > 0
    run = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in run] == ["q1", "q2"]
    assert set(run[0]) == {"id", "passages", "short_answer", "answer", "refused", "citations"}
    assert "Umerov" in run[0]["answer"] and run[0]["citations"][0]["quote"] in body

    assert main(args) == 0
    assert "0 added, 0 updated, 1 unchanged" in capsys.readouterr().err  # nothing embedded again


def test_eval_names_a_bad_questions_file(tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "q1", "question": "Who?"}\n')
    assert (
        main(["eval", "--articles", str(tmp_path), "--questions", str(questions), "--out", str(tmp_path / "r.jsonl")])
        == 2
    )
    assert "line 1: no 'answer'" in capsys.readouterr().err
