from index.articles.clean import clean_text, load_rules
from index.articles.files import read_file
from tests.conftest import SEED_FILE

BOILERPLATE = [
    "Discover more from LN247",
    "Subscribe to get the latest posts",
    "Advertisement",
    "Most Popular This Week",
    "Related Posts",
    "Continue reading",
    "Subscribe now to keep reading",
]


def test_seed_footer_is_removed_and_the_story_kept(seed_text):
    cleaned = clean_text(seed_text.split("---", 2)[2])
    for phrase in BOILERPLATE:
        assert phrase not in cleaned
    assert cleaned.startswith("Ukrainian and Russian representatives gathered")
    assert cleaned.endswith("one-on-one with Russia.”")


def test_cleaning_only_drops_whole_lines(seed_text):
    original_lines = set(seed_text.splitlines())
    for line in clean_text(seed_text).splitlines():
        assert line in original_lines


def test_common_furniture_lines_are_dropped():
    text = "\n".join(
        [
            "Skip to main content",
            "The council voted 7-2 on Tuesday to approve the budget.",
            "Advertisement",
            "Share this article",
            "Share on Facebook",
            "We use cookies to improve your experience.",
            "Accept all cookies",
            "The mayor said the vote was a relief.",
            "Continue reading",
        ]
    )
    assert clean_text(text) == (
        "The council voted 7-2 on Tuesday to approve the budget.\nThe mayor said the vote was a relief."
    )


def test_bylines_datelines_and_photo_credits_are_dropped():
    text = "\n".join(
        [
            "By Jane Doe and John Roe, USA TODAY",
            "Washington CNN —",
            "The Senate passed the bill 52-48 on Thursday.",
            "Senators react after the vote (Image credit: Jane Roe/AFP via Getty Images)",
            "By Tuesday, the bill had reached the president.",
            "Need a break? Play the USA TODAY Daily Crossword Puzzle.",
        ]
    )
    assert clean_text(text) == (
        "The Senate passed the bill 52-48 on Thursday.\nBy Tuesday, the bill had reached the president."
    )


def test_sentences_that_merely_mention_boilerplate_words_stay():
    text = "Subscribers complained about the price rise.\nThe advertisement ran during the final."
    assert clean_text(text) == text


def test_a_cut_marker_above_the_story_does_not_swallow_it():
    story = "The bridge reopened on Friday after two years of repairs, the city said. " * 5
    cleaned = clean_text(f"Most Popular\n{story}\nRelated Posts\nAnother headline entirely")
    assert cleaned == story.strip()


def test_rules_are_data():
    rules = load_rules()
    assert rules.cut_from and rules.drop


def test_seed_article_reads_with_its_metadata():
    article = next(read_file(SEED_FILE, 5_000_000))
    assert article.id == "524f35506ab6ae2d"
    assert article.title == "Ukraine-Russia Peace Talks Resume In Istanbul After Surprise Drone Attack"
    assert article.source == "LN247"
    assert article.published == "2025-06-02"
    assert article.published_ts == 1748822400
    assert "Discover more" not in article.text
