"""Data subjects: from findings to keyed hashes of people, linking what belongs together.

:func:`subjects_from` is the only place that sees raw identifier values. Each identifier is
normalised (separators stripped, ID check character upper-cased, e-mail lower-cased, phones
in E.164 where the country is known), then HMAC-SHA256'd with the ledger key and truncated to
128 bits. The raw values never leave the function.

Linking rule (one request; documented in docs/ledger.md):

1. The same normalised identifier anywhere in the request is one node.
2. Inside one text (one message part), identifiers are linked when they sit in the same
   paragraph (blank-line separated) and that paragraph holds at most one distinct value of each
   identifier kind. Otherwise each line of the paragraph is tried the same way. A line holding
   two values of one kind (two phones, two ID numbers) links nothing: each value is its own
   person.
3. Two groups are never merged when the result would hold two different values of one kind
   (two resident IDs are two people), whatever path would connect them.
4. When in doubt the rule does not link, so the ledger over-counts, never under-counts.

A person is sensitive when any identifier of theirs is sensitive, or when a sensitive finding
that is not an identifier (e.g. a medical term) sits in the same line (else paragraph, else
text) as their identifiers; the PIPL Art. 28 categories are kept.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from airlock.detectors.base import Finding
from airlock.errors import ConfigError

__all__ = [
    "CATEGORY_BITS",
    "IDENTIFIER_KINDS",
    "KEY_MIN_LENGTH",
    "STRONG_KINDS",
    "Subject",
    "categories_from_bits",
    "categories_to_bits",
    "key_id",
    "load_key",
    "normalise",
    "subjects_from",
]

KEY_MIN_LENGTH = 32

#: canonical entity type → identifier kind (types of one kind hash alike: CN_PHONE and PHONE
#: finding the same number give the same hash)
IDENTIFIER_KINDS: dict[str, str] = {
    "CN_RESIDENT_ID": "cn_resident_id",
    "CN_PASSPORT": "passport",
    "PASSPORT": "passport",
    "CN_HMT_PERMIT": "hmt_permit",
    "PAYMENT_CARD": "account",
    "BANK_ACCOUNT": "account",
    "CN_PHONE": "phone",
    "PHONE": "phone",
    "EMAIL": "email",
    "PERSON": "name",
    "ADDRESS": "address",
}
#: the person key is the hash of the highest-priority identifier of the group
_PRIORITY = ("cn_resident_id", "passport", "hmt_permit", "account", "phone", "email", "name", "address")
#: government identity documents: one per person, so they anchor a person on their own
STRONG_KINDS = frozenset({"cn_resident_id", "passport", "hmt_permit"})

#: PIPL Art. 28 categories as bits (stored per person); anything else is ``other``
CATEGORY_BITS: dict[str, int] = {
    "biometric": 1,
    "religion": 2,
    "specific_identity": 4,
    "medical_health": 8,
    "financial_account": 16,
    "whereabouts": 32,
    "minor_under_14": 64,
    "other": 128,
}


def categories_to_bits(categories: Sequence[str]) -> int:
    bits = 0
    for c in categories:
        bits |= CATEGORY_BITS.get(c, CATEGORY_BITS["other"])
    return bits


def categories_from_bits(bits: int) -> list[str]:
    return [name for name, bit in CATEGORY_BITS.items() if bits & bit]


# --------------------------------------------------------------------------- key


def load_key(env: str = "AIRLOCK_LEDGER_KEY") -> bytes:
    """The HMAC key from the environment; refuse to run without a strong one (fail closed)."""
    value = os.environ.get(env)
    if not value:
        raise ConfigError(
            f"ledger is enabled but the environment variable {env} is not set: set it to a random "
            f"secret of at least {KEY_MIN_LENGTH} characters (e.g. `openssl rand -hex 32`)"
        )
    if len(value) < KEY_MIN_LENGTH:
        raise ConfigError(f"{env} is too short: use at least {KEY_MIN_LENGTH} characters")
    return value.encode("utf-8")


def key_id(key: bytes) -> str:
    """A public fingerprint of the key (goes into audit records, so a rebuild can tell keys apart)."""
    return hashlib.sha256(b"airlock-ledger-key-id\x00" + key).hexdigest()[:12]


# --------------------------------------------------------------------------- normalisation

_NON_DIGIT = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
_SPACE = re.compile(r"\s+")
_ADDRESS_NOISE = re.compile(r"[\s,.;:，。；：、#\-－]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _resident_id(value: str) -> str:
    return "".join(ch for ch in _nfkc(value) if ch.isdigit() or ch in "xX").upper()


def _alnum(value: str) -> str:
    return _NON_ALNUM.sub("", _nfkc(value)).upper()


def _phone(value: str, cn: bool) -> str:
    s = _nfkc(value)
    digits = _NON_DIGIT.sub("", s)
    if not digits:
        return ""
    if s.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if len(digits) == 13 and digits.startswith("861"):
        return "+" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits  # mainland mobile numbers: 11 digits starting with 1
    if cn and digits.startswith("0") and len(digits) >= 10:
        return "+86" + digits[1:]  # mainland landline with trunk prefix 0
    return digits


def _email(value: str) -> str:
    return _nfkc(value).lower()


def _name(value: str) -> str:
    s = _nfkc(value)
    s = _SPACE.sub("" if _CJK.search(s) else " ", s)
    return s.casefold()


def _address(value: str) -> str:
    return _ADDRESS_NOISE.sub("", _nfkc(value)).casefold()


_NORMALISERS: dict[str, Callable[[str, str], str]] = {
    "cn_resident_id": lambda v, t: _resident_id(v),
    "passport": lambda v, t: _alnum(v),
    "hmt_permit": lambda v, t: _alnum(v),
    "account": lambda v, t: _alnum(v),
    "phone": lambda v, t: _phone(v, t == "CN_PHONE"),
    "email": lambda v, t: _email(v),
    "name": lambda v, t: _name(v),
    "address": lambda v, t: _address(v),
}


def normalise(entity_type: str, value: str) -> tuple[str, str] | None:
    """``(kind, normalised value)`` for an identifier finding, or None if it is not one."""
    kind = IDENTIFIER_KINDS.get(entity_type)
    if kind is None:
        return None
    out = _NORMALISERS[kind](value, entity_type)
    return (kind, out) if out else None


def _digest(key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).digest()[:16]


# --------------------------------------------------------------------------- subjects


@dataclass(frozen=True, slots=True)
class Subject:
    """One person whose data crosses: keyed hashes only, never the values."""

    #: hash of the highest-priority identifier (the person key when first seen)
    key: bytes
    #: hashes of every identifier of this person in the request, sorted (includes ``key``)
    identifiers: tuple[bytes, ...]
    #: identifier kinds present, e.g. ("cn_resident_id", "phone")
    kinds: tuple[str, ...]
    #: the key is a government identity document (resident ID, passport, HMT permit)
    anchored: bool
    sensitive: bool
    #: PIPL Art. 28 categories of their sensitive data, sorted
    categories: tuple[str, ...]

    def to_audit(self) -> dict[str, object]:
        out: dict[str, object] = {"k": self.key.hex(), "i": [i.hex() for i in self.identifiers]}
        if self.anchored:
            out["a"] = 1
        if self.sensitive:
            out["s"] = 1
        if self.categories:
            out["c"] = list(self.categories)
        return out

    @classmethod
    def from_audit(cls, data: dict[str, object], kinds: tuple[str, ...] = ()) -> Subject:
        ids = data.get("i")
        cats = data.get("c")
        return cls(
            key=bytes.fromhex(str(data["k"])),
            identifiers=tuple(bytes.fromhex(str(i)) for i in ids) if isinstance(ids, list) else (),
            kinds=kinds,
            anchored=bool(data.get("a")),
            sensitive=bool(data.get("s")),
            categories=tuple(str(c) for c in cats) if isinstance(cats, list) else (),
        )


class _Groups:
    """Union-find over identifier nodes that refuses merges holding two values of one kind."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.kinds: list[dict[str, int]] = []  # root -> kind -> node

    def add(self, kind: str) -> int:
        n = len(self.parent)
        self.parent.append(n)
        self.kinds.append({kind: n})
        return n

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ka, kb = self.kinds[ra], self.kinds[rb]
        if any(k in ka and ka[k] != node for k, node in kb.items()):
            return False
        if ra > rb:
            ra, rb = rb, ra
            ka, kb = kb, ka
        self.parent[rb] = ra
        ka.update(kb)
        self.kinds[rb] = {}
        return True


def _boundaries(text: str, pattern: str) -> list[int]:
    return [m.end() for m in re.finditer(pattern, text)]


def _consistent(nodes: Sequence[tuple[int, str]]) -> bool:
    seen: dict[str, int] = {}
    return all(seen.setdefault(kind, node) == node for node, kind in nodes)


def subjects_from(
    texts: Sequence[tuple[str, str]],
    findings: Sequence[Finding],
    *,
    key: bytes,
    include_names: bool,
    include_addresses: bool = False,
) -> list[Subject]:
    """The persons whose identifiers appear in ``findings`` (spans into ``texts`` by path).

    Pass only findings whose values leave in clear (pseudonymised ones never cross).
    """
    if len(key) < 16:
        raise ValueError("ledger key too short")
    by_path = dict(texts)
    nodes: dict[tuple[str, str], int] = {}
    node_kind: list[str] = []
    node_sensitive: list[bool] = []
    node_categories: list[set[str]] = []
    groups = _Groups()
    excluded: set[str] = set()
    if not include_names:
        excluded.add("name")
    if not include_addresses:
        excluded.add("address")

    per_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.type in IDENTIFIER_KINDS or f.sensitive:
            per_path.setdefault(f.path, []).append(f)

    for path, path_findings in per_path.items():
        text = by_path.get(path)
        if text is None:
            raise ValueError(f"finding at {path!r} has no text in the request")
        paras = _boundaries(text, r"\n[ \t\r\f\v]*\n")
        lines = _boundaries(text, r"\n")
        # (paragraph, line) -> nodes in order of appearance; sensitive non-identifiers aside
        placed: list[tuple[int, int, int, str]] = []
        loose: list[tuple[int, int, Finding]] = []
        for f in sorted(path_findings, key=lambda f: (f.start, f.end)):
            if f.end > len(text):
                raise ValueError(f"finding span [{f.start}, {f.end}) is outside the text at {path!r}")
            para = bisect.bisect_right(paras, f.start)
            line = bisect.bisect_right(lines, f.start)
            norm = normalise(f.type, text[f.start : f.end])
            if norm is None or norm[0] in excluded:
                if f.sensitive and f.type not in IDENTIFIER_KINDS:
                    loose.append((para, line, f))
                continue
            node = nodes.get(norm)
            if node is None:
                node = groups.add(norm[0])
                nodes[norm] = node
                node_kind.append(norm[0])
                node_sensitive.append(False)
                node_categories.append(set())
            if f.sensitive:
                node_sensitive[node] = True
                if f.sensitive_category:
                    node_categories[node].add(f.sensitive_category)
            placed.append((para, line, node, norm[0]))

        by_para: dict[int, list[tuple[int, int, str]]] = {}
        for para, line, node, kind in placed:
            by_para.setdefault(para, []).append((line, node, kind))
        for members in by_para.values():
            if _consistent([(n, k) for _, n, k in members]):
                _link(groups, [n for _, n, _ in members])
                continue
            by_line: dict[int, list[tuple[int, str]]] = {}
            for line, node, kind in members:
                by_line.setdefault(line, []).append((node, kind))
            for line_members in by_line.values():
                if _consistent(line_members):
                    _link(groups, [n for n, _ in line_members])

        for para, line, f in loose:
            same_line = [n for p, ln, n, _ in placed if ln == line]
            same_para = [n for p, _, n, _ in placed if p == para]
            targets = same_line or same_para or [n for _, _, n, _ in placed]
            for n in targets:
                node_sensitive[n] = True
                if f.sensitive_category:
                    node_categories[n].add(f.sensitive_category)

    members_of: dict[int, list[tuple[str, str]]] = {}
    for ident, node in nodes.items():
        members_of.setdefault(groups.find(node), []).append(ident)
    out: list[Subject] = []
    for idents in members_of.values():
        digests = {ident: _digest(key, *ident) for ident in idents}
        top = min(idents, key=lambda i: (_PRIORITY.index(i[0]), digests[i]))
        member_nodes = [nodes[i] for i in idents]
        cats: set[str] = set()
        for n in member_nodes:
            cats |= node_categories[n]
        out.append(
            Subject(
                key=digests[top],
                identifiers=tuple(sorted(digests.values())),
                kinds=tuple(sorted({i[0] for i in idents}, key=_PRIORITY.index)),
                anchored=top[0] in STRONG_KINDS,
                sensitive=any(node_sensitive[n] for n in member_nodes),
                categories=tuple(sorted(cats)),
            )
        )
    out.sort(key=lambda s: s.key)
    return out


def _link(groups: _Groups, members: Sequence[int]) -> None:
    for other in members[1:]:
        groups.union(members[0], other)
