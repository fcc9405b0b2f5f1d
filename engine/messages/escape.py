"""Make event data harmless in Slack text.

Everything in a CloudTrail record can be chosen by whoever made the API call (user names,
role session names, `userAgent`, `requestParameters`). Slack turns `<!channel>`, `<@U123>`,
`<!subteam^S1>` into pings and `<https://evil|aws.amazon.com>` into a disguised link, so every
value taken from an event goes through `mrkdwn()` (or `url_part()` inside a URL) before it is
placed in any text, mrkdwn or plain_text alike: Slack decodes the three entities in every text
field, so escaping is always safe and never shows `&lt;` to the reader.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")
_FENCE = "```"
# Matches an AWS region name: us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, ...
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
# The only mention tokens a message may carry; they come from rule configuration, never events.
_MENTION = re.compile(r"<(?:!here|!channel|!everyone|@[UW][A-Z0-9]{2,}|!subteam\^[A-Z0-9]{2,})>")


def as_text(value: Any) -> str:
    """Any JSON value as display text: strings as they are, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float):
        text = json.dumps(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return valid_unicode(text)


def valid_unicode(text: str) -> str:
    """Replace lone surrogates (legal in JSON, not in UTF-8) so the text can be encoded."""
    if text.isascii() or not _LONE_SURROGATE.search(text):
        return text
    # A round trip through UTF-16 joins valid pairs and turns lone halves into U+FFFD.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def mrkdwn(value: Any) -> str:
    """Escape `&`, `<`, `>` (exactly these, as Slack asks) in a value from an event."""
    text = as_text(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def inline(value: Any) -> str:
    """`mrkdwn()` on one line: line breaks and tabs become spaces (a field, a one-line message)."""
    return _LINE_BREAKS.sub(" ", mrkdwn(value)).strip()


def in_code_block(value: Any) -> str:
    """Escaped text that cannot close the ``` block it is placed in (a zero-width space
    splits any fence inside the data)."""
    text = mrkdwn(value)
    return text.replace(_FENCE, "`\u200b`\u200b`") if _FENCE in text else text


def url_part(value: Any) -> str:
    """Percent-encode a value placed inside a URL (every reserved character too)."""
    return quote(as_text(value), safe="")


def url_value(value: Any) -> str:
    """A whole URL from a template placeholder: keep URL syntax, encode everything that could
    end a Slack link (`>`, `|`, spaces) or start a token (`<`)."""
    return quote(as_text(value), safe="/:?#[]@!$&'()*+,;=%-._~")


def is_region(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 30 and _REGION.fullmatch(value) is not None


def is_mention(token: Any) -> bool:
    return isinstance(token, str) and _MENTION.fullmatch(token) is not None


def unescape(text: str) -> str:
    """The inverse of `mrkdwn()`, for showing a message in a terminal."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
