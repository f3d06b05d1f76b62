"""Telegram's HTML and MarkdownV2 parse modes, as the fake server applies them (no HTTP involved)."""

from __future__ import annotations

import pytest

from tests.botapi.entities import Entity, detect_entities, trim, utf16_len
from tests.botapi.html_entities import HtmlParseError, parse_html
from tests.botapi.markdown_entities import MarkdownParseError, parse_markdown_v2


def kinds(source: str) -> list[tuple[str, int, int]]:
    return [(e.type, e.offset, e.length) for e in parse_html(source)[1]]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_each_allowed_tag_becomes_its_entity(tag: str, kind: str) -> None:
    assert parse_html(f"x<{tag}>yz</{tag}>") == ("xyz", [Entity(kind, 1, 2)])


def test_offsets_are_utf16_code_units() -> None:
    text, entities = parse_html("😀 <b>bold</b>")
    assert text == "😀 bold"
    assert entities == [Entity("bold", 3, 4)]
    assert utf16_len(text) == 7


def test_special_tags_span_pre_language_expandable_and_emoji() -> None:
    assert kinds('<span class="tg-spoiler">s</span>') == [("spoiler", 0, 1)]
    assert parse_html('<pre><code class="language-python">x = 1</code></pre>')[1] == [
        Entity("pre", 0, 5, language="python")
    ]
    assert kinds("<blockquote expandable>q</blockquote>") == [("expandable_blockquote", 0, 1)]
    assert parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')[1] == [
        Entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")
    ]


def test_links_are_normalised_invalid_ones_dropped() -> None:
    text, entities = parse_html(
        '<a href="https://Example.com">a</a> <a href="javascript:x()">b</a> <a href="tg://user?id=42">c</a>'
    )
    assert text == "a b c"
    assert entities == [
        Entity("text_link", 0, 1, url="https://example.com/"),
        Entity("text_mention", 4, 1, user_id=42),
    ]


def test_html_entities_named_numeric_and_lenient_ampersand() -> None:
    assert parse_html("&lt;b&gt; &amp; &quot; &#65;&#x42; &nbsp; AT&T")[0] == '<b> & " AB &nbsp; AT&T'


def test_empty_tags_produce_no_entity() -> None:
    assert parse_html("<b></b>x") == ("x", [])


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("line<br>next", 'Unsupported start tag "br" at byte offset 4'),
        ("<p>x</p>", 'Unsupported start tag "p"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<blockquote>a<blockquote>b</blockquote></blockquote>", "can't be nested"),
        ("<b", "Unclosed start tag"),
        ("<a href=x!y>z</a>", "Unexpected end of name token"),
    ],
)
def test_refusals_match_telegram(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError, match=error.replace("(", r"\(")):
        parse_html(source)


def test_byte_offsets_in_errors_count_utf8_bytes() -> None:
    with pytest.raises(HtmlParseError, match="at byte offset 6"):
        parse_html("ä😀<x>")


def test_trim_strips_whitespace_and_clips_entities() -> None:
    assert trim("\n  <x>  \n", []) == ("<x>", [])
    assert trim("  ab  ", [Entity("bold", 0, 4)]) == ("ab", [Entity("bold", 0, 2)])


def test_detects_commands_mentions_urls_hashtags() -> None:
    text = "/ask@thebot hi @someone see https://dw.com/x. #nato"
    found = {(e.type, text[e.offset : e.end]) for e in detect_entities(text)}
    assert found == {
        ("bot_command", "/ask@thebot"),
        ("mention", "@someone"),
        ("url", "https://dw.com/x"),
        ("hashtag", "#nato"),
    }


def test_escaped_markup_shown_as_text_is_not_a_command() -> None:
    assert detect_entities("a <b>bold</b> tag") == []


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse_markdown_v2(r"*bold* _it_ __u__ ~s~ ||sp|| `c` [l](https://x.org) 1\.5")
    assert text == "bold it u s sp c l 1.5"
    assert [e.type for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Done.", "Character '.' is reserved"),
        ("a - b", "Character '-' is reserved"),
        ("*bold", "Can't find end of Bold entity"),
    ],
)
def test_markdown_v2_refusals(source: str, error: str) -> None:
    with pytest.raises(MarkdownParseError, match=error):
        parse_markdown_v2(source)
