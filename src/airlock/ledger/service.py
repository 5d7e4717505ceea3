"""The ledger service: what the gateway calls before a request goes abroad.

.. code-block:: python

    ledger = Ledger.from_config(config, data_dir=data_dir, metrics=gateway.metrics, audit=gateway.audit)
    if ledger is not None and ledger.applies(tenant, deployment):
        subjects = ledger.subjects(tenant, texts, findings_leaving_in_clear)
        outcome = ledger.record(tenant=tenant, deployment=deployment, subjects=subjects,
                                purpose=purpose, decision_id=trace.decision_id, at=time.time())
        trace.extra["ledger"] = outcome.to_audit()

``record`` applies the exemptions (purpose, free-trade zone), records the counted subjects in
one transaction (see :mod:`airlock.ledger.store`), evaluates the pack and, in ``enforce``
mode, raises :class:`LedgerRefusedError` from inside that transaction — nothing is recorded
and nothing is sent — when the transfer would take the tenant into a tier it has not filed
for. A store failure raises :class:`LedgerUnavailableError` (fail closed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from airlock.errors import ConfigError
from airlock.ledger.alerts import Alert, LedgerMetrics, WebhookSender, compute_alerts
from airlock.ledger.errors import LedgerRefusedError, LedgerUnavailableError
from airlock.ledger.ftz import NegativeList, load_negative_list
from airlock.ledger.outcome import LedgerOutcome, PeriodCounts, SubjectRecord
from airlock.ledger.periods import Moment, moment, window_start
from airlock.ledger.rules import Facts, Pack, TierResult, load_pack
from airlock.ledger.settings import LedgerSettings, TenantLedgerSettings
from airlock.ledger.store import COUNTED, LedgerStore, PeriodResult, Totals, Transfer, open_ledger_store
from airlock.ledger.subjects import Subject, key_id, load_key, subjects_from
from airlock.stores.base import PendingAudit, StoreError

if TYPE_CHECKING:
    from airlock.audit import AuditWriter
    from airlock.config import Config, DeploymentConfig, TenantConfig
    from airlock.detectors.base import Finding
    from airlock.metrics import Metrics
    from airlock.trace import Trace

__all__ = ["Ledger", "effective_mechanism", "window_facts"]

log = logging.getLogger("airlock.ledger")


def effective_mechanism(settings: TenantLedgerSettings, on: date) -> str:
    """The filed mechanism in force on ``on`` (local date): none before filed_date or after expiry."""
    if settings.filed_mechanism == "none" or settings.filed_date is None or on < settings.filed_date:
        return "none"
    if settings.filed_expires is not None and on > settings.filed_expires:
        return "none"
    return settings.filed_mechanism


def window_facts(
    pack: Pack, totals: Totals, previous: Totals, settings: TenantLedgerSettings, *, important_data: bool = False
) -> Facts:
    """The counts a pack's rules look at, from one period's totals (and the previous period's)."""
    if pack.window == "previous_and_current_year":
        persons = previous.persons + totals.fresh_persons
        sensitive = previous.sensitive_persons + totals.fresh_sensitive
    else:
        persons, sensitive = totals.persons, totals.sensitive_persons
    return Facts(
        persons=persons,
        sensitive_persons=sensitive,
        ciio=settings.ciio,
        important_data=settings.important_data or important_data,
        persons_processed=settings.persons_processed,
    )


class Ledger:
    def __init__(
        self,
        settings: LedgerSettings,
        store: LedgerStore,
        *,
        key: bytes,
        metrics: Metrics | CollectorRegistry | None = None,
        audit: AuditWriter | None = None,
        webhook: WebhookSender | None = None,
        negative_lists: Mapping[tuple[str, str], NegativeList] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.key = key
        self.key_id = key_id(key)
        registry = getattr(metrics, "registry", metrics)
        self.metrics = LedgerMetrics(registry) if isinstance(registry, CollectorRegistry) else None
        self.audit = audit
        w = settings.webhook
        self.webhook = webhook or WebhookSender(
            timeout=w.timeout, max_attempts=w.max_attempts, backoff=w.backoff, queue_max=w.queue_max
        )
        self._negative_lists: dict[tuple[str, str], NegativeList] = dict(negative_lists or {})

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        data_dir: Path | None,
        metrics: Metrics | CollectorRegistry | None = None,
        audit: AuditWriter | None = None,
        store_url: str | None = None,
    ) -> Ledger | None:
        """The configured ledger, or None when ``ledger.enabled`` is false.

        Fails closed at startup: a missing key, an unknown pack or an unreadable FTZ list is a
        :class:`~airlock.errors.ConfigError`; an unreachable store a StoreError.
        """
        settings = config.ledger
        if not settings.enabled:
            return None
        key = load_key(settings.key_env)
        lists: dict[tuple[str, str], NegativeList] = {}
        for t in config.tenants:
            load_pack(t.ledger.pack or settings.pack)
            if t.ledger.ftz and t.ledger.ftz_negative_list:
                lists[(t.ledger.ftz_negative_list, t.ledger.ftz)] = load_negative_list(
                    t.ledger.ftz_negative_list, t.ledger.ftz
                )
        store = open_ledger_store(store_url or config.store.url, data_dir, durability=config.audit.durability)
        return cls(settings, store, key=key, metrics=metrics, audit=audit, negative_lists=lists)

    def close(self) -> None:
        self.webhook.close()
        self.store.close()

    # ------------------------------------------------------------------ what applies
    def pack_for(self, tenant: TenantConfig) -> Pack:
        return load_pack(tenant.ledger.pack or self.settings.pack)

    def applies(self, tenant: TenantConfig, deployment: DeploymentConfig) -> bool:
        """True when sending to ``deployment`` is an outbound transfer this ledger counts."""
        if not self.settings.enabled:
            return False
        here = tenant.jurisdiction.upper()
        return here == self.pack_for(tenant).jurisdiction.upper() and deployment.jurisdiction.upper() != here

    def subjects(
        self, tenant: TenantConfig, texts: Sequence[tuple[str, str]], findings: Sequence[Finding]
    ) -> list[Subject]:
        """:func:`~airlock.ledger.subjects.subjects_from` with this ledger's key and the tenant's options."""
        return subjects_from(
            texts,
            findings,
            key=self.key,
            include_names=tenant.ledger.include_names,
            include_addresses=tenant.ledger.include_addresses,
        )

    def _negative_list(self, settings: TenantLedgerSettings) -> NegativeList | None:
        if not settings.ftz or not settings.ftz_negative_list:
            return None
        k = (settings.ftz_negative_list, settings.ftz)
        if k not in self._negative_lists:
            self._negative_lists[k] = load_negative_list(*k)
        return self._negative_lists[k]

    # ------------------------------------------------------------------ the gateway's seam
    def record_transfer(
        self,
        *,
        trace: Trace,
        tenant: TenantConfig,
        deployment: DeploymentConfig,
        texts: Sequence[tuple[str, str]],
        findings: Sequence[Finding],
        purpose: str | None,
    ) -> dict[str, Any] | None:
        """:class:`airlock.exchange.CrossBorderLedger`: record what crosses in clear to ``deployment``.

        ``findings`` are the ones left in clear (pseudonymised and redacted ones removed). Returns
        the audit form of the outcome (the gateway appends it to ``trace.extra["ledger"]``), or
        None when this call is not a transfer the ledger counts. A refusal is recorded in the
        trace (outcome and rule) before it is raised.
        """
        if not self.applies(tenant, deployment):
            return None
        subjects = self.subjects(tenant, texts, findings)
        try:
            outcome = self.record(tenant=tenant, deployment=deployment, subjects=subjects, purpose=purpose,
                                  decision_id=trace.decision_id, at=trace.started)
        except LedgerRefusedError as exc:
            trace.extra.setdefault("ledger", []).append(exc.outcome.to_audit())
            trace.rules.extend(r for r in exc.rules if r not in trace.rules)
            raise
        return outcome.to_audit()

    # ------------------------------------------------------------------ recording
    def record(
        self,
        *,
        tenant: TenantConfig,
        deployment: DeploymentConfig,
        subjects: Sequence[Subject],
        purpose: str | None,
        decision_id: str,
        at: datetime | float,
        important_data: bool = False,
    ) -> LedgerOutcome:
        """Record the subjects that cross in clear to ``deployment``; see the module doc."""
        t0 = time.perf_counter()
        ls = tenant.ledger
        pack = self.pack_for(tenant)
        m = moment(at, pack.timezone, self.settings.clock_skew_seconds)
        mechanism = effective_mechanism(ls, m.local.date())
        covered = pack.covered(mechanism)

        # exemptions, per request (purpose) or per subject (free-trade zone)
        records: list[SubjectRecord] = []
        exemption: str | None = None
        purpose_exemption = pack.purpose_exemptions.get(purpose) if purpose else None
        if purpose_exemption is not None and purpose in tenant.purposes:
            exemption = purpose_exemption.rule
            records = [SubjectRecord(s, f"purpose:{purpose}") for s in subjects]
        else:
            try:
                negative = self._negative_list(ls) if pack.ftz_exemption is not None else None
            except ConfigError as exc:
                raise LedgerUnavailableError(f"The ledger cannot apply the FTZ exemption: {exc}") from None
            for s in sorted(subjects, key=lambda s: s.key):
                if negative is not None and negative.match(s) is None:
                    records.append(SubjectRecord(s, "ftz"))
                else:
                    records.append(SubjectRecord(s, COUNTED))
            if negative is not None and any(r.basis == "ftz" for r in records) and pack.ftz_exemption is not None:
                exemption = pack.ftz_exemption.rule
        counted = [r.subject for r in records if r.basis == COUNTED]
        exempt: dict[str, int] = {}
        for r in records:
            if r.basis != COUNTED:
                exempt[r.basis] = exempt.get(r.basis, 0) + 1

        transfer = Transfer(
            tenant=tenant.id,
            periods=tuple((p, m.month_in(p)) for p in m.periods),
            deployment=deployment.name,
            jurisdiction=deployment.jurisdiction,
            counted=counted,
            exempt=exempt,
        )

        def verdict(r: PeriodResult) -> tuple[Facts, TierResult]:
            facts = window_facts(pack, r.totals, r.previous, ls, important_data=important_data)
            return facts, pack.evaluate(facts)

        def check(results: list[PeriodResult]) -> None:
            if not (counted or important_data or ls.important_data):
                return
            for r in results:
                facts, tier = verdict(r)
                if tier.rank > covered.rank:
                    refused = self._outcome(
                        decision_id=decision_id, tenant=tenant, deployment=deployment, pack=pack, m=m,
                        purpose=purpose, exemption=exemption, important_data=important_data,
                        subjects=tuple(records), periods=(), facts=facts, tier=tier, mechanism=mechanism,
                        covered=covered.id, refused=True,
                    )
                    raise self._refusal(
                        tenant=tenant, pack=pack, period=r.period, facts=facts, tier=tier, mechanism=mechanism,
                        outcome=refused,
                    )

        try:
            results = self.store.record(transfer, check if ls.mode == "enforce" else None)
        except LedgerRefusedError as exc:
            if self.metrics is not None:
                self.metrics.refusals.labels(tenant.id, exc.rules[0]).inc()
            log.warning("cross-border transfer refused", extra={"decision_id": decision_id, "tenant": tenant.id})
            raise
        except StoreError as exc:
            log.error("ledger unavailable: %s", exc, extra={"decision_id": decision_id})
            raise LedgerUnavailableError(
                "The cross-border ledger is unavailable; the transfer was refused (fail closed).",
                code="ledger_unavailable",
            ) from None

        # attach the resolution of each counted subject
        index = {s.key: i for i, s in enumerate(counted)}
        final: list[SubjectRecord] = []
        for rec in records:
            if rec.basis != COUNTED:
                final.append(rec)
                continue
            i = index[rec.subject.key]
            final.append(SubjectRecord(rec.subject, rec.basis, tuple((r.period, r.resolved[i]) for r in results)))

        current = next(r for r in results if r.period == m.year)
        facts, tier = verdict(current)
        before_facts = window_facts(pack, current.before, current.previous, ls, important_data=important_data)
        before_tier = pack.evaluate(before_facts)
        fractions = ls.alert_fractions if ls.alert_fractions is not None else self.settings.alert_fractions
        alerts = compute_alerts(
            tenant=tenant.id, period=m.year, pack=pack, before=before_facts, after=facts,
            tier_before=before_tier, tier_after=tier, covered_rank=covered.rank, fractions=fractions,
        )
        periods = tuple(PeriodCounts(r.period, r.month, r.delta, r.totals, r.previous) for r in results)
        outcome = self._outcome(
            decision_id=decision_id, tenant=tenant, deployment=deployment, pack=pack, m=m, purpose=purpose,
            exemption=exemption, important_data=important_data, subjects=tuple(final), periods=periods,
            facts=facts, tier=tier, mechanism=mechanism, covered=covered.id, refused=False, alerts=tuple(alerts),
        )
        violation = tier.rank > covered.rank
        if self.metrics is not None:
            self.metrics.observe(tenant.id, pack, facts, tier, violation)
            self.metrics.record_seconds.observe(time.perf_counter() - t0)
        if alerts:
            self._raise_alerts(tenant, decision_id, alerts)
        if violation and counted:
            log.warning("cross-border transfer beyond the filed mechanism (monitor mode)",
                        extra={"decision_id": decision_id, "tenant": tenant.id})
        return outcome

    # ------------------------------------------------------------------ pieces
    def _outcome(
        self,
        *,
        decision_id: str,
        tenant: TenantConfig,
        deployment: DeploymentConfig,
        pack: Pack,
        m: Moment,
        purpose: str | None,
        exemption: str | None,
        important_data: bool,
        subjects: tuple[SubjectRecord, ...],
        periods: tuple[PeriodCounts, ...],
        facts: Facts,
        tier: TierResult,
        mechanism: str,
        covered: str,
        refused: bool,
        alerts: tuple[Alert, ...] = (),
    ) -> LedgerOutcome:
        return LedgerOutcome(
            decision_id=decision_id,
            tenant=tenant.id,
            pack=pack.pack,
            pack_version=pack.version,
            key_id=self.key_id,
            mode=tenant.ledger.mode,
            deployment=deployment.name,
            jurisdiction=deployment.jurisdiction,
            at=m.utc.isoformat(timespec="milliseconds"),
            local_date=m.local.date().isoformat(),
            period=m.year,
            purpose=purpose,
            exemption=exemption,
            important_data=important_data or tenant.ledger.important_data,
            subjects=subjects,
            periods=periods,
            persons=facts.persons,
            sensitive_persons=facts.sensitive_persons,
            tier=tier.tier,
            tier_rank=tier.rank,
            rule=tier.rule,
            filed_mechanism=mechanism,
            covered_tier=covered,
            violation=tier.rank > pack.tier(covered).rank,
            refused=refused,
            alerts=alerts,
        )

    def _refusal(
        self,
        *,
        tenant: TenantConfig,
        pack: Pack,
        period: int,
        facts: Facts,
        tier: TierResult,
        mechanism: str,
        outcome: LedgerOutcome,
    ) -> LedgerRefusedError:
        rule = pack.rule(tier.rule)
        since = window_start(pack.window, period).isoformat()
        message = (
            f"Cross-border transfer refused: tenant '{tenant.id}' would reach {facts.persons:,} persons "
            f"({facts.sensitive_persons:,} with sensitive personal information) sent abroad since {since} "
            f"({pack.timezone}), which requires '{tier.tier}' under rule {rule.id} ({pack.pack}, {rule.article}); "
            f"the tenant's filed mechanism is '{mechanism}'. File the required mechanism or pseudonymise the "
            f"personal data before it leaves."
        )
        extra = {
            "ledger": {
                "tier": tier.tier,
                "rule": rule.id,
                "pack": pack.pack,
                "persons": facts.persons,
                "sensitive_persons": facts.sensitive_persons,
                "filed_mechanism": mechanism,
                "window_start": since,
            }
        }
        return LedgerRefusedError(message, rule=rule.id, outcome=outcome, extra=extra)

    def _raise_alerts(self, tenant: TenantConfig, decision_id: str, alerts: Sequence[Alert]) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        for a in alerts:
            if self.metrics is not None:
                self.metrics.alerts.labels(tenant.id, a.kind).inc()
            log.warning("ledger alert: %s", a.message, extra={"decision_id": decision_id, "tenant": tenant.id})
            payload: dict[str, Any] = {"ledger_alert": a.to_dict(), "trigger_decision_id": decision_id}
            if self.audit is not None:
                pending = PendingAudit(decision_id=decision_id, ts=now, tenant=tenant.id, kind="alert", payload=payload)
                fut = self.audit.submit(pending)
                fut.add_done_callback(_log_audit_failure)
            if tenant.ledger.webhook_url:
                self.webhook.send(tenant.ledger.webhook_url, {"event": "airlock.ledger.alert", "at": now, **payload})


def _log_audit_failure(fut: Any) -> None:
    exc = fut.exception()
    if exc is not None:
        log.error("ledger alert could not be written to the audit log: %s", type(exc).__name__)
