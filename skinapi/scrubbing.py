"""Masking the API key out of text and JSON before it is raised, printed or recorded: a server
that echoes the key, whole or cut, never gets it any further than the transport."""

from __future__ import annotations

KEY_PIECE = 8
"""Any run of this many characters of the key is masked wherever it shows up."""


class KeyScrubber:
    def __init__(self, api_key: str):
        self._api_key = api_key

    def scrub(self, text: str) -> str:
        """`text` with the key masked, and any piece of it of KEY_PIECE characters or more: a
        server that echoes the key, whole or cut, never gets it printed or stored."""
        key = self._api_key
        if not key or not text:
            return text
        if len(key) <= KEY_PIECE:
            return text.replace(key, "***")
        hidden = [False] * len(text)
        for start in range(len(key) - KEY_PIECE + 1):
            piece, at = key[start : start + KEY_PIECE], text.find(key[start : start + KEY_PIECE])
            while at != -1:
                hidden[at : at + KEY_PIECE] = [True] * KEY_PIECE
                at = text.find(piece, at + 1)
        if not any(hidden):
            return text
        out, previous = [], False
        for char, masked in zip(text, hidden, strict=True):
            if masked and not previous:
                out.append("***")
            elif not masked:
                out.append(char)
            previous = masked
        return "".join(out)

    def scrub_json(self, value):
        """A JSON value with the key masked wherever it appears (an echoing server)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_json(v) for v in value]
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_json(v) for k, v in value.items()}
        return value
