"""The yearly report as one self-contained HTML page (no scripts, no external assets).

Bilingual headings (English / 中文), printable on A4, written for the data-protection officer
who files it: what was sent abroad, which mechanism that requires, on which rule and source,
and what the rule pack itself does not yet verify.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["render_html"]

_CSS = """
:root { --ink:#1d2433; --muted:#5b6476; --line:#d9dde5; --ok:#1f7a4d; --warn:#a15c00; --bad:#b3261e;
        --bg:#f6f7f9; --accent:#2f5aa8; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 40px 48px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h1 small, h2 small { font-weight: normal; color: var(--muted); margin-left: 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); font-size: 13px; }
.meta b { color: var(--ink); font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 16px 0 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; background: var(--bg); }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 22px; font-weight: 650; margin-top: 2px; }
.card .sub { font-size: 12px; color: var(--muted); }
.verdict { border-radius: 6px; padding: 12px 16px; margin: 12px 0; font-weight: 600; }
.verdict.ok { background: #e7f4ec; color: var(--ok); border: 1px solid #b7dcc6; }
.verdict.bad { background: #fbe9e7; color: var(--bad); border: 1px solid #f0b9b3; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 12.5px; }
th:empty { width: 118px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; height: 10px; background: var(--accent); border-radius: 2px; vertical-align: middle; }
.bar.s { background: var(--warn); }
.tag { display: inline-block; font-size: 11px; padding: 1px 6px; border-radius: 10px; border: 1px solid; }
.tag.v { color: var(--ok); border-color: #b7dcc6; } .tag.u { color: var(--warn); border-color: #e8c99a; }
.note { color: var(--muted); font-size: 12px; }
ul.plain { margin: 4px 0; padding-left: 18px; }
.sign { display: grid; grid-template-columns: 1fr 1fr; gap: 40px; margin-top: 36px; }
.sign div { border-top: 1px solid var(--ink); padding-top: 4px; font-size: 12px; color: var(--muted); }
footer { margin-top: 28px; font-size: 11px; color: var(--muted); }
@media print { main { padding: 0; } .card, .verdict { break-inside: avoid; } h2 { break-after: avoid; }
               @page { size: A4; margin: 16mm; } }
"""

_TIER_ZH = {"exempt": "免于申报", "standard_contract": "标准合同 / 认证", "security_assessment": "安全评估"}
_MECH = {"none": "none / 未申报", "standard_contract": "standard contract / 标准合同",
         "certification": "certification / 认证", "security_assessment": "security assessment / 安全评估"}


def _n(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else escape(str(value if value is not None else "—"))


def _e(value: object) -> str:
    return escape(str(value if value is not None else "—"))


def _bar(value: int, peak: int) -> int:
    return max(1, round(110 * value / peak)) if value else 0


def _table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    th = "".join(f'<th class="n">{h}</th>' if i in numeric else f"<th>{h}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(head)}" class="note">None in this period. / 本期无。</td></tr>'
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: dict[str, Any]) -> str:
    s, pack, filing = report["status"], report["pack"], report["filing"]
    tenant, year = report["tenant"], report["year"]
    tiers = {t["id"]: t for t in pack["tiers"]}
    tier = tiers[s["tier"]]
    violation = s["violation"]
    verdict = (
        f'<div class="verdict bad">Filing gap / 申报缺口: the transfers require <i>{_e(tier["label"])}</i> '
        f"(rule {_e(s['rule'])}), but the mechanism in force is {_e(_MECH[s['effective_mechanism']])}.</div>"
        if violation
        else f'<div class="verdict ok">Within the filed mechanism / 符合已申报机制: {_e(tier["label"])} '
        f"(rule {_e(s['rule'])}) is covered by {_e(_MECH[s['effective_mechanism']])}.</div>"
    )
    proj = s["projection"]
    cards = f"""
<div class="cards">
  <div class="card"><div class="label">Persons / 出境人数</div><div class="value">{_n(s['persons'])}</div>
    <div class="sub">since {_e(s['period_start'])}</div></div>
  <div class="card"><div class="label">Sensitive PI / 敏感个人信息</div>
    <div class="value">{_n(s['sensitive_persons'])}</div><div class="sub">persons</div></div>
  <div class="card"><div class="label">Required / 所需机制</div><div class="value" style="font-size:17px">
    {_e(_TIER_ZH.get(s['tier'], s['tier']))}</div><div class="sub">{_e(s['tier'])} · {_e(s['rule'])}</div></div>
  <div class="card"><div class="label">Year-end projection / 年末预测</div>
    <div class="value">{_n(proj['year_end_persons'])}</div>
    <div class="sub">→ {_e(proj['year_end_tier'])}{' (gap)' if proj['year_end_violation'] else ''}</div></div>
</div>"""

    head = [h for h in s["headroom"] if h["next_threshold"] is not None]
    headroom_rows = [
        [
            "persons / 人数" if h["measure"] == "persons" else "sensitive persons / 敏感个人信息人数",
            _n(h["count"]), _n(h["next_threshold"]), _e(h["next_tier"]), _n(h["remaining"]),
            _n(h["remaining_before_violation"]),
        ]
        for h in head
    ]

    months = report["months"]
    peak = max([m["new_persons"] for m in months] + [1])
    ob = report["opening_balance"]
    month_rows = [
        [f"Opening / 期初 ({ob['month']:02d})", _n(ob["persons"]), _n(ob["sensitive_persons"]), "", "", "", "", ""]
    ] if ob["persons"] else []
    month_rows += [
        [
            f"{year}-{m['month']:02d}", _n(m["new_persons"]), _n(m["new_sensitive_persons"]),
            _n(m["cumulative_persons"]), _n(m["cumulative_sensitive_persons"]), _n(m["requests"]),
            _n(m["exempt_identifiers"]),
            f'<span class="bar" style="width:{_bar(m["new_persons"], peak)}px"></span>',
        ]
        for m in months
    ]
    cat_rows = [[f"{_e(c['label'])} / {_e(c['label_zh'])}", _n(c["persons"])] for c in report["sensitive_categories"]]
    dest_rows = [
        [_e(d["deployment"]), _e(d["jurisdiction"]), _n(d["requests"]), _n(d["identifiers_counted"]),
         _n(d["identifiers_exempt"]), _n(d["new_persons"])]
        for d in report["destinations"]
    ]
    ex_rows = [
        [_e(e["label"]), _e(e["rule"]), _e(e["article"]), _n(e["requests"]), _n(e["identifiers"])]
        for e in report["exemptions"]
    ]
    cmp_rows = [[_e(c["pack"]), _e(c["window"]), _n(c["persons"]), _n(c["sensitive_persons"]), _e(c["tier"]),
                 _e(c["rule"])] for c in report["comparison"]]
    rule_rows = [
        [_e(r["id"]), _e(r["tier"]), _e(r["article"]), _e(r["text"]), _e("; ".join(r["sources"])),
         '<span class="tag v">verified</span>' if r["verified"] else '<span class="tag u">unverified</span>']
        for r in pack["rules"]
    ]
    filing_rows = [
        ["Filed mechanism / 已申报机制", _e(_MECH[filing["filed_mechanism"]])],
        ["Effective from / 生效日期", _e(filing["filed_date"])],
        ["Valid until / 有效期至", _e(filing["filed_expires"])],
        ["Mechanism in force on the report date / 报告日有效机制", _e(_MECH[s["effective_mechanism"]])],
        ["Critical information infrastructure operator / 关键信息基础设施运营者", "yes / 是" if filing["ciio"] else
         "no / 否"],
        ["Important data / 重要数据", "yes / 是" if filing["important_data"] else "no / 否"],
        ["Free-trade zone / 自由贸易试验区", _e(filing["ftz"])],
        ["Gateway mode / 网关模式", _e(filing["mode"])],
    ]
    opening = (
        f'<p class="note">Includes an opening balance of {_n(ob["persons"])} persons ({_n(ob["sensitive_persons"])} '
        "sensitive) transferred before the gateway recorded transfers (from the company's records).</p>"
        if ob["persons"] else ""
    )
    sources = "".join(
        f"<li>{_e(src['title'])}" + (f" — {_e(src['url'])}" if src.get("url") else "") + "</li>"
        for src in pack["sources"]
    )
    unverified = "".join(f"<li>{_e(u)}</li>" for u in pack["unverified"])
    interpretations = "".join(f"<li>{_e(i)}</li>" for i in pack["interpretations"])
    method = "".join(f"<li>{_e(m)}</li>" for m in report["method"])

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(report['report'])} — {_e(tenant['name'])} — {year}</title>
<style>{_CSS}</style></head>
<body><main>
<header>
  <h1>Cross-border transfers of personal information <small>个人信息出境情况报告</small></h1>
  <div class="meta"><b>{_e(tenant['name'])}</b> ({_e(tenant['id'])}, {_e(tenant['jurisdiction'])}) ·
    reporting year <b>{year}</b> · counting window {_e(pack['window'])} ·
    as of <b>{_e(s['as_of'])}</b> · generated {_e(report['generated_at'])}</div>
  <div class="meta">Rule pack <b>{_e(pack['id'])}</b> version {_e(pack['version'])}: {_e(pack['title'])}
    ({_e(pack['title_zh'])}), in force from {_e(pack['effective_from'])}</div>
</header>
{cards}
{verdict}
{opening}
<h2>Filing <small>申报情况</small></h2>
{_table(["Item / 项目", "Value / 内容"], filing_rows)}
<h2>Headroom <small>距下一阈值</small></h2>
{_table(["Measure / 指标", "Count / 现数", "Next threshold / 下一阈值", "Tier / 机制", "Remaining / 余量",
         "Before a filing gap / 至申报缺口"], headroom_rows, {1, 2, 4, 5})}
<p class="note">Projection: {_e(proj['method'])}, {_n(proj['persons_per_day'])} persons per day →
  {_n(proj['year_end_persons'])} persons ({_n(proj['year_end_sensitive_persons'])} sensitive) by 31 December.</p>
<h2>By month <small>按月统计</small></h2>
{_table(["Month / 月份", "New persons / 新增", "New sensitive / 新增敏感", "Cumulative / 累计",
         "Cum. sensitive / 累计敏感", "Requests / 请求", "Exempt ids / 豁免", ""],
        month_rows, {1, 2, 3, 4, 5, 6})}
<p class="note">New persons are counted in the month their personal information first crossed; exempt ids are
  identifiers sent under an exemption (not counted).</p>
<h2>Sensitive personal information by category <small>敏感个人信息类别（个人信息保护法第二十八条）</small></h2>
{_table(["Category / 类别", "Persons / 人数"], cat_rows, {1})}
<p class="note">A person with several categories counts once in each.</p>
<h2>Destinations <small>境外接收方（部署）</small></h2>
{_table(["Deployment / 部署", "Jurisdiction / 法域", "Requests with counted PI / 计入请求",
         "Identifiers counted / 计入标识",
         "Identifiers exempt / 豁免标识", "New persons / 新增人数"], dest_rows, {2, 3, 4, 5})}
<h2>Exemptions used <small>适用的豁免情形</small></h2>
{_table(["Basis / 依据", "Rule / 规则", "Article / 条款", "Requests / 请求数", "Identifiers / 标识数"],
        ex_rows, {3, 4})}
<h2>Under each rule pack <small>不同规则对比</small></h2>
{_table(["Pack / 规则包", "Window / 统计区间", "Persons / 人数", "Sensitive / 敏感", "Tier / 机制", "Rule / 规则"],
        cmp_rows, {2, 3})}
<h2>Rules applied <small>适用规则</small></h2>
{_table(["Rule", "Tier", "Article", "Condition", "Sources", "Status"], rule_rows)}
<p class="note">Counting window source: {_e(pack['window_source'])}. Rules are evaluated in order; the first that
  holds sets the tier.</p>
<h2>Not yet verified <small>待核实事项</small></h2>
<ul class="plain">{unverified}</ul>
<h2>Interpretations <small>解释说明</small></h2>
<ul class="plain">{interpretations}</ul>
<h2>How the count is made <small>统计方法</small></h2>
<ul class="plain">{method}</ul>
<h2>Sources <small>来源</small></h2>
<ul class="plain">{sources}</ul>
<div class="sign"><div>Prepared by / 编制人 · date / 日期</div>
  <div>Reviewed by the personal-information protection officer / 个人信息保护负责人审核 · date / 日期</div></div>
<footer>Generated by Airlock from its cross-border ledger. The report holds counts only: no identifier of any
  person is stored by the ledger or shown here.</footer>
</main></body></html>
"""
