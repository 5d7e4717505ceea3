from __future__ import annotations

import pytest

from tests.detectors.helpers import scanner

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
AZ_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

CASES = [
    ("aws key AKIAIOSFODNN7EXAMPLE in config", "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "aws_secret_access_key"),
    ("token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "github_token"),
    ("glpat-AbCdEfGhIjKlMnOpQrSt", "glpat-AbCdEfGhIjKlMnOpQrSt", "gitlab_token"),
    ("slack xoxb-123456789012-abcdefghijkl", "xoxb-123456789012-abcdefghijkl", "slack_token"),
    ("OPENAI_API_KEY sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12", "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12", "openai_api_key"),
    ("key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google_api_key"),
    (f"Authorization: Bearer {JWT}", JWT, "jwt"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "-----BEGIN OPENSSH PRIVATE KEY-----",
     "private_key"),
    ('{"type": "service_account", "project_id": "x"}', '"type": "service_account"', "gcp_service_account"),
    (f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZ_KEY};EndpointSuffix=core.windows.net",
     AZ_KEY, "azure_storage_key"),
    ("https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg%3D",
     "sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg%3D", "azure_sas_token"),
    ("db postgres://admin:S3cr3tPw@db.example.com/app", "S3cr3tPw", "url_password"),
    ('password = "hunter2xyz"', "hunter2xyz", "password"),
    ("数据库密码：Zx9#kLm2Qw", "Zx9#kLm2Qw", "password"),
    ("client_secret: 8f2Kd93jD0sL2mQ9xZ7vB1nT", "8f2Kd93jD0sL2mQ9xZ7vB1nT", "generic_api_key"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "span", "kind"), CASES)
def test_secrets(backend: str, text: str, span: str, kind: str) -> None:
    got = [(text[f.start : f.end], f.category) for f in scanner(backend).scan(text) if f.type == "SECRET_CREDENTIAL"]
    assert (span, kind) in got


NEGATIVES = [
    "password = ${DB_PASSWORD}",
    "password: <your password>",
    "the password field is required",
    "api_key = YOUR_API_KEY",
    "token: xxxxxxxxxxxxxxxx",
    "AKIA123",  # too short
    "postgres://user@db.example.com/app",
    "sk-short",
    "client_secret = aaaaaaaaaaaaaaaaaaaa",  # no entropy
    "eyJub3QiOiJqd3QifQ.eyJub3QiOiJqd3QifQ.notasignaturebutlongenough",  # header has no alg/typ
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_secret_negatives(backend: str, text: str) -> None:
    assert [f for f in scanner(backend).scan(text) if f.type == "SECRET_CREDENTIAL"] == []
