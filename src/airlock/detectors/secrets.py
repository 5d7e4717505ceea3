"""``secrets``: credentials as ``SECRET_CREDENTIAL`` findings (``category`` names the kind).

Fixed-format tokens (AWS, GitHub, GitLab, Slack, OpenAI/Anthropic-style, Google API keys,
Stripe, JWTs, PEM private keys, GCP service-account JSON, Azure storage keys, connection
strings and SAS tokens), passwords in URLs and ``password=`` assignments, and high-entropy
values after key-like names (``api_key = ...``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, Emit, Pattern, PatternSource
from airlock.detectors.registry import register
from airlock.detectors.settings import SecretsSettings, parse_settings

__all__ = ["Secrets", "shannon_entropy"]

# handler regexes, compiled once (the `re` module cache holds only 512)
_RX0 = re.compile(r"pass|pwd|密码|口令", re.IGNORECASE)
_RX1 = re.compile(r"[0-9]")

_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%\(?[a-z_]+\)?s?|"
    r"(?:your|my|the|a|an)?[-_ ]?(?:password|passwd|secret|token|key|pass|pwd|changeme|example|redacted|"
    r"placeholder|dummy|test|none|null|xxx)[-_a-z0-9]*)$",
    re.I,
)


def shannon_entropy(s: str) -> float:
    """Bits per character."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _secret(kind: str, score: float = 0.98, explanation: str = "") -> Emit:
    return Emit("SECRET_CREDENTIAL", score=score, category=kind, explanation=explanation or f"{kind} credential")


def _jwt(c: Candidate) -> Iterator[Finding]:
    head = c.text.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return
    if b'"alg"' in decoded or b'"typ"' in decoded:
        yield c.finding("SECRET_CREDENTIAL", score=0.97, category="jwt", explanation="JSON Web Token")


def _url_password(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    pw = c.match.group("pw")
    if _PLACEHOLDER.match(pw):
        return
    s, e = c.match.span("pw")
    yield c.finding(
        "SECRET_CREDENTIAL", start=s, end=e, score=0.95, category="url_password", explanation="password in a URL"
    )


def _assignment(threshold: float) -> Any:
    def handle(c: Candidate) -> Iterator[Finding]:
        assert c.match is not None
        key, value = c.match.group("key", "value")
        s, e = c.match.span("value")
        if _PLACEHOLDER.match(value) or len(value) < 6:
            return
        is_password = _RX0.search(key) is not None
        if is_password:
            if value.isalpha() and value.islower() and len(value) < 10:
                return  # a word, e.g. "password = required"
            yield c.finding(
                "SECRET_CREDENTIAL",
                start=s,
                end=e,
                score=0.9,
                category="password",
                explanation="password assigned in text or code",
            )
            return
        if len(value) >= 16 and shannon_entropy(value) >= threshold and _RX1.search(value):
            yield c.finding(
                "SECRET_CREDENTIAL",
                start=s,
                end=e,
                score=0.85,
                category="generic_api_key",
                explanation="high-entropy value assigned to a key-like name",
            )

    return handle


def _azure_account_key(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    s, e = c.match.span("key")
    yield c.finding(
        "SECRET_CREDENTIAL", start=s, end=e, score=0.97, category="azure_storage_key", explanation="Azure storage key"
    )


class Secrets(PatternSource):
    name = "secrets"

    def __init__(self, settings: SecretsSettings | None = None) -> None:
        self.settings = settings or SecretsSettings()
        nb = "(?<![A-Za-z0-9])"
        na = "(?![A-Za-z0-9])"
        self._patterns = (
            Pattern("secrets.aws_access_key", rf"{nb}(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[A-Z0-9]{{16}}{na}",
                    emit=_secret("aws_access_key_id")),
            Pattern("secrets.aws_secret_key",
                    r"(?i:aws_?secret_?(?:access_?)?key)[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?P<key>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
                    handler=_azure_like("aws_secret_access_key", "AWS secret access key")),
            Pattern("secrets.github_token", rf"{nb}(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{{36}}{na}",
                    emit=_secret("github_token")),
            Pattern("secrets.github_pat", rf"{nb}github_pat_[A-Za-z0-9_]{{82}}{na}", emit=_secret("github_token")),
            Pattern("secrets.gitlab_token", rf"{nb}glpat-[A-Za-z0-9_-]{{20}}{na}", emit=_secret("gitlab_token")),
            Pattern("secrets.slack_token", rf"{nb}xox[baprs]-[A-Za-z0-9-]{{10,72}}{na}", emit=_secret("slack_token")),
            Pattern("secrets.slack_webhook",
                    r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{20,32}",
                    emit=_secret("slack_webhook")),
            Pattern("secrets.openai_key", rf"{nb}sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{{20,164}}{na}",
                    emit=_secret("openai_api_key", 0.95)),
            Pattern("secrets.anthropic_key", rf"{nb}sk-ant-(?:api|admin)[0-9]{{2}}-[A-Za-z0-9_-]{{80,100}}{na}",
                    emit=_secret("anthropic_api_key")),
            Pattern("secrets.google_api_key", rf"{nb}AIza[0-9A-Za-z_-]{{35}}{na}", emit=_secret("google_api_key")),
            Pattern("secrets.stripe_key", rf"{nb}(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{{24,99}}{na}",
                    emit=_secret("stripe_key")),
            Pattern("secrets.jwt",
                    rf"{nb}eyJ[A-Za-z0-9_-]{{8,1024}}\.eyJ[A-Za-z0-9_-]{{8,4096}}\.[A-Za-z0-9_-]{{16,1024}}{na}",
                    handler=_jwt),
            Pattern("secrets.private_key",
                    r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----",
                    emit=_secret("private_key", 0.99, "PEM private key")),
            Pattern("secrets.gcp_service_account", r"\"type\"\s{0,3}:\s{0,3}\"service_account\"",
                    emit=_secret("gcp_service_account", 0.95, "GCP service-account key file")),
            Pattern("secrets.gcp_private_key_id", r"\"private_key_id\"\s{0,3}:\s{0,3}\"[0-9a-f]{40}\"",
                    emit=_secret("gcp_service_account", 0.97, "GCP service-account private key id")),
            Pattern("secrets.azure_connection_string",
                    r"AccountKey=(?P<key>[A-Za-z0-9+/]{86}==)", handler=_azure_account_key),
            Pattern("secrets.azure_sas", r"(?<![A-Za-z0-9])sig=[A-Za-z0-9%+/]{43,64}(?:%3D|=)",
                    emit=_secret("azure_sas_token", 0.9, "Azure shared access signature")),
            Pattern("secrets.azure_key_context",
                    r"(?i:azure|storage|account)[A-Za-z_ -]{0,20}(?i:key)[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
                    r"(?P<key>[A-Za-z0-9+/]{86}==)", handler=_azure_account_key),
            Pattern("secrets.url_password",
                    r"[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:(?P<pw>[^\s:/@]{3,128})@[A-Za-z0-9.-]{1,253}",
                    handler=_url_password),
            Pattern("secrets.assignment",
                    r"(?P<key>(?i:[A-Za-z0-9_.-]{0,30}(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|"
                    r"access[_-]?key|auth[_-]?key|private[_-]?key|client[_-]?secret)[A-Za-z0-9_.-]{0,20})|密码|口令|密钥)"
                    r"[\"']?\s{0,3}(?:[:=：]|:=|=>)\s{0,3}[\"']?(?P<value>[^\s\"',;]{4,200})",
                    handler=_assignment(self.settings.entropy_threshold)),
        )  # fmt: skip

    def patterns(self) -> Sequence[Pattern]:
        return self._patterns


def _azure_like(kind: str, explanation: str) -> Any:
    def handle(c: Candidate) -> Iterator[Finding]:
        assert c.match is not None
        s, e = c.match.span("key")
        yield c.finding("SECRET_CREDENTIAL", start=s, end=e, score=0.97, category=kind, explanation=explanation)

    return handle


@register("secrets")
def _factory(settings: Mapping[str, Any]) -> Secrets:
    return Secrets(parse_settings(SecretsSettings, settings, "secrets"))
