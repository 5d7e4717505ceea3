"""Vault keys: where they come from, what is accepted, rotation, authentication."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from airlock.vault import Keyring, VaultIntegrityError, VaultKeyError, load_keyring

K1 = base64.b64encode(b"\x01" * 32).decode()
K2 = base64.urlsafe_b64encode(b"\xfb" * 32).decode()  # contains '-' / '_'


def test_key_from_environment() -> None:
    ring = load_keyring("AIRLOCK_VAULT_KEY", None, {"AIRLOCK_VAULT_KEY": K1})
    assert ring.active.secret == b"\x01" * 32
    assert ring.active.id.startswith("k") and len(ring.active.id) == 9
    assert K1 not in repr(ring) and "\\x01" not in repr(ring.active)


def test_key_file_with_ids_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "vault.keys"
    path.write_text(f"# active first\nk2026:{K2}\n\nk2025:{K1}\n")
    ring = load_keyring("UNUSED", str(path), {})
    assert ring.ids == ("k2026", "k2025")
    assert ring.active.id == "k2026"


@pytest.mark.parametrize(
    ("env", "code"),
    [
        ({}, "vault_key_missing"),
        ({"AIRLOCK_VAULT_KEY": "  "}, "vault_key_missing"),
        ({"AIRLOCK_VAULT_KEY": "not base64!"}, "vault_key_invalid"),
        ({"AIRLOCK_VAULT_KEY": base64.b64encode(b"short").decode()}, "vault_key_invalid"),
        ({"AIRLOCK_VAULT_KEY": base64.b64encode(b"\x00" * 33).decode()}, "vault_key_invalid"),
        ({"AIRLOCK_VAULT_KEY": f"bad id!:{K1}"}, "vault_key_invalid"),
        ({"AIRLOCK_VAULT_KEY": f"a:{K1},a:{K2}"}, "vault_key_invalid"),
    ],
)
def test_missing_or_invalid_keys_fail_closed(env: dict[str, str], code: str) -> None:
    with pytest.raises(VaultKeyError) as info:
        load_keyring("AIRLOCK_VAULT_KEY", None, env)
    err = info.value
    assert err.code == code
    assert err.status == 503
    assert err.response_headers()["x-should-retry"] == "false"
    assert K1 not in err.message


def test_missing_key_message_names_the_variable() -> None:
    with pytest.raises(VaultKeyError, match="MY_KEY"):
        load_keyring("MY_KEY", None, {})


@pytest.mark.parametrize("content", ["", "# only a comment\n"])
def test_empty_or_unreadable_key_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "k"
    path.write_text(content)
    with pytest.raises(VaultKeyError):
        load_keyring("X", str(path), {})
    with pytest.raises(VaultKeyError, match="cannot read"):
        load_keyring("X", str(tmp_path / "absent"), {})


def test_rotation_old_entries_decrypt_new_ones_use_the_first_key() -> None:
    old = Keyring.parse(f"old:{K1}", "test")
    key_id, nonce, ct = old.encrypt("Alice", b"aad")
    rotated = Keyring.parse(f"new:{K2},old:{K1}", "test")
    assert rotated.decrypt(key_id, nonce, ct, b"aad") == "Alice"
    assert rotated.encrypt("Bob", b"aad")[0] == "new"
    with pytest.raises(VaultKeyError) as info:
        Keyring.parse(f"new:{K2}", "test").decrypt(key_id, nonce, ct, b"aad")
    assert info.value.code == "vault_key_unknown"


def test_nonces_are_fresh_and_aad_is_authenticated() -> None:
    ring = Keyring.parse(K1, "test")
    a = ring.encrypt("same", b"aad")
    b = ring.encrypt("same", b"aad")
    assert a[1] != b[1] and a[2] != b[2]
    with pytest.raises(VaultIntegrityError):
        ring.decrypt(a[0], a[1], a[2], b"other aad")
    flipped = bytes([a[2][0] ^ 1]) + a[2][1:]
    with pytest.raises(VaultIntegrityError):
        ring.decrypt(a[0], a[1], flipped, b"aad")


def test_generated_key_recipe_works() -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    assert load_keyring("K", None, {"K": key}).active.secret == base64.b64decode(key)
