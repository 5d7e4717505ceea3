"""The admin UI end to end: the real app on 127.0.0.1, traffic through the fake upstream, a browser
session (cookie) and the JSON twins. Pages are checked against the audit log they render."""

from __future__ import annotations

import base64
import os
import re
import shutil
import sqlite3
import struct
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from tests.helpers import ServerThread, config_from
from tests.upstream import FakeUpstream

SECRET_WORD = "Quetzalcoatl-7731"  # in a prompt: must never appear on any page
EVIL_MODEL = "<script>alert(1)</script>"
EVIL_PURPOSE = '"><img src=x onerror=alert(2)>'
EVIL_KEY_NAME = "<b>ops</b> & co"
PAGES = ["/admin/ui/", "/admin/ui/decisions", "/admin/ui/audit", "/admin/ui/policy", "/admin/ui/keys",
         "/admin/ui/ledger"]
DECISION_LINK = re.compile(r'href="/admin/ui/decisions/([A-Za-z0-9_]+)"')


def _config(upstream: FakeUpstream) -> Any:
    base = {"provider": "openai", "base_url": upstream.base_url, "retries": {"max_attempts": 1},
            "timeouts": {"connect": 2, "first_byte": 5, "total": 20}}
    return config_from(
        upstream.base_url,
        detectors={"enabled": ["pii", "markings", "secrets"]},
        policy={"packs": ["default", "cn-pipl", "us-gov"], "rules": [
            {"id": "acme.watch-email", "description": "Watch <e-mail> & report", "source": "Memo <7> & annex",
             "when": {"findings": {"type": "EMAIL"}}, "then": "alert", "alert": "email_seen"}]},
        deployments=[{"name": "cn-home", "jurisdiction": "CN", **base},
                     {"name": "azure-east", "jurisdiction": "US", "region": "eastus", **base},
                     {"name": "gov-secret", "jurisdiction": "US", "max_classification": "SECRET", **base}],
        tenants=[{"id": "acme", "name": "Acme <Ltd> & Co", "jurisdiction": "CN", "purposes": ["hr_management"],
                  "limits": {"rpm": 10000}},
                 {"id": "dod", "jurisdiction": "US", "org_type": "defense", "clearance": "TOP SECRET",
                  "limits": {"rpm": 10000}}],
        ledger={"enabled": True},
    )


def _chat(server: ServerThread, key: str, model: str, text: str, **kw: Any) -> str:
    client = openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kw)
    except openai.APIStatusError as exc:
        return str(exc.status_code)
    return "ok"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, upstream_server: FakeUpstream) -> Iterator[ServerThread]:
    """One gateway with traffic of every kind: allowed, transformed abroad, blocked, spillage, errors."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRLOCK_LEDGER_KEY", "ui-test-ledger-key-" + "k" * 32)
        mp.setenv("AIRLOCK_VAULT_KEY", base64.b64encode(os.urandom(32)).decode())
        srv = ServerThread(_config(upstream_server), tmp_path_factory.mktemp("ui")).start()
        acme, dod = srv.key("acme"), srv.key("dod")
        outcomes = [
            _chat(srv, acme, "cn-home", f"hello {SECRET_WORD}"),
            _chat(srv, acme, "azure-east", f"Customer {SECRET_WORD}, ID 11010519491231002X, mail zw@example.com"),
            _chat(srv, acme, "cn-home", f"{SECRET_WORD} key AKIAIOSFODNN7EXAMPLE"),
            _chat(srv, dod, "gov-secret", f"SECRET//NOFORN {SECRET_WORD} leaves at dawn"),
            _chat(srv, dod, "azure-east", f"TOP SECRET//SCI {SECRET_WORD}"),
            _chat(srv, acme, EVIL_MODEL, SECRET_WORD),
            _chat(srv, acme, "cn-home", SECRET_WORD, extra_headers={"x-airlock-purpose": EVIL_PURPOSE}),
        ]
        assert outcomes == ["ok", "ok", "400", "ok", "400", "404", "403"]
        admin = srv.key("acme", "admin")
        created = httpx.post(f"{srv.url}/admin/keys", json={"tenant": "dod", "name": EVIL_KEY_NAME},
                             headers={"authorization": f"Bearer {admin}"})
        assert created.status_code == 201
        yield srv
        srv.stop()


def login(server: ServerThread, key: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=server.url)
    r = client.post("/admin/ui/login", data={"key": key or server.key("acme", "admin"), "next": "/admin/ui/"},
                    headers={"origin": server.url})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def browser(server: ServerThread) -> Iterator[httpx.Client]:
    client = login(server)
    yield client
    client.close()


def records(server: ServerThread) -> list[dict[str, Any]]:
    return [{"seq": r.seq, **orjson.loads(r.body)} for r in server.store.iter_audit()]


def inference(server: ServerThread) -> list[dict[str, Any]]:
    return [r for r in records(server) if r.get("route", "").startswith("/v1/")]


# ---------------------------------------------------------------------- session
def test_login_sets_a_strict_http_only_session_cookie(server: ServerThread) -> None:
    client = httpx.Client(base_url=server.url)
    r = client.post("/admin/ui/login", data={"key": server.key("acme", "admin"), "next": "/admin/ui/policy"},
                    headers={"origin": server.url})
    assert r.status_code == 303 and r.headers["location"] == "/admin/ui/policy"
    cookie = r.headers["set-cookie"]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= flags and "secure" not in flags and "max-age" not in flags
    assert "samesite=strict" in cookie.lower() and "path=/admin" in cookie.lower()
    assert client.get("/admin/ui/policy").status_code == 200


def test_cookie_is_secure_behind_https(server: ServerThread) -> None:
    """uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (a local TLS proxy): the cookie gets Secure."""
    https_origin = server.url.replace("http://", "https://")
    r = httpx.post(f"{server.url}/admin/ui/login", data={"key": server.key("acme", "admin")},
                   headers={"origin": https_origin, "x-forwarded-proto": "https"})
    assert r.status_code == 303
    assert "secure" in {p.strip().lower() for p in r.headers["set-cookie"].split(";")}


@pytest.mark.parametrize(("headers", "status"), [
    ({"origin": "https://evil.example"}, 403),
    ({"origin": "null"}, 403),
    ({}, 403),  # neither Origin nor Referer
    ({"referer": "https://evil.example/admin/ui/login"}, 403),
    ({"referer": "{url}/admin/ui/login"}, 303),  # no Origin: the Referer decides
    ({"origin": "{url}"}, 303),
])
def test_login_form_must_come_from_this_origin(server: ServerThread, headers: dict[str, str], status: int) -> None:
    sent = {k: v.format(url=server.url) for k, v in headers.items()}
    r = httpx.post(f"{server.url}/admin/ui/login", data={"key": server.key("acme", "admin")}, headers=sent)
    assert r.status_code == status
    assert ("set-cookie" in r.headers) == (status == 303)


@pytest.mark.parametrize(("which", "status", "message"), [
    ("inference", 403, "admin scope"),
    ("revoked", 401, "revoked"),
    ("garbage", 401, "Invalid API key"),
    ("empty", 401, "Missing API key"),
])
def test_login_refuses_keys_that_are_not_live_admin_keys(server: ServerThread, which: str, status: int,
                                                         message: str) -> None:
    if which == "inference":
        key = server.key("acme")
    elif which == "revoked":
        key = server.key("acme", "admin")
        assert server.store.revoke_key(key.split("_")[1], "2026-01-01T00:00:00+00:00")
    else:
        key = "ak_000000000000_nope" if which == "garbage" else ""
    r = httpx.post(f"{server.url}/admin/ui/login", data={"key": key}, headers={"origin": server.url})
    assert r.status_code == status and message in r.text
    assert "set-cookie" not in r.headers
    assert key == "" or key not in r.text


def test_pages_redirect_to_login_without_a_session(server: ServerThread) -> None:
    r = httpx.get(f"{server.url}/admin/ui/decisions?outcome=blocked")
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/ui/login?next=%2Fadmin%2Fui%2Fdecisions%3Foutcome%3Dblocked&reason=session"
    assert httpx.get(f"{server.url}/admin/decisions").status_code == 401  # the twin answers in JSON
    form = httpx.get(f"{server.url}{r.headers['location']}")
    assert form.status_code == 200 and 'name="next" value="/admin/ui/decisions?outcome=blocked"' in form.text


def test_an_inference_key_in_the_cookie_is_refused(server: ServerThread) -> None:
    client = httpx.Client(base_url=server.url, cookies={"airlock_admin": server.key("acme")})
    r = client.get("/admin/ui/keys")
    assert r.status_code == 403 and "admin scope" in r.text
    assert client.get("/admin/keys").status_code == 403


def test_revocation_takes_effect_on_the_next_page_load(server: ServerThread) -> None:
    key = server.key("acme", "admin")
    client = login(server, key)
    assert client.get("/admin/ui/keys").status_code == 200
    header = {"authorization": f"Bearer {server.key('acme', 'admin')}"}
    assert httpx.post(f"{server.url}/admin/keys/{key.split('_')[1]}/revoke", headers=header).status_code == 200
    r = client.get("/admin/ui/keys")
    assert r.status_code == 303 and "reason=invalid" in r.headers["location"]
    assert 'airlock_admin=""' in r.headers["set-cookie"] or "max-age=0" in r.headers["set-cookie"].lower()


def test_logout_clears_the_cookie_and_is_a_post(server: ServerThread) -> None:
    client = login(server)
    assert client.get("/admin/ui/logout").status_code == 405  # no state-changing GET
    foreign = client.post("/admin/ui/logout", headers={"origin": "https://evil.example"})
    assert foreign.status_code == 403 and client.get("/admin/ui/").status_code == 200
    r = client.post("/admin/ui/logout", headers={"origin": server.url})
    assert r.status_code == 303 and r.headers["location"] == "/admin/ui/login?reason=logged_out"
    assert client.get("/admin/ui/").status_code == 303


def test_the_cookie_never_authorises_a_state_changing_admin_route(server: ServerThread,
                                                                  browser: httpx.Client) -> None:
    r = browser.post("/admin/keys", json={"tenant": "acme", "scope": "admin"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key"
    assert browser.get("/admin/keys").status_code == 200  # reads may use it


def test_every_ui_request_is_audited(server: ServerThread, browser: httpx.Client) -> None:
    r = browser.get("/admin/ui/policy")
    refused = httpx.post(f"{server.url}/admin/ui/login", data={"key": server.key("acme")},
                         headers={"origin": server.url})
    by_id = {rec["decision_id"]: rec for rec in records(server)}
    view = by_id[r.headers["x-airlock-decision-id"]]
    assert view["route"] == "/admin/ui/policy" and view["status"] == 200 and view["tenant"] == "acme"
    assert view["key_id"] and view["key_id"] in r.text  # the header shows who is logged in
    failed = by_id[refused.headers["x-airlock-decision-id"]]
    assert failed["route"] == "/admin/ui/login" and failed["status"] == 403
    assert failed["extra"]["admin"] == {"op": "ui_login"}
    assert view["decision_id"] in r.text  # the footer names the page view's own record


# ---------------------------------------------------------------------- pages and twins
@pytest.mark.parametrize("path", PAGES)
def test_pages_are_self_contained_and_escape_everything(browser: httpx.Client, path: str) -> None:
    r = browser.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["cache-control"] == "no-store" and r.headers["x-frame-options"] == "DENY"
    html = r.text
    assert "<script" not in html.lower() and "onerror=" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no external asset or link
    assert SECRET_WORD not in html


def test_overview_counts_what_the_audit_log_holds(server: ServerThread, browser: httpx.Client) -> None:
    twin = browser.get("/admin/overview").json()
    expected = Counter(r["outcome"] for r in inference(server))
    hour = twin["last_hour"]
    assert hour["complete"] and hour["requests"] == sum(expected.values()) == 7
    assert {k: v for k, v in hour["by_outcome"].items() if v} == dict(expected)
    assert {r["rule"] for r in hour["blocking_rules"]} == {
        rule for r in inference(server) if r["outcome"] == "blocked" for rule in r["rules"]}
    alerts = {a["decision_id"]: a["alerts"] for a in twin["alerts"]["items"]}
    spilled = next(r for r in inference(server) if "spillage" in r.get("extra", {}).get("alerts", []))
    assert "spillage" in alerts[spilled["decision_id"]]
    html = browser.get("/admin/ui/").text
    assert spilled["decision_id"] in html and "spillage" in html and "email_seen" in html
    for d in twin["deployments"]:
        assert d["breaker"] == "closed" and d["ready"] is True and d["name"] in html
    assert twin["config_revision"] == server.gateway.revision and twin["config_revision"] in html
    assert twin["policy"]["revision"] in html and twin["policy"]["packs"] == ["default", "cn-pipl", "us-gov"]
    assert "Acme &lt;Ltd&gt; &amp; Co" in html and "Acme <Ltd>" not in html
    assert [t["id"] for t in twin["tenants"]] == ["acme", "dod"]
    assert twin["store"] == {"kind": "sqlite", "ok": True}
    assert ">2<" in html.replace(" ", "")  # blocked count card


def test_decisions_page_shows_the_twin_rows_in_order(server: ServerThread, browser: httpx.Client) -> None:
    twin = browser.get("/admin/decisions").json()  # the model routes by default
    html = browser.get("/admin/ui/decisions").text
    ids = [r["decision_id"] for r in twin["data"]]
    assert ids == [r["decision_id"] for r in reversed(inference(server))]
    assert DECISION_LINK.findall(html) == ids
    row = next(r for r in twin["data"] if r["outcome"] == "blocked" and "default.secrets.block" in r["rules"])
    assert row["findings"] == [{"type": "SECRET_CREDENTIAL", "count": 1}] and row["status"] == 400
    assert row["model"] == "cn-home" and row["tenant"] == "acme" and row["latency_ms"] is not None


@pytest.mark.parametrize(("query", "keep"), [
    ("outcome=blocked", lambda r: r["outcome"] == "blocked"),
    ("outcome=error", lambda r: r["outcome"] == "error"),
    ("tenant=dod", lambda r: r["tenant"] == "dod"),
    ("rule=us-gov.classification.route", lambda r: "us-gov.classification.route" in r["rules"]),
    ("rule=cn-pipl.*", lambda r: any(x.startswith("cn-pipl.") for x in r["rules"])),
    ("finding=EMAIL", lambda r: any(f["type"] == "EMAIL" for f in r["findings"])),
    ("finding=CLASSIFICATION_MARKING&tenant=dod&outcome=ok", lambda r: r["outcome"] == "ok" and r["tenant"] == "dod"
     and any(f["type"] == "CLASSIFICATION_MARKING" for f in r["findings"])),
    ("since=2999-01-01", lambda r: False),
    ("since=1h", lambda r: True),
])
def test_decision_filters(server: ServerThread, browser: httpx.Client, query: str, keep: Any) -> None:
    twin = browser.get(f"/admin/decisions?route=inference&{query}").json()
    want = [r["decision_id"] for r in reversed(inference(server)) if keep(r)]
    assert [r["decision_id"] for r in twin["data"]] == want
    assert (len(want) > 0) == (query not in ("since=2999-01-01",))
    html = browser.get(f"/admin/ui/decisions?route=inference&{query}").text
    assert DECISION_LINK.findall(html) == want


@pytest.mark.parametrize(("query", "param"), [
    ("outcome=maybe", "outcome"), ("since=yesterday-ish", "since"), ("limit=x", "limit"),
    ("route=everything", "route"), ("before=3&after=1", "before"),
])
def test_bad_filters_are_400_in_both_forms(browser: httpx.Client, query: str, param: str) -> None:
    twin = browser.get(f"/admin/decisions?{query}")
    assert twin.status_code == 400 and twin.json()["error"]["param"] == param
    page = browser.get(f"/admin/ui/decisions?{query}")
    assert page.status_code == 400 and "Bad request" in page.text


def test_pages_walk_the_log_both_ways(server: ServerThread, browser: httpx.Client) -> None:
    head = server.store.audit_head()
    assert head is not None
    everything = [r["seq"] for r in records(server) if r["seq"] <= head.seq][::-1]
    seen: list[int] = []
    page = browser.get(f"/admin/decisions?route=all&limit=3&before={head.seq + 1}").json()
    pages = [page]
    while True:
        seen += [r["seq"] for r in page["data"]]
        if page["older"] is None:
            break
        html = browser.get(f"/admin/ui/decisions?route=all&limit=3&before={page['older']}").text
        page = browser.get(f"/admin/decisions?route=all&limit=3&before={page['older']}").json()
        assert DECISION_LINK.findall(html) == [r["decision_id"] for r in page["data"]]
        pages.append(page)
    assert seen == everything  # newest first, nothing skipped or repeated
    # and back up with the "newer" cursors, to the head and beyond it (the views just recorded)
    back = [r["seq"] for r in pages[-1]["data"]]
    cursor = pages[-1]["newer"]
    for _ in range(100):
        if cursor is None:
            break
        page = browser.get(f"/admin/decisions?route=all&limit=3&after={cursor}").json()
        back = [r["seq"] for r in page["data"]] + back
        cursor = page["newer"]
    assert cursor is None
    assert [s for s in back if s <= head.seq] == everything and back == sorted(set(back), reverse=True)


def test_decision_detail_shows_the_record_and_its_chain_position(server: ServerThread,
                                                                 browser: httpx.Client) -> None:
    rec = next(r for r in inference(server) if r["outcome"] == "blocked" and "spillage" in
               r.get("extra", {}).get("alerts", []))
    twin = browser.get(f"/admin/decisions/{rec['decision_id']}").json()
    (item,) = twin["records"]
    row = next(r for r in server.store.iter_audit(after_seq=rec["seq"] - 1))
    assert (item["seq"], item["hash"], item["prev_hash"]) == (row.seq, row.hash, row.prev_hash)
    assert item["chain"]["hash_ok"] and item["chain"]["prev_link_ok"] and item["chain"]["next_link_ok"]
    assert item["record"]["findings"] == rec["findings"] and item["record"]["rules"] == rec["rules"]
    html = browser.get(f"/admin/ui/decisions/{rec['decision_id']}").text
    for value in (row.hash, row.prev_hash, rec["decision_id"], *rec["rules"], "CLASSIFICATION_MARKING"):
        assert value in html
    assert SECRET_WORD not in html and SECRET_WORD not in orjson.dumps(twin).decode()
    viewed = records(server)[-1]
    assert viewed["extra"]["admin"] == {"op": "view_decision", "decision_id": rec["decision_id"]}


@pytest.mark.parametrize(("decision_id", "status"), [("dec_" + "0" * 32, 404), ("bad%20id%3Cx%3E", 400)])
def test_unknown_or_malformed_decision_ids(browser: httpx.Client, decision_id: str, status: int) -> None:
    assert browser.get(f"/admin/decisions/{decision_id}").status_code == status
    page = browser.get(f"/admin/ui/decisions/{decision_id}")
    assert page.status_code == status and "<x>" not in page.text


def test_client_chosen_strings_are_escaped(server: ServerThread, browser: httpx.Client) -> None:
    html = browser.get("/admin/ui/decisions?route=inference").text
    assert EVIL_MODEL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    purpose = next(r for r in inference(server) if r["status"] == 403)
    detail = browser.get(f"/admin/ui/decisions/{purpose['decision_id']}").text
    assert purpose["request"]["purpose"] == EVIL_PURPOSE[:64]
    assert EVIL_PURPOSE not in detail and "&lt;img src=x onerror=alert(2)&gt;" in detail
    keys = browser.get("/admin/ui/keys").text
    assert EVIL_KEY_NAME not in keys and "&lt;b&gt;ops&lt;/b&gt; &amp; co" in keys
    policy = browser.get("/admin/ui/policy").text
    assert "Watch &lt;e-mail&gt; &amp; report" in policy and "Memo &lt;7&gt; &amp; annex" in policy


def test_audit_integrity_verifies_on_demand(server: ServerThread, browser: httpx.Client) -> None:
    status = browser.get("/admin/audit/status").json()
    assert status["verification"] is None and status["head"]["seq"] > 0
    html = browser.get("/admin/ui/audit").text
    assert "Run verification now" in html and "intact" not in html
    ran = browser.get("/admin/audit/status?verify=1").json()["verification"]
    assert ran["ok"] is True and ran["records"] >= status["head"]["seq"]
    page = browser.get("/admin/ui/audit?verify=1").text
    assert "The chain is intact" in page and status["signing_key_id"] in page


def test_audit_integrity_names_the_first_bad_record(gateway_server: ServerThread) -> None:
    client = login(gateway_server)
    for _ in range(3):
        assert client.get("/admin/ui/keys").status_code == 200
    conn = sqlite3.connect(gateway_server.store.path)  # type: ignore[attr-defined]
    with conn:
        conn.execute("UPDATE audit SET body = replace(body, '\"status\":200', '\"status\":201') WHERE seq = 2")
    conn.close()
    twin = client.get("/admin/audit/status?verify=1").json()["verification"]
    assert twin["ok"] is False and twin["first_bad_seq"] == 2 and "edited" in twin["reason"]
    html = client.get("/admin/ui/audit?verify=1").text
    assert "The chain is broken" in html and "seq 2" in html
    detail = client.get(f"/admin/decisions/{next(gateway_server.store.iter_audit(after_seq=1)).decision_id}").json()
    assert detail["records"][0]["chain"]["hash_ok"] is False


def test_policy_page_lists_every_rule_and_the_ladders(server: ServerThread, browser: httpx.Client) -> None:
    twin = browser.get("/admin/policy").json()
    html = browser.get("/admin/ui/policy").text
    engine = server.gateway.policy
    assert [r["id"] for r in twin["rules"]] == [r.id for r in engine.rules]
    for r in twin["rules"]:
        assert f">{r['id']}</a>" in html
    custom = next(r for r in twin["rules"] if r["id"] == "acme.watch-email")
    assert custom["pack"] == "config" and custom["then"] == "alert" and custom["when"] == {"findings": {"type": ["EMAIL"]}}
    assert set(twin["ladders"]) == {"us", "cn", "nato", "uk"}
    rank3 = next(r for r in twin["ranks"] if r["rank"] == 3)
    assert rank3["deployments"] == ["gov-secret"] and "机密" in rank3["levels"]["cn"]
    assert next(r for r in twin["ranks"] if r["rank"] == 4)["tenants"] == ["dod"]
    assert "机密" in html and twin["revision"] in html


def test_keys_page_shows_ids_never_keys(server: ServerThread, browser: httpx.Client) -> None:
    secret = server.key("dod")
    twin = browser.get("/admin/keys?tenant=dod").json()["data"]
    html = browser.get("/admin/ui/keys?tenant=dod").text
    assert {k["tenant"] for k in twin} == {"dod"} and len(twin) >= 3
    for k in twin:
        assert k["key_id"] in html and set(k) == {"key_id", "tenant", "scope", "name", "created_at", "revoked_at"}
    assert secret not in html and secret.split("_", 2)[2] not in html
    all_keys = browser.get("/admin/ui/keys").text
    assert all(k.key_id in all_keys for k in server.store.list_keys())


def test_ledger_page_and_report(server: ServerThread, browser: httpx.Client) -> None:
    twin = browser.get("/admin/ledger").json()
    assert twin["enabled"] is True and [r["tenant"] for r in twin["data"]] == ["acme"]
    row = twin["data"][0]
    html = browser.get("/admin/ui/ledger").text
    assert row["tier_label"] in html and row["effective_mechanism"] in html
    assert 'href="/admin/ui/ledger/acme/report"' in html
    report = browser.get("/admin/ui/ledger/acme/report")
    assert report.status_code == 200 and "default-src 'none'" in report.headers["content-security-policy"]
    assert "<html" in report.text and "acme" in report.text
    data = browser.get("/admin/ledger/acme/report").json()
    assert data["status"]["persons"] == row["persons"]
    assert browser.get("/admin/ledger/nobody/report").status_code == 404
    assert browser.get("/admin/ui/ledger/acme/report?year=x").status_code == 400


def test_ledger_page_when_the_ledger_is_off(gateway_server: ServerThread) -> None:
    client = login(gateway_server)
    assert client.get("/admin/ledger").json() == {"enabled": False, "data": []}
    assert "not enabled" in client.get("/admin/ui/ledger").text
    assert client.get("/admin/ui/ledger/acme/report").status_code == 404


def test_an_open_breaker_shows_on_the_overview(gateway_server: ServerThread) -> None:
    breaker = gateway_server.gateway.router.breakers["fake"]
    for _ in range(breaker.threshold):
        breaker.failure()
    client = login(gateway_server)
    (dep,) = client.get("/admin/overview").json()["deployments"]
    assert (dep["breaker"], dep["ready"]) == ("open", False)
    html = client.get("/admin/ui/").text
    assert '<span class="b bad">open</span>' in html


@pytest.mark.parametrize(("sent", "lands"), [
    ("/admin/ui/keys?tenant=dod", "/admin/ui/keys?tenant=dod"),
    ("https://evil.example/admin/ui/", "/admin/ui/"),
    ("//evil.example/admin/ui/", "/admin/ui/"),
    ("/admin/ui/login?next=/admin/ui/", "/admin/ui/"),
    ("/v1/models", "/admin/ui/"),
])
def test_login_only_redirects_into_the_ui(server: ServerThread, sent: str, lands: str) -> None:
    r = httpx.post(f"{server.url}/admin/ui/login", data={"key": server.key("acme", "admin"), "next": sent},
                   headers={"origin": server.url})
    assert r.status_code == 303 and r.headers["location"] == lands


def test_twins_accept_the_bearer_header(server: ServerThread) -> None:
    h = {"authorization": f"Bearer {server.key('dod', 'admin')}"}
    for path in ("/admin/overview", "/admin/decisions", "/admin/policy", "/admin/ledger", "/admin/audit/status"):
        assert httpx.get(f"{server.url}{path}", headers=h).status_code == 200, path
    assert httpx.get(f"{server.url}/admin/ui/", headers=h).status_code == 200  # pages too (curl, scripts)


# ---------------------------------------------------------------------- screenshots (optional)
# Headless Chromium renders every page into test-artifacts/ui/ for people to look at. The pages
# are self-contained, so the HTML saved from the logged-in session renders the same from a file.
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-artifacts" / "ui"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")



def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _shoot(html: str, name: str, width: int = 1400, height: int = 1500) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    page = OUT / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png = OUT / f"{name}.png"
    png.unlink(missing_ok=True)
    assert CHROMIUM is not None
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--lang=en-US",
         f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    return png


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (screenshots are optional)")
def test_screenshots_of_every_page(server: ServerThread, browser: httpx.Client) -> None:
    blocked = next(r for r in inference(server) if r["outcome"] == "blocked")
    pages = {
        "login": "/admin/ui/login",
        "overview": "/admin/ui/",
        "decisions": "/admin/ui/decisions",
        "decision": f"/admin/ui/decisions/{blocked['decision_id']}",
        "audit": "/admin/ui/audit?verify=1",
        "policy": "/admin/ui/policy",
        "keys": "/admin/ui/keys",
        "ledger": "/admin/ui/ledger",
        "ledger-report": "/admin/ui/ledger/acme/report",
    }
    for name, path in pages.items():
        r = browser.get(path)
        assert r.status_code == 200, path
        png = _shoot(r.text, name)
        width, height = _png_size(png)
        assert (width, height) == (1400, 1500)
        assert png.stat().st_size > 20_000, f"{name}: the screenshot looks blank"
