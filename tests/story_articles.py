"""Small hand-written articles for the story tests: one event told by three outlets, and others.

The NATO articles paraphrase each other the way outlets do (different titles, the same names, place and
numbers); the others share a word or two with them and must stay apart.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.models import Article


def story_articles(day: date, first: int = 100) -> list[Article]:
    """Three outlets on the NATO Bucharest meeting (``day``, and the next day), in publication order."""
    return [
        Article(
            url=f"https://www.dw.com/en/nato-bucharest/a-{first}",
            title="NATO ministers meet in Bucharest, pledge winter aid for Ukraine",
            text=(
                "NATO foreign ministers meeting in Bucharest on Tuesday pledged more winter aid for Ukraine, "
                "as Russian strikes on power plants left millions without heating. Secretary-General Jens "
                "Stoltenberg said the alliance would help Kyiv repair its grid and send generators.\n\n"
                "The two-day meeting in the Romanian capital also discussed Moldova and Georgia."
            ),
            published=day,
            source="dw.com",
        ),
        Article(
            url=f"https://apnews.com/article/nato-bucharest-ukraine-{first + 1}",
            title="In Bucharest, NATO allies promise Ukraine help to get through the winter",
            text=(
                "BUCHAREST, Romania (AP) — NATO allies promised on Tuesday to help Ukraine through the "
                "winter after Russian strikes on power plants, with Secretary-General Jens Stoltenberg "
                "saying in Bucharest that foreign ministers agreed to send generators and repair the "
                "grid.\n\n"
                "Ministers also weighed support for Moldova and Georgia."
            ),
            published=day,
            source="apnews.com",
        ),
        Article(
            url=f"https://www.cnn.com/2022/11/30/europe/nato-bucharest-ukraine-winter-{first + 2}",
            title="NATO foreign ministers in Bucharest vow winter help for Ukraine's power grid",
            text=(
                "(CNN) NATO foreign ministers gathered in Bucharest vowed to keep helping Ukraine through "
                "the winter, Secretary-General Jens Stoltenberg said, after Russian strikes on power "
                "plants and the grid. Allies will send generators and help Kyiv repair its heating.\n\n"
                "The Romanian capital hosted the meeting."
            ),
            published=day + timedelta(days=1),
            source="cnn.com",
        ),
    ]


def other_articles(day: date, first: int = 200) -> list[Article]:
    """Articles of the same days on other events (two of them about NATO or Ukraine, one a roundup)."""
    return [
        Article(
            url=f"https://www.example.com/grain-{first}",
            title="Black Sea grain deal extended for four months",
            text=(
                "The Black Sea grain deal that lets Ukraine export wheat through its ports was extended for "
                "another four months, the United Nations and Turkey said on Tuesday."
            ),
            published=day,
            source="example.com",
        ),
        Article(
            url=f"https://www.example.com/nato-spending-{first + 1}",
            title="NATO members raise defence spending",
            text=(
                "Several NATO members said they would raise defence spending to two percent of output next "
                "year, citing Russia's war and the cost of new air defence systems."
            ),
            published=day,
            source="example.com",
        ),
        Article(
            url=f"https://www.usatoday.com/story/news/{first + 2}",
            title="NATO in Bucharest, a grain deal, World Cup upsets. It's Tuesday's news.",
            text=(
                "NATO ministers met in Bucharest and pledged winter aid for Ukraine. The grain deal was "
                "extended. And the World Cup had more upsets.\n\n"
                "👋 It's Laura. It's Tuesday. And it's time for the news."
            ),
            published=day,
            source="usatoday.com",
        ),
    ]
