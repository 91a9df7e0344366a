"""A user's text inside the dashboard's Markdown stays text."""

import re

import pytest

from skinapi.names import markdown_text

HOSTILE = [
    "**bold** and _it_",
    "[click](javascript:alert(1))",
    "# heading",
    "<img src=x onerror=alert(1)>",
    "`code` | table | ~~gone~~",
    "P-001.5 + $x$ :material/bomb:",
    "line one\nline two\x1b[31m",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_markdown_character_is_escaped_and_the_text_survives(text):
    shown = markdown_text(text)
    assert "\n" not in shown and "\x1b" not in shown
    assert not re.search(r"(?<!\\)[*_\[\]()#<>`|~$:]", shown.replace("\\\\", ""))
    unescaped = re.sub(r"\\(.)", r"\1", shown)
    assert unescaped == " ".join(text.replace("\x1b[31m", " ").split())  # no stray "[31m"


def test_long_text_is_bounded():
    assert len(markdown_text("a" * 5000)) <= 200


def test_one_line_strips_the_bidirectional_controls_that_reverse_a_name():
    from skinapi.names import markdown_text, one_line

    tricky = "photo\u202egpj.exe\u202c \u2066x\u2069\u200f"
    assert one_line(tricky) == "photo gpj.exe x"
    assert "\u202e" not in markdown_text(tricky)


def test_a_moment_is_written_one_way_and_a_damaged_one_does_not_raise():
    from datetime import datetime

    from skinapi.names import shown_day, shown_moment

    moment = datetime(2026, 12, 7, 14, 5, 9).timestamp()
    assert shown_day(moment) == "7 Dec 2026"
    assert shown_moment(moment) == "7 Dec 2026, 14:05"
    assert shown_moment(moment, seconds=True) == "7 Dec 2026, 14:05:09"
    for damaged in (1e20, -1e15, float("nan")):
        assert shown_moment(damaged) == shown_day(damaged) == "an unknown date"
