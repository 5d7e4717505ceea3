"""Ledger configuration: the top-level ``ledger:`` section and the per-tenant ``ledger:`` object.

These models import nothing from :mod:`airlock.config` (which imports them), so the
configuration stays one acyclic tree. Filing facts (mechanism, date), the CIIO flag and the
free-trade-zone list are the customer's statements about itself: Airlock cannot infer them,
so they are configuration, and every audit record carries the configuration revision.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DEFAULT_ALERT_FRACTIONS",
    "FiledMechanism",
    "LedgerMode",
    "LedgerSettings",
    "TenantLedgerSettings",
    "WebhookSettings",
]

DEFAULT_ALERT_FRACTIONS = (0.8, 0.95)

FiledMechanism = Literal["none", "standard_contract", "certification", "security_assessment"]
LedgerMode = Literal["monitor", "enforce"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_fractions(value: list[float] | None) -> list[float] | None:
    if value is None:
        return None
    for f in value:
        if not 0.0 < f < 1.0:
            raise ValueError(f"alert fractions must be between 0 and 1 (exclusive), got {f}")
    return sorted(set(value))


def _check_pack(value: str | None) -> str | None:
    from airlock.ledger.rules import available_packs

    if value is not None and value not in available_packs():
        raise ValueError(f"unknown rule pack {value!r}; available: {', '.join(available_packs())}")
    return value


class WebhookSettings(_Strict):
    timeout: float = Field(5.0, gt=0, le=60, description="seconds per webhook attempt")
    max_attempts: int = Field(3, ge=1, le=10, description="attempts per alert before it is dropped (logged)")
    backoff: float = Field(1.0, ge=0, le=60, description="seconds before the second attempt (doubles after)")
    queue_max: int = Field(1000, ge=1, description="alerts waiting to be sent; more are dropped (logged)")


class LedgerSettings(_Strict):
    enabled: bool = Field(
        False,
        description="count data subjects sent to deployments outside the tenant's jurisdiction "
        "(needs the key in key_env; fails closed without it)",
    )
    pack: str = Field("cn-2024", description="default rule pack: cn-2024 (current law) or cn-2022")
    key_env: str = Field(
        "AIRLOCK_LEDGER_KEY", description="environment variable holding the HMAC key for subject hashes (≥ 32 chars)"
    )
    alert_fractions: list[float] = Field(
        list(DEFAULT_ALERT_FRACTIONS), description="alert when a count reaches these fractions of the next threshold"
    )
    clock_skew_seconds: float = Field(
        120.0,
        ge=0,
        le=3600,
        description="bound on clock skew between replicas: transfers this close to 1 January "
        "(pack time zone) are recorded in both years",
    )
    webhook: WebhookSettings = Field(WebhookSettings(), description="delivery of alert webhooks")

    _fractions = field_validator("alert_fractions")(_check_fractions)
    _pack = field_validator("pack")(_check_pack)


class TenantLedgerSettings(_Strict):
    mode: LedgerMode = Field(
        "monitor", description="monitor: record and alert; enforce: also refuse transfers beyond the filed tier"
    )
    pack: str | None = Field(None, description="rule pack for this tenant (default: ledger.pack)")
    filed_mechanism: FiledMechanism = Field(
        "none", description="filed mechanism: none, standard_contract, certification, security_assessment"
    )
    filed_date: date | None = Field(None, description="date the mechanism took effect (filing / approval date)")
    filed_expires: date | None = Field(None, description="last day the mechanism is valid (e.g. assessment validity)")
    ciio: bool = Field(False, description="the tenant is a critical-information-infrastructure operator")
    important_data: bool = Field(
        False, description="the tenant's transfers carry data notified or published as important data"
    )
    persons_processed: int | None = Field(
        None, ge=0, description="persons whose PI the tenant processes in total (cn-2022 rule on ≥ 1,000,000)"
    )
    ftz: str | None = Field(None, description="free-trade zone the tenant is registered in (enables the FTZ exemption)")
    ftz_negative_list: str | None = Field(None, description="YAML file: the zone's negative list (needed with ftz)")
    alert_fractions: list[float] | None = Field(None, description="overrides ledger.alert_fractions for this tenant")
    webhook_url: str | None = Field(None, description="http(s) URL that receives alert JSON (optional)")
    include_names: bool = Field(False, description="count personal names (PERSON findings) as identifiers")
    include_addresses: bool = Field(False, description="count addresses (ADDRESS findings) as identifiers")

    _fractions = field_validator("alert_fractions")(_check_fractions)
    _pack = field_validator("pack")(_check_pack)

    @field_validator("webhook_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("webhook_url must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _check(self) -> TenantLedgerSettings:
        if self.filed_mechanism != "none" and self.filed_date is None:
            raise ValueError(f"filed_mechanism is {self.filed_mechanism!r}: set filed_date (when it took effect)")
        if self.filed_expires is not None and self.filed_date is not None and self.filed_expires < self.filed_date:
            raise ValueError("filed_expires is before filed_date")
        if self.ftz and not self.ftz_negative_list:
            raise ValueError("ftz is set: set ftz_negative_list to the zone's negative-list file")
        if self.ftz_negative_list and not self.ftz:
            raise ValueError("ftz_negative_list is set but ftz (the zone) is not")
        return self
