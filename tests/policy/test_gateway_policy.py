"""Policy enforced end to end through the server (echo upstream on 127.0.0.1, official client)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import orjson
import pytest

from tests.helpers import ServerThread, config_from
from tests.upstream import FakeUpstream


@pytest.fixture
def gov(tmp_path: Path, upstream: FakeUpstream) -> Iterator[ServerThread]:
    base = upstream.base_url
    config = config_from(
        base,
        deployments=[
            {"name": "commercial", "public_name": "gpt", "provider": "openai", "base_url": base, "priority": 0,
             "jurisdiction": "US", "max_classification": "UNCLASSIFIED"},
            {"name": "gov-secret", "public_name": "gpt", "provider": "openai", "base_url": base, "priority": 1,
             "jurisdiction": "US", "max_classification": "SECRET", "deny_org_types": ["intelligence"],
             "entitlement_amendment": "intel-annex-2026"},
            {"name": "cn-local", "provider": "openai", "base_url": base, "jurisdiction": "CN"},
        ],
        tenants=[
            {"id": "dod", "jurisdiction": "US", "org_type": "defense", "clearance": "TOP SECRET",
             "purposes": ["logistics"]},
            {"id": "nsa", "jurisdiction": "US", "org_type": "intelligence", "clearance": "TOP SECRET"},
            {"id": "nsa-amended", "jurisdiction": "US", "org_type": "intelligence", "clearance": "TOP SECRET",
             "amendments": ["intel-annex-2026"]},
            {"id": "cn-corp", "jurisdiction": "CN"},
        ],
        policy={"packs": ["default", "cn-pipl", "us-gov"],
                "rules": [{"id": "trial.no-logistics", "when": {"purpose": ["logistics"]}, "then": "block",
                           "shadow": True}]},
    )
    server = ServerThread(config, tmp_path).start()
    yield server
    server.stop()


def client(server: ServerThread, tenant: str, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.key(tenant), max_retries=0,
                         default_headers=headers or None)


def last(server: ServerThread) -> dict[str, object]:
    rows = list(server.store.iter_audit())
    return orjson.loads(rows[-1].body)  # type: ignore[no-any-return]


MSG = [{"role": "user", "content": "status report"}]


def test_secret_request_routes_to_cleared_deployment(gov: ServerThread, upstream: FakeUpstream) -> None:
    out = client(gov, "dod", **{"x-airlock-classification": "SECRET"}).chat.completions.create(model="gpt", messages=MSG)
    assert out.choices[0].message.content == "status report"
    rec = last(gov)
    assert rec["deployment"] == "gov-secret" and rec["request"]["classification"] == "SECRET"  # type: ignore[index]
    assert len(upstream.received) == 1  # the commercial deployment was never called
    plain = client(gov, "dod").chat.completions.create(model="gpt", messages=MSG)
    assert plain.choices[0].message.content and last(gov)["deployment"] == "commercial"


def test_top_secret_is_refused_with_spillage_alert(gov: ServerThread, upstream: FakeUpstream) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client(gov, "dod", **{"x-airlock-classification": "TS//SCI"}).chat.completions.create(
            model="gpt", messages=MSG)
    e = err.value
    assert e.code == "classification_exceeds_deployment"
    assert "TOP SECRET" in e.message and "classification.route" in e.message
    body = e.response.json()
    assert "default.classification.route" in body["error"]["rules"]
    assert body["error"]["innererror"]["code"] == "AirlockPolicyViolation"
    assert e.response.headers["x-should-retry"] == "false"
    rec = last(gov)
    assert rec["action"] == "block" and rec["extra"]["alerts"] == ["spillage"]  # type: ignore[index]
    assert upstream.received == []


def test_unknown_classification_header(gov: ServerThread) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client(gov, "dod", **{"x-airlock-classification": "HUSH-HUSH"}).chat.completions.create(
            model="gpt", messages=MSG)
    assert err.value.code == "invalid_classification"
    assert "TOP SECRET" in err.value.message and "绝密" in err.value.message


def test_intelligence_tenant_needs_the_amendment(gov: ServerThread, upstream: FakeUpstream) -> None:
    headers = {"x-airlock-classification": "SECRET"}
    with pytest.raises(openai.PermissionDeniedError) as err:
        client(gov, "nsa", **headers).chat.completions.create(model="gpt", messages=MSG)
    assert err.value.code == "tenant_not_entitled"
    assert "us-gov.entitlement.org-type" in err.value.response.json()["error"]["rules"]
    out = client(gov, "nsa-amended", **headers).chat.completions.create(model="gpt", messages=MSG)
    assert out.choices[0].message.content == "status report" and last(gov)["deployment"] == "gov-secret"


def test_purpose_header_is_validated_and_recorded(gov: ServerThread) -> None:
    with pytest.raises(openai.PermissionDeniedError) as err:
        client(gov, "dod", **{"x-airlock-purpose": "fun"}).chat.completions.create(model="gpt", messages=MSG)
    assert err.value.code == "purpose_not_allowed" and "logistics" in err.value.message
    client(gov, "dod", **{"x-airlock-purpose": "logistics"}).chat.completions.create(model="gpt", messages=MSG)
    rec = last(gov)
    assert rec["request"]["purpose"] == "logistics"  # type: ignore[index]
    # the shadow rule fired and was recorded, but did not block
    assert rec["extra"]["shadow_rules"] == ["trial.no-logistics"] and rec["status"] == 200  # type: ignore[index]
    assert rec["policy_revision"].startswith("pol-")  # type: ignore[union-attr]


def test_aigc_labels_for_chinese_tenant(gov: ServerThread) -> None:
    c = client(gov, "cn-corp")
    raw = c.chat.completions.with_raw_response.create(model="cn-local", messages=[{"role": "user", "content": "你好"}])
    out = raw.parse()
    assert out.choices[0].message.content == "你好\n【本内容由人工智能生成】"
    meta = (out.model_extra or {})["aigc"]
    assert set(meta) == {"Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
                         "PropagateID", "ReservedCode2"}
    assert json.loads(raw.headers["x-aigc"]) == meta
    assert "cn-pipl.aigc.label" in last(gov)["rules"]  # type: ignore[operator]
    stream = list(c.chat.completions.create(model="cn-local", messages=[{"role": "user", "content": "AI 好"}],
                                            stream=True))
    text = "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
    assert text == "AI 好\n【本内容由人工智能生成】"
    trailer = [ch for ch in stream if (ch.model_extra or {}).get("aigc")]
    assert trailer and trailer[0].model_extra["aigc"]["Label"] == "1"  # type: ignore[index]


def test_us_tenant_is_not_labelled(gov: ServerThread) -> None:
    out = client(gov, "dod").chat.completions.create(model="gpt", messages=MSG)
    assert out.choices[0].message.content == "status report"
    assert "aigc" not in (out.model_extra or {})
