"""Sentence splitting shared by the chunker and the answerer, so chunk edges and quotes agree."""

from functools import cache

# Punkt's English model misses these news abbreviations and splits "Gov. J.B. Pritzker" apart.
EXTRA_ABBREVIATIONS = {
    "gov", "sen", "rep", "gen", "lt", "col", "sgt", "capt", "cmdr", "adm", "maj", "st", "mr",
    "mrs", "ms", "dr", "prof", "jr", "sr", "rev", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u",
    "vs", "inc", "corp", "co", "ltd", "no", "jan", "feb", "mar", "apr", "aug", "sept", "sep",
    "oct", "nov", "dec", "ft", "mt", "ave", "blvd", "dept", "est", "approx",
}


@cache
def _punkt():
    # Importing llama_index's globals puts its bundled nltk data (punkt_tab) on nltk's path,
    # so nothing is downloaded.
    from llama_index.core.utils import globals_helper
    from nltk.tokenize import PunktTokenizer

    globals_helper.wait_for_nltk_check()
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(EXTRA_ABBREVIATIONS)
    return tokenizer


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` in order, each with its trailing whitespace, so they join back into
    `text` exactly. A line break always ends a sentence: in news text a line is a paragraph."""
    punkt = _punkt()
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        spans = list(punkt.span_tokenize(line))
        if not spans:
            if pieces:
                pieces[-1] += line
            else:
                pieces.append(line)
            continue
        # Each piece runs to the next sentence's start, so whitespace is never lost.
        starts = [start for start, _ in spans]
        starts[0] = 0
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            pieces.append(line[start:end])
    return [p for p in pieces if p]
