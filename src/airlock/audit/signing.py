"""Signed checkpoints: an Ed25519 signature over ``(seq, hash)`` of the chain head.

The private key lives in the data directory (``audit-signing.key``, mode 0600) or the file
named by ``AIRLOCK_AUDIT_SIGNING_KEY_FILE``; the public key beside it
(``audit-signing.pub``) is what ``airlock audit verify`` checks against.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["CheckpointSigner", "CheckpointVerifier", "load_or_create_signer", "load_verifier"]

KEY_ENV = "AIRLOCK_AUDIT_SIGNING_KEY_FILE"


def _message(seq: int, digest: str) -> bytes:
    return f"airlock-audit-checkpoint:{seq}:{digest}".encode()


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.key_id = _key_id(private.public_key())

    def sign(self, seq: int, digest: str) -> str:
        return base64.b64encode(self._private.sign(_message(seq, digest))).decode()

    def verifier(self) -> CheckpointVerifier:
        return CheckpointVerifier([self._private.public_key()])


class CheckpointVerifier:
    def __init__(self, keys: list[Ed25519PublicKey]) -> None:
        self._keys = {_key_id(k): k for k in keys}

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def verify(self, seq: int, digest: str, key_id: str, signature: str) -> bool:
        key = self._keys.get(key_id)
        if key is None:
            return False
        try:
            key.verify(base64.b64decode(signature), _message(seq, digest))
        except (InvalidSignature, ValueError):
            return False
        return True


def _private_path(data_dir: Path) -> Path:
    env = os.environ.get(KEY_ENV)
    return Path(env) if env else data_dir / "audit-signing.key"


def load_or_create_signer(data_dir: Path) -> CheckpointSigner:
    path = _private_path(data_dir)
    if path.exists():
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return CheckpointSigner(private)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.with_suffix(".pub").write_bytes(pub)
    return CheckpointSigner(private)


def load_verifier(data_dir: Path, extra_public_keys: list[Path] | None = None) -> CheckpointVerifier:
    """Public keys: ``audit-signing.pub`` beside the private key, plus any given files."""
    keys: list[Ed25519PublicKey] = []
    candidates = [_private_path(data_dir).with_suffix(".pub"), *(extra_public_keys or [])]
    for p in candidates:
        if p.exists():
            key = serialization.load_pem_public_key(p.read_bytes())
            if isinstance(key, Ed25519PublicKey):
                keys.append(key)
    return CheckpointVerifier(keys)
