"""A logging filter that keeps secrets and personal identifiers out of every log line.

It rewrites each record's final message (and traceback text) before any handler formats it:
- values of secret-looking keys (password, token, session key, passport/document number...),
  whether written `key=value`, `key: value` or as a quoted dict/JSON item;
- anything shaped like a passport number (1-2 letters then 6-9 digits, e.g. E12345678);
- anything shaped like a Django session key (32 lower-case letters and digits).
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"

_SENSITIVE_NAMES = (
    r"password\d?|passwd|pwd|secret|token|otp|code|api[_-]?key|authorization|cookie|"
    r"session(?:id|_key)?|csrftoken|csrfmiddlewaretoken|passport(?:_number)?|"
    r"document_number|number_encrypted|travel_document|doc_number"
)
# `key=value` / `key: value` / `"key": "value"` / `'key': 'value'`
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?(?:[\w-]*?)(?:{_SENSITIVE_NAMES})["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<value>"[^"]*"|'[^']*'|[^\s,;&}}\]]+)
    """
)
_PASSPORT = re.compile(r"\b[A-Za-z]{1,2}\s?\d{6,9}\b")
_SESSION_KEY = re.compile(r"\b[a-z0-9]{32}\b")


def redact(text: str) -> str:
    text = _KEY_VALUE.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    text = _PASSPORT.sub(MASK, text)
    return _SESSION_KEY.sub(MASK, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a badly formatted record: keep its raw text, still redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
