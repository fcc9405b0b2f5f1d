"""The `messages` stage: a record and its matched rules in, Slack messages out.

Pure: it knows nothing of how messages are sent. `route()` decides the channels (one alert per
channel per record), `render()` turns one alert into a `SlackMessage` that is escaped and
within Slack's limits whatever the record holds.

Which format an alert uses: the format of its most severe rule (the first in file order among
equals), the rule whose title heads the message. An unknown or broken format falls back to
`standard`, so an alert is never lost to a formatting mistake (`validate` reports those).
"""

from __future__ import annotations

import logging
from typing import Any

from engine.messages import limits
from engine.messages.builtin import compact, detailed, fallback_text, standard
from engine.messages.facts import Facts, facts
from engine.messages.message import SlackMessage
from engine.messages.routing import NO_CHANNEL, Alert, route
from engine.messages.seed import seed
from engine.messages.template import CompiledTemplate, TemplateError, compile_template
from engine.rules.model import RuleSet

__all__ = [
    "NO_CHANNEL",
    "Alert",
    "CompiledTemplate",
    "SlackMessage",
    "TemplateError",
    "compile_template",
    "render",
    "route",
]

log = logging.getLogger(__name__)

# Compiled custom formats per RuleSet. RuleSet has slots and no weakref, so the cache keys on
# id() and keeps the RuleSet itself alive beside its entry (so the id cannot be reused while
# cached); a handful of rule sets are alive at once at most, so the cache stays tiny.
_CACHE_SIZE = 8
_templates: dict[int, tuple[RuleSet, dict[str, CompiledTemplate | None]]] = {}


def _template(ruleset: RuleSet, name: str) -> CompiledTemplate | None:
    entry = _templates.get(id(ruleset))
    if entry is None or entry[0] is not ruleset:
        if len(_templates) >= _CACHE_SIZE:
            _templates.pop(next(iter(_templates)))
        entry = _templates[id(ruleset)] = (ruleset, {})
    compiled = entry[1]
    if name not in compiled:
        try:
            compiled[name] = compile_template(ruleset.formats[name])
        except TemplateError as error:
            log.warning("format %r cannot be used (%s); using standard", name, error)
            compiled[name] = None
    return compiled[name]


def _custom(template: CompiledTemplate, facts: Facts, record: dict[str, Any]) -> SlackMessage:
    text, blocks, attachments = template.render({**record, "alert": facts.template_values()})
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        text = fallback_text(facts)
    elif facts.mentions:
        text = " ".join(facts.mentions) + " " + text
    return SlackMessage(
        text=text,
        blocks=blocks if isinstance(blocks, list) else [],
        attachments=attachments if isinstance(attachments, list) else None,
    )


def render(alert: Alert, ruleset: RuleSet) -> SlackMessage:
    """The Slack message for `alert`, in the format of its primary rule."""
    record = alert.record
    about = facts(alert, ruleset)
    name = alert.primary.format or ruleset.defaults.format
    if name == "standard":
        message = standard(about, record)
    elif name == "compact":
        message = compact(about, record)
    elif name == "detailed":
        message = detailed(about, record)
    elif name == "seed":
        message = seed(about, record, ruleset.defaults.timezone)
    elif name in ruleset.formats and (template := _template(ruleset, name)) is not None:
        message = _custom(template, about, record)
    else:
        message = standard(about, record)
    # One last pass over whatever the format built: limits hold for every format.
    message.text = limits.truncate(message.text, limits.TEXT)
    message.blocks = limits.fit_blocks(message.blocks)
    if message.attachments is not None:
        message.attachments = limits.fit_attachments(message.attachments)
    return message
