"""Page furniture recognised by its shape: lines of a news page that are not the story's words.

Scraped pages carry, between and around the paragraphs of the story, lines that a reader of a quote
should never see: bylines and datelines, photo and video credits, gallery captions, "related" link
lines, contributor and editor notes, newsletter and subscription prompts. Learned chrome (see
:mod:`bot.ingest.chrome`) catches what repeats in many pages of a site; these rules catch what does
not repeat (a byline names a different reporter every time), by the shape every site gives such lines,
never by a list of publishers:

- **related**: a headline glued to a label (``More:Headline``, ``Fact check:Headline``,
  ``Why do dogs eat poop?How you can…``, ``►Headline``), or behind a link word (``Read more: …``);
- **byline**: ``By First Last``, a signed-off entry (``– First Last``), and at the top of a page the
  lines naming the author and the agency (``First Last`` / ``Associated Press``);
- **credit**: ``First Last/Agency`` alone, or closing a caption (``… in Kyiv. First Last/AP``): the
  caption line goes with it; ``(Photo: …)``, ``Sketch by …``, a video's ``02:13 - Source: …``;
- **caption**: a gallery (``Hide Caption 3 of 25``, several credited captions run together);
- **note**: ``Editor's note:``, ``Contributing:``, ``… contributed to this report``, corrections,
  ``Follow/Contact <reporter>`` with a handle, e-mail or phone, a pointer ending in ``… here``;
- **prompt**: an imperative (``Sign up``, ``Subscribe``, ``Get``, ``Join``…) about a newsletter, an
  inbox or a subscription, in a short line.

:func:`line_class` judges one line alone; :func:`strip_furniture` also removes the author block at the
top of a page, which only its place tells apart from a heading. The quote-time checks (a related
headline with no label, see :func:`is_loose_headline`) live here too, so the rules stay in one place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from .chrome import Removal
from .clean import ends_like_sentence, is_prose

CLASSES = ("byline", "credit", "caption", "related", "note", "prompt")
HEADER_SPAN = 5
"""The author block sits in the first lines of a page, before its first sentence."""
MAX_LINK_WORDS = 20
"""A related headline is short; a longer line after a glued label is a roundup entry (``Town:Text``)."""

# -- shared word shapes -------------------------------------------------------------------------------

_NAME_WORD = r"[A-Z][\w.'’-]*"
_PARTICLE = {"de", "da", "del", "della", "di", "du", "van", "von", "der", "den", "le", "la", "bin", "al", "el",
             "y", "and", "&", "of", "the", "st.", "jr.", "sr."}  # fmt: skip
_ROLE = {"staff", "contributor", "columnist", "correspondent", "reporter", "writer", "editor", "to", "for",
         "special", "opinion", "the", "and", "of", "at", "from", "in"}  # fmt: skip


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def is_name_list(text: str, max_words: int = 8) -> bool:
    """'First Last', 'First Last and Other Name', 'Marco della Cava', 'LARRY LAGE': people's names only."""
    words = text.replace(",", " ").split()
    if not words or len(words) > max_words:
        return False
    caps = sum(1 for w in words if _capitalised(w))
    return caps >= 2 and all(_capitalised(w) or w.lower() in _PARTICLE for w in words)


def _is_org_line(text: str, max_words: int = 6) -> bool:
    """'Associated Press', 'USA TODAY', 'AP', 'Detroit Free Press staff', 'Opinion contributor' (one word
    only in capitals: 'Alabama' heads a roundup's entry)."""
    words = text.split()
    if not words or len(words) > max_words or (len(words) == 1 and not text.isupper()):
        return False
    return _capitalised(words[0]) and all(_capitalised(w) or w.lower() in _ROLE for w in words)


# -- notes and prompts -----------------------------------------------------------------------------------

_NOTE_HEAD = re.compile(
    r"^\(?\s*(?:editor['’]?s['’]? ?notes?|corrections? (?:&|and) clarifications?|corrections?|clarifications?)"
    r"\s*:",
    re.IGNORECASE,
)
_CONTRIBUTING = re.compile(
    r"^(?:Contributing(?: reporters?| writers?)?\s*:|CONTRIBUTING\b|Contributing\s+[A-Z])"
)
_CONTRIBUTED = re.compile(
    r"\bcontributed(?: reporting| to (?:this|the) (?:report|story|article|coverage))(?: from [^.]{1,60})?[.)]*$"
)
_CONTACT = re.compile(r"^(?:Follow|Contact|Reach|E-?mail|Send|Write to|Questions\?)\b")
_HANDLE = re.compile(
    r"@\w|\w@\w|\d{3}[-.)]\s?\d{3}[-.]\d{4}|\bon (?:Twitter|X|Facebook|Instagram|Threads|Bluesky|TikTok)\b"
)
_UPDATED = re.compile(
    r"^\(?(?:This (?:story|article|report|post|page) (?:has been|was|will be|is being|is) "
    r"(?:updated|corrected|edited|originally|first)|"
    r"(?:This|A version of this) (?:story|article|report) (?:originally |first )?(?:appeared|was published))",
    re.IGNORECASE,
)
_PROMPT_WORDS = ("newsletter", "inbox", "subscri", "sign up", "podcast")  # looked up in the lower-cased line
_IMPERATIVE = re.compile(
    r"(?:^|[.?!:;)(►•]\s*)(?:Sign up|SIGN UP|Subscribe|SUBSCRIBE|Get|GET|Follow|FOLLOW|Join|JOIN|Register|"
    r"Download|Click|Tap|Listen|Never miss|NEVER MISS|Don['’]t miss|Want|Like|Support|Stay up to date|Keep up)\b"
)
_CONTINUES = re.compile(r"^\(?(?:The )?(?:story|article|report) continues (?:below|after)\b", re.IGNORECASE)
_HERE = re.compile(
    r"(?:^|[.?!:]\s*)(?:Read|Follow|See|Visit|Click|Check out|Catch up|Find|Watch|Listen|Get)\b[^.?!]{0,120}"
    r"\bhere\s*[.!]?\)?$"
)


_NOTE_FIRST = frozenset("(ECcTtA")


def _note_or_prompt(line: str, words: int) -> str | None:
    if line[0] in _NOTE_FIRST and (
        _NOTE_HEAD.match(line) or _CONTRIBUTING.match(line) or _UPDATED.match(line)
    ):
        return "note"
    if words > 50:
        return None
    if words <= 45 and "contributed" in line and _CONTRIBUTED.search(line):
        return "note"
    if words <= 45 and _CONTACT.match(line) and _HANDLE.search(line):
        return "note"
    low = line.lower()
    if any(word in low for word in _PROMPT_WORDS) and _IMPERATIVE.search(line):
        return "prompt"
    if words <= 30 and line.rstrip(".!) ").endswith("here") and _HERE.search(line):
        return "note"
    if words <= 8 and _CONTINUES.match(line):
        return "note"
    return None


# -- related links ---------------------------------------------------------------------------------------

_LINK_WORDS = (
    r"More|Related|Read|Read more|Read the (?:full|whole) story(?: here)?|Also read|See also|See|Watch|Video|"
    r"Videos|Photos?|Gallery|Listen|Podcast|Previously|Previous|ICYMI|Live updates|Recommended|You (?:may|might) "
    r"(?:also )?like|Opinion|Column|Analysis|Editorial|Fact check|Review|Story|Background|Required reading|"
    r"For subscribers|Top stories|Trending|Explainer|Recap|Latest|Coverage|Related coverage|More coverage|"
    r"More (?:from|on|about|in) [\w .'’-]{1,30}|More [\w'’-]+(?: [\w'’-]+)? (?:news|stories|coverage)|"
    r"(?:Other|More|Related|Top) (?:stories|articles|reads|coverage)\b[\w ]{0,25}"
)
_LINK_LABEL = re.compile(rf"^(?:[►▶»→]\s*)?(?:{_LINK_WORDS})\s*(?::\s*(?P<rest>.*)|$)", re.IGNORECASE)
_GLUED_LABEL = re.compile(r"^(?P<label>[^:\n]{2,70}?)(?<=[A-Za-z)'’\"”!?])\:(?=[A-Z0-9‘'\"“¿$])(?P<rest>.+)$")
_GLUED_QUESTION = re.compile(r"^[^?\n]{5,120}\?(?=[A-Z‘“¿])(?P<rest>.+)$")
_YOU_MAY_LIKE = re.compile(r"^You (?:may|might) (?:also )?like", re.IGNORECASE)
_ARROW = re.compile(r"^[►▶»→]")
_SENTENCE_INSIDE = re.compile(r"[.!?][\"'”’)]*\s+[A-Z]")


def _related(line: str, words: int) -> bool:
    if words > 40:
        return False
    m = _LINK_LABEL.match(line)
    if m and (len((m.group("rest") or "").split()) <= 30 if m.group("rest") is not None else 2 <= words <= 6):
        return True  # 'Read more: …', 'More:…'; without a colon only a heading of links ('Other stories worth your time')
    if ":" in line:
        m = _GLUED_LABEL.match(line)
        if m and len(m.group("label").split()) <= 10 and 4 <= len(m.group("rest").split()) <= MAX_LINK_WORDS:
            return True
    if "?" in line:
        m = _GLUED_QUESTION.match(line)
        if m and 3 <= len(m.group("rest").split()) <= MAX_LINK_WORDS:
            return True
    if line[0] == "Y" and _YOU_MAY_LIKE.match(line):
        return True
    return (
        bool(_ARROW.match(line))
        and 5 <= words <= 30
        and not ends_like_sentence(line)
        and not line[1:3].strip()[:1].isdigit()
    )


# -- credits, captions, bylines --------------------------------------------------------------------------

_ORG = r"[A-Za-z][\w.&'’ -]{0,40}?"
_CREDIT = (
    rf"{_NAME_WORD}(?:\s(?:of\s|the\s|de\s)?{_NAME_WORD}){{0,3}}(?:\s?/\s?{_ORG}(?:,\s?[A-Z]{{2,4}})?){{1,5}}"
)
_CREDIT_ONLY = re.compile(rf"^{_CREDIT}$")
_CREDIT_AFTER_CAPTION = re.compile(rf"[.!?”\"’)]\s+{_CREDIT}$")
# A credit without a slash ('… on Thursday. CNN Weather', '… in 1999. Everett Collection', '… Yale last
# week. Courtesy Dr. Ijeoma Opara'): capitalised words after a caption's last sentence, no end punctuation.
_ORG_AFTER_CAPTION = re.compile(
    r"[a-z0-9]{2}(?<!vs)[.!?][”\"’)]?\s+(?:Courtesy\s|From\s)?(?!LISTEN|WATCH|READ|MORE)"
    r"(?:[A-Z][\w&'’-]*(?:\s(?:[A-Z][\w&'’.-]*|of|the|and|for|de|la|van|von)){1,8}|[A-Z]{3,}|"
    r"[A-Z][\w'’-]+(?:,\s[A-Z][\w'’-]+)*\set al\.?\s\d{4})$"
)
# '… The Vikings still trailed 27-14. — Chris Bumbaca': a live-blog entry signed off at its end.
_SIGNED_OFF = re.compile(
    r"(?:[a-z0-9]{2}[.!?]|[.!?][”\"’)])\s+(?P<sign>[–—−]{1,2}\s?(?P<name>[A-Z][^.!?:;–—]{2,60}))$"
)
# '… newspaper Chris J Ratcliffe/Getty Images': a credit closing a caption that has no full stop.
_CREDIT_TAIL = re.compile(
    rf"[a-z0-9,]\s{_NAME_WORD}\s{_NAME_WORD}(?:\s{_NAME_WORD}){{0,2}}(?:\s?/\s?{_ORG}){{1,5}}$"
)
_NOT_NAME = r"(?!(?:But|And|So|The|A|An|In|On|At|For|If|When|While|This|That|It|He|She|They|We)\s)"
_CREDIT_FIRST = re.compile(
    rf"^{_NOT_NAME}{_NAME_WORD}\s{_NAME_WORD}(?:\s{_NAME_WORD}){{0,2}}\s?/\s?[A-Z][\w.&'’-]*(?:/\S+)*\s[A-Z]"
)
_CREDIT_INSIDE = re.compile(
    rf"[.!?)”\"’]\s{_NOT_NAME}{_NAME_WORD}\s{_NAME_WORD}(?:\s{_NAME_WORD}){{0,2}}/[A-Z][\w&'’-]*"
)
_CREDIT_WORDS = re.compile(
    r"^\(?(?:(?:Photo|Image|Video|Illustration|Graphic|Sketch|Photograph|Picture)s?\s*(?:credit|courtesy)?\s*:|"
    r"(?:Photo|Image|Video|Illustration|Graphic|Sketch|Photograph|Picture)s?\s+(?:by|courtesy of)\s+[A-Z]|"
    r"(?:Photo|Image) credit\b|Credit\s*:)",
    re.IGNORECASE,
)
_CREDIT_PAREN = re.compile(
    r"\((?:Photo|Image|Video|Picture)s?(?: credit)?\s*:[^()]{2,80}\)\s*$", re.IGNORECASE
)
_AGENCY_CAPTION = re.compile(
    r"^(?:[A-Z][A-Z .,'’-]{2,40}\s[-–—]\s(?:JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|"
    r"NOVEMBER|DECEMBER)\s\d{1,2}:\s|[A-Z][a-z]{2,8}\.?\s\d{1,2},\s\d{4};\s[^;]{3,80};\s)"
)  # agencies' photo captions: 'WASHINGTON, DC - JANUARY 26: The U.S. Supreme Court building on the day…',
# 'Feb 26, 2022; Washington, District of Columbia, USA; Fans fly the flag of Ukraine…'
_BY_AFTER_CAPTION = re.compile(
    rf"[.!?”\"’)]\s+(?:Sketch|Photo|Photograph|Illustration|Image|Video)s?\s+(?:by|courtesy of)\s+{_NAME_WORD}"
    rf"(?:\s{_NAME_WORD}){{0,3}}$"
)
_MEDIA_SOURCE = re.compile(r"\d{1,2}:\d{2}\s*-\s*Source:\s*\S.{0,40}$")
_GALLERY = re.compile(r"\bHide Caption \d+ of \d+|^Photos:\s+\S.{60,}|^\d+ of \d+\s*$|^(?:Expand|Open) (?:gallery|photos)\b",
                      re.IGNORECASE)  # fmt: skip
_GREETING = re.compile(
    r"^\W{0,12}(?:(?:Hey|Hi|Hello)!?\s?[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+){1,2} here\b|"
    r"I['’]m [A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+){1,2}, [\w ]{0,40}(?:author|editor|writer|reporter|columnist|host)\b)"
)  # a newsletter's greeting: '👋 Hey!Laura Davis here.', "I'm Nicole Fallert, Daily Briefing author."
_BY = re.compile(r"^By\s+(?P<rest>[^.!?:;]{3,60}(?:[,/|].{0,60})?)$")
_SIGNOFF = re.compile(r"^[–—−-]{1,2}\s*(?P<rest>\S.{1,150})$")


def _credit_or_caption(line: str, words: int) -> str | None:
    if ("Caption" in line or line[:7] == "Photos:" or words <= 4) and _GALLERY.search(line):
        return "caption"
    if words <= 14 and _CREDIT_WORDS.match(line):
        return "credit"
    if line[0].isupper() and _AGENCY_CAPTION.match(line):
        return "caption"
    if "by" in line[-60:] and _BY_AFTER_CAPTION.search(line[-80:]):
        return "credit"
    if line[-1] == ")" and _CREDIT_PAREN.search(line):
        return "credit"
    if "Source:" in line and _MEDIA_SOURCE.search(line):
        return "credit"
    if words >= 8 and not ends_like_sentence(line):
        m = _ORG_AFTER_CAPTION.search(line[-90:])
        if m and line[: len(line) - 90 + m.start() if len(line) > 90 else m.start()].count(" ") >= 4:
            return "credit" if not _SIGNED_OFF.search(line[-70:]) else None
    if "/" not in line:
        return None
    if words >= 30 and len(_CREDIT_INSIDE.findall(line)) >= 2:
        return "caption"  # several credited captions run together: a gallery
    if words <= 10 and _CREDIT_ONLY.match(line):
        return "credit"
    if _CREDIT_AFTER_CAPTION.search(line[-120:]):
        return "credit"
    if words >= 6 and not ends_like_sentence(line) and _CREDIT_TAIL.search(line[-120:]):
        return "credit"
    if _CREDIT_FIRST.match(line) and ends_like_sentence(line):
        return "credit"
    return None


def _byline(line: str) -> bool:
    if _GREETING.match(line):
        return True
    m = _BY.match(line)
    if m:
        head = re.split(r"\s*[,/|;]\s*", m.group("rest"), maxsplit=1)[0]
        return is_name_list(head, max_words=8) and len(line.split()) <= 16
    m = _SIGNOFF.match(line)
    if m and len(line.split()) <= 20 and ":" not in line and "“" not in line and '"' not in line:
        parts = re.split(r"\s*[,;]\s*", m.group("rest").rstrip(". "))
        return is_name_list(parts[0], max_words=6)
    return False


# -- the recognizer ----------------------------------------------------------------------------------------


def line_class(line: str) -> str | None:
    """The furniture class of a whole line (one paragraph), or None when it is the article's text.

    Judges the line alone; the author block at the top of a page also needs its place (see
    :func:`header_byline`).
    """
    line = line.strip()
    if not line:
        return None
    words = line.count(" ") + 1
    if words > 400:
        return None  # a wall of text (a whole page on one line) is prose, whatever its edges look like
    found = _note_or_prompt(line, words) or _credit_or_caption(line, words)
    if found:
        return found
    if _related(line, words):
        return "related"
    if words <= 30 and _byline(line):
        return "byline"
    return None


def header_byline(line: str) -> bool:
    """A line of the author block at the top of a page: names ('First Last', 'A, B and C'), the agency
    or paper ('Associated Press', 'USA TODAY', 'Detroit Free Press staff'), no sentence."""
    line = line.strip()
    if not line or ends_like_sentence(line) and not line.endswith("."):
        return False
    text = line.rstrip(".")
    return is_name_list(text) or _is_org_line(text)


_LINK_TAIL = re.compile(
    r"(?<=[.!?”\"’)])\s+(?:Read more|Read More|READ MORE|Learn more|Watch more)\s*[.›»>]*$"
)


def link_tail(line: str) -> int | None:
    """Where a paragraph's closing link word starts ('… the Republican Party. Read more'), or None."""
    m = _LINK_TAIL.search(line[-30:])
    return None if m is None else len(line) - len(line[-30:]) + m.start()


def signed_off(line: str) -> int | None:
    """Where a live-blog entry's closing signature starts ('… trailed 27-14. — Chris Bumbaca', '… — Seth
    Vertelney, Pro Soccer Wire'), or None; a quote's attribution ('— Rolling Stone, 1980') is no
    signature."""
    if "–" not in line[-70:] and "—" not in line[-70:] and "−" not in line[-70:]:
        return None
    m = _SIGNED_OFF.search(line[-90:])
    if m is None:
        return None
    name, _, org = m.group("name").strip().partition(",")
    if not is_name_list(name, max_words=6) or (org.strip() and not _is_org_line(org.strip())):
        return None
    return len(line) - len(m.group("sign"))


PAGE_SHARE = 0.5
"""When captioned pictures or link-shaped lines hold this share of a page, they are the page's own
format (every best-picture winner with its studio's credit, a list of property sales with '»' bullets),
and they are its content. A gallery block ('Hide Caption 3 of 25') never is."""
_NEVER_CONTENT = frozenset({"byline", "note", "prompt", "caption"})


def classify_lines(lines: list[str]) -> list[str | None]:
    """The furniture class of each line of one page (None for the story's lines).

    Besides :func:`line_class`, the author block at the top counts as bylines; and when captions,
    credits or related-looking lines make up most of the page, they are the page's content and kept.
    """
    found: list[str | None] = []
    header = True
    for i, line in enumerate(lines):
        cls = line_class(line)
        if cls is None and header and i < HEADER_SPAN and header_byline(line):
            cls = "byline"
        found.append(cls)
        header = header and (cls is not None or not is_prose(line))
    shaped = sum(len(line) for line, cls in zip(lines, found) if cls and cls not in _NEVER_CONTENT)
    if shaped and shaped >= PAGE_SHARE * sum(len(line) for line in lines):
        found = [cls if cls in _NEVER_CONTENT else None for cls in found]
    return found


def strip_furniture(lines: list[str]) -> tuple[list[str], list[Removal]]:
    """The lines that are not furniture, and what was removed (rule ``furniture: <class>``).

    Whole lines, and an entry's closing signature: the story's sentences are never rewritten.
    """
    kept: list[str] = []
    removed: list[Removal] = []
    for line, found in zip(lines, classify_lines(lines)):
        if found is not None:
            removed.append(Removal(f"furniture: {found}", line))
            continue
        for cls, cut in (("byline", signed_off(line)), ("related", link_tail(line))):
            if cut is not None:
                removed.append(Removal(f"furniture: {cls}", line[cut:].strip()))
                line = line[:cut].rstrip()
        kept.append(line)
    return kept, removed


# -- quote time ---------------------------------------------------------------------------------------------

LOOSE_MIN_WORDS = 7
LOOSE_MAX_WORDS = 20
LOOSE_MAX_OVERLAP = 0.5


def is_loose_headline(line: str, terms: Collection[str], following: Iterable[str]) -> bool:
    """A headline-shaped line (no end punctuation, a headline's length) whose words the lines after it do
    not take up: it heads nothing, so it is a link to another story ('Angelina Jolie exits train station
    as air-raid sirens go off during Ukraine visit, video shows' inside a Brad Pitt interview).

    ``terms`` are the line's analysed terms, ``following`` the analysed terms of what follows it. A
    subheading ('A critical summit') is shorter, and a live-blog entry's heading shares its words with
    the entry. Only used at quote time: a quote never spans or ends on such a line, but it stays searchable.
    """
    words = line.count(" ") + 1
    if words < LOOSE_MIN_WORDS or words > LOOSE_MAX_WORDS or ends_like_sentence(line) or line.endswith(":"):
        return False
    own = set(terms)
    if not own:
        return False
    return len(own & set(following)) / len(own) < LOOSE_MAX_OVERLAP
