"""Append-only, hash-chained decision log with signed checkpoints."""

from __future__ import annotations

from airlock.audit.chain import ChainHasher, canonical, chain_hash
from airlock.audit.signing import CheckpointSigner, CheckpointVerifier, load_or_create_signer, load_verifier
from airlock.audit.verify import VerifyResult, verify_chain
from airlock.audit.writer import AuditWriter

__all__ = [
    "AuditWriter",
    "ChainHasher",
    "CheckpointSigner",
    "CheckpointVerifier",
    "VerifyResult",
    "canonical",
    "chain_hash",
    "load_or_create_signer",
    "load_verifier",
    "verify_chain",
]
