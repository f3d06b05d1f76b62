"""Page furniture: each class recognised by its shape on real corpus lines, story lines kept, and the
furniture gone from stored text, quotes and /latest leads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answer.quote import lead_sentences
from bot.answer.windows import QuestionProfile, index_sentences, window_features
from bot.ingest import ingest
from bot.ingest.clean import strip_wire_dateline
from bot.ingest.furniture import classify_lines, line_class, strip_furniture
from bot.search.analyzer import default_analyzer
from bot.store import Store

# Lines copied from the shared news corpus (USA Today, CNN, The Week pages), one list per class.
REAL = {
    "byline": [
        "-- Jarrett Bell",
        "– Victoria Hernandez",
        "− Tom Vanden Brook and David Jackson",
        "— Brianne Pfannenstiel, Des Moines Register",
        "By Madison Black, PolitiFact.com",
        "By JOSH LEDERMAN and MATTHEW PENNINGTON",
        "👋 Hey! Laura Davis here. Let’s get you caught up on Monday’s news.",
    ],
    "credit": [
        "Clay Jones/CNN",
        "Bill Bramhall/Tribune Content Agency",
        (
            "The Prince and Princess of Wales stand with South Africa's President Cyril Ramaphosa (C) at the "
            "Corinthia Hotel in London. Justin Tallis/AFP/Getty Images"
        ),
        (
            "Smoke rises from a Russian tank destroyed by the Ukrainian forces on the side of a road in Lugansk "
            "region on February 26, 2022. Anatolii Stepanov/AFP/Getty Images/FILE"
        ),
        "The Colston Four celebrating the verdict outside court (Image credit: Finnbarr Webster/Getty Images)",
        "Frigid below-average temperatures dive south and east Wednesday through Thursday. CNN Weather",
        "Print editions of the Daily Mail newspaper Chris J Ratcliffe/Getty Images",
        "'Huge shift in travel policy': Travel mask mandate no longer in effect 02:13 - Source: CNN",
        "Sketch by Vicki Behringer",
        ("Shoppers at Piggly Wiggly, the first self-service supermarket, in 1918. Library of Congress/Corbis "
        "Historical/Getty Images"),
        "The surrounding environment of the Sparkler galaxy was analyzed in detail. Mowla, Iyer et al. 2022",
    ],
    "caption": [
        (
            "Photos: Russia invades Ukraine People wait after boarding a bus to leave Kyiv on February 24. "
            "Hide Caption 221 of 266"
        ),
        (
            "Brian Garfinkel/MLB Photos/Getty Images Philadelphia's Alec Bohm rounds the bases after hitting a solo "
            "home run in Game 3 of the World Series on Tuesday, November 1. The Phillies hit five home runs in the "
            "game, tying a World Series record, and they won 7-0 to take a 2-1 series lead over the Houston Astros. "
            "Matt Rourke/AP Houston right fielder Kyle Tucker leaps at the wall but can't reach a home run hit by "
            "Brandon Marsh in the second inning. Matt Slocum/AP Bryce Harper crushes a breaking ball."
        ),
    ],
    "related": [
        "►Baby formula recall 2022: FDA warns parents against making homemade formula",
        "Ohio poll:In key US Senate race, Democrat Tim Ryan leads Republican JD Vance by a point",
        "Liz Truss resigns:45 photos highlight her 45 days as Britain's prime minister",
        "Why do dogs eat poop?How you can get your pet to stop.",
        "More:Las Vegas Strip/Mandalay Bay shooting: What we know",
        "Read more: Bao Bao arrives in China after leaving National Zoo",
        "You may likeIt's back!",
        "More education news: Millions of Americans plan to use Biden's SAVE student debt relief plan.",
        "Other stories worth your time",
        "RELATED COVERAGE:",
    ],
    "note": [
        "Contributing: Melissa Ruggieri",
        "Editor's note: Follow USA TODAY's live coverage of the Israel-Hamas war for Saturday, Oct. 14.",
        "Corrections and clarifications: A previous version of this story misstated the timing of Eid al-Fitr.",
        "— CNN’s Julia Horowitz, Matt Egan and Allison Morrow contributed to this report.",
        "Follow USA TODAY reporter Kelly Tyko on Twitter: @KellyTyko.",
        "Looking for updates on California storms? Follow our latest coverage here.",
        "This story has been updated to include new information.",
        "Story continues below photo gallery.",
    ],
    "prompt": [
        "Sign up for our Coronavirus Watch newsletter for updates to your inbox and join our Facebook group.",
        "NEVER MISS A MOMENT: Follow our sports newsletter for daily updates",
        "What's everyone talking about?Sign up for our trending newsletter to get the latest news of the day",
        (
            "Get CNN Health's weekly newsletter Sign up here to get The Results Are In with Dr. Sanjay Gupta every "
            "Tuesday from the CNN Health team."
        ),
        "Subscribe to the newsletter here.",
    ],
}

# Story lines of the same corpus that look a little like furniture and must stay.
STORY = [
    (
        "Wantage:A young cow that escaped from a New York City slaughterhouse last week has been taken to an "
        "animal sanctuary in New Jersey. The (Morristown) Daily Record reported the 400-pound Hereford heifer "
        "named Freddie was taken to Skylands Animal Sanctuary and Rescue in Wantage on Tuesday."
    ),
    (
        "When you sign up for WeightWatchers, you complete a personal assessment, which provides a baseline of "
        "where you are currently are in your health journey."
    ),
    (
        'By Tuesday evening, U.S. Rep. Dan Crenshaw, R-Houston, tweeted a thread that claimed to reveal "the '
        'truth about what happened."'
    ),
    '"Phoenix?" Scott asked.',
    (
        "►The World Health Organization granted emergency use authorization to an Indian-made COVID-19 vaccine, "
        "Covaxin, that had been used for months in the country."
    ),
    "Where to watch:Paramount+",
    (
        "Also revealed publicly Wednesday: After the shooting, Crimo drove to Wisconsin’s capital of Madison on "
        "Monday and contemplated a shooting there before deciding against it, authorities said."
    ),
    (
        "A USA TODAY/Suffolk Poll released this summer found one out of five voters said the economy in general "
        "was the top concern."
    ),
    "In the end — as always — the voters decide.",
    "Public health response so far",
    "Recruiting generally is more challenging for the services when the economy is strong.",
    "10. Rep. Donald S. Beyer Jr. of Virginia",
    "Sam Burns and Patrick Cantlay vs. Viktor Hovland and Matthew Fitzpatrick",
    "What happened next? The council voted to approve the plan",
    "Background",
]


@pytest.mark.parametrize(("cls", "line"), [(cls, line) for cls, lines in REAL.items() for line in lines])
def test_each_class_of_furniture_is_recognised_by_its_shape(cls: str, line: str) -> None:
    assert line_class(line) == cls


@pytest.mark.parametrize("line", STORY)
def test_story_lines_are_kept(line: str) -> None:
    assert line_class(line) is None


@pytest.mark.parametrize(
    ("line", "rest"),
    [
        (
            "LAHAINA, Hawaii — As the death toll from a wildfire rose",
            "As the death toll from a wildfire rose",
        ),
        ("GENEVA (AP) — Sweden emerging as the front-runner", "Sweden emerging as the front-runner"),
        ("(AP) — As an African American growing up in Queens", "As an African American growing up in Queens"),
        ("Cannes, France — Tom Cruise mania descended Wednesday", "Tom Cruise mania descended Wednesday"),
        ("WASHINGTON – Senate negotiators reached an agreement", "Senate negotiators reached an agreement"),
    ],
)
def test_datelines_of_any_source(line: str, rest: str) -> None:
    assert strip_wire_dateline(line) == rest


@pytest.mark.parametrize(
    "line",
    ["In the end — as always — the voters decide.", "A — list item", "Biden said the plan — which passed."],
)
def test_dashes_inside_a_sentence_are_no_dateline(line: str) -> None:
    assert strip_wire_dateline(line) is None


def test_author_block_and_signatures_are_bylines_by_their_place() -> None:
    lines = ["Haleluya Hadero", "Associated Press", "NEW YORK – California is suing Amazon.",
             "Detroit Free Press staff", "The Vikings still trailed 27-14. — Chris Bumbaca"]  # fmt: skip
    kept, removed = strip_furniture(lines)
    assert kept == ["NEW YORK – California is suing Amazon.", "Detroit Free Press staff",
                    "The Vikings still trailed 27-14."]  # fmt: skip
    assert [r.shown for r in removed] == ["Haleluya Hadero", "Associated Press", "— Chris Bumbaca"]


def test_a_gallery_page_keeps_its_captions() -> None:
    page = [
        '"It Happened One Night" (1935): It was one of the great underdog winners. Columbia Pictures Corporation',
        '"Casablanca" (1943): The wartime romance beat "For Whom the Bell Tolls." Warner Bros. Pictures',
        "Contributing: Associated Press",
    ]
    assert classify_lines(page) == [None, None, "note"]


def _record(text: str, i: int = 1) -> dict:
    return {"url": f"https://www.example.com/story/2023/01/05/story-{i}", "title": f"Story {i}", "text": text,
            "published": "2023-01-05", "authors": [], "source": "example.com"}  # fmt: skip


def test_ingest_stores_the_story_without_its_furniture(tmp_path: Path) -> None:
    page = [
        "Nick Perry",
        "Associated Press",
        (
            "WELLINGTON, New Zealand – New Zealand's government on Tuesday proposed taxing the greenhouse gasses "
            "that farm animals make."
        ),
        "Subscribe to our newsletter:The Daily Money delivers our top personal finance stories to your inbox",
        "The government said the farm levy would be a world first.",
        "Cows graze on a farm near Hamilton on Tuesday. Sanka Vidanagama/AFP/Getty Images",
        "Climate change denial:Misinformation on Facebook and TikTok is 'as bad as ever'",
        "Farmers would start to pay for emissions in 2025. — Nick Perry",
        "Contributing: Charlotte Graham-McLay",
    ]
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(_record("\n\n".join(page))) + "\n", encoding="utf-8")
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(path)], store)
    text = store.articles.get_by_url(_record("")["url"]).text
    assert text.split("\n\n") == [
        "New Zealand's government on Tuesday proposed taxing the greenhouse gasses that farm animals make.",
        "The government said the farm levy would be a world first.",
        "Farmers would start to pay for emissions in 2025.",
    ]
    assert {rule for rule in summary.removed_by_rule if rule.startswith("furniture")} == {
        "furniture: byline",
        "furniture: prompt",
        "furniture: credit",
        "furniture: related",
        "furniture: note",
    }
    assert summary.removed_by_rule["dateline"] == 1


AN = default_analyzer()
LIVE = (
    "Brad Pitt said he quit smoking during the pandemic because cutting back was not enough.\n\n"
    "Angelina Jolie exits train station as air-raid sirens go off during Ukraine visit, video shows\n\n"
    "Pitt delved deeper into his sobriety, saying he went to Alcoholics Anonymous meetings.\n\n"
    "Contributing: Melissa Ruggieri\n\n"
    "War and Covid lockdowns pressure inflation"
)


def test_quotes_never_hold_furniture() -> None:
    idx = index_sentences(LIVE, AN)
    assert idx.furniture is not None and list(idx.furniture) == [False, True, False, True, False]
    weights = {t: 1.0 for t in AN.analyze("Pitt sobriety smoking Jolie Ruggieri inflation")}
    found = window_features(idx, QuestionProfile(weights), set(), max_sentences=4, max_chars=600)
    assert found.lo.shape[0] > 0
    for lo, hi in zip(found.lo.tolist(), found.hi.tolist()):
        assert not np.any(idx.furniture[lo:hi])


def test_latest_lead_skips_the_author_block_and_notes() -> None:
    text = ("Darlene Superville\n\nAssociated Press\n\nEditor's note: This page will be updated.\n\n"
            "Ninety-eight Christmas trees deck the halls of the White House. It is her theme.")  # fmt: skip
    assert (
        lead_sentences(text, max_sentences=1)
        == "Ninety-eight Christmas trees deck the halls of the White House. …"
    )
