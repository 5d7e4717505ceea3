"""Content safety families: harm categories, cn-tc260, custom blocklists, prompt injection and
jailbreak, prohibited use. Each module registers one family (see ``airlock.detectors.builtin``)."""

from __future__ import annotations
