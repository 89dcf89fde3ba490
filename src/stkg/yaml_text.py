"""YAML for the headers stkg reads (`.rq` files, rules, SSSOM metadata): safe and without aliases.

`yaml.safe_load` builds no objects, but it does follow aliases, so a few hundred bytes of
`&a [*b, *b, …]` nest into a structure that takes billions of steps to walk or print (the
YAML "billion laughs"). No header stkg reads needs an alias, so one is refused as a YAML
error at its line, handled like any other malformed header.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise ComposerError(
                None, None, "aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """The YAML document in `text`, read safely; an alias raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=_NoAliasLoader)
