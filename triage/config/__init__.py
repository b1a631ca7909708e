"""Settings: declared once, with defaults and help; loaded from one TOML file.

Unknown keys, wrong types and missing secrets stop start-up with one message that names the
file, the key and a fix. Secrets are never written in TOML: a setting ending in ``_env``
names the environment variable that holds the secret.

The package is part of the kernel: it imports nothing of triage but ``triage.errors`` and
``triage.models``. Its modules, lowest first:

- ``values``: the section base class and value types (durations, time zones, opening hours);
- ``common``: settings used in several places (:class:`RetrySettings`, :class:`SmtpSettings`);
- ``llm``: ``[classifier.llm]``, the optional local LLM's second opinion; ``encoder``:
  ``[classifier.encoder]``, the optional sentence encoder's re-score;
- ``sources`` (with ``channels``, the chat sources), ``deadlines``, ``sections``: one class
  per TOML table;
- ``settings``: the root :class:`Settings` and the checks that span sections;
- ``secret_env``: the secrets, derived from the ``*_env`` settings; ``legacy``: moved keys;
- ``loading``: find, parse and validate the file.
"""

from triage.config.common import RetrySettings, SmtpSettings
from triage.config.deadlines import (
    DEADLINE_KINDS,
    PRIORITIES,
    CalendarSettings,
    DeadlineRuleSettings,
    DeadlineSettings,
    NotificationSettings,
)
from triage.config.encoder import EncoderSettings
from triage.config.legacy import ConfigKeyDeprecation, upgrade_legacy_keys
from triage.config.llm import LLM_LANGUAGES, LlmSettings
from triage.config.loading import find_config_path, load_settings, settings_from_mapping
from triage.config.secret_env import check_secrets_present, mask_url, masked_dump, secret_keys
from triage.config.sections import (
    AckRuleSettings,
    ClassifierSettings,
    DraftingSettings,
    LoggingSettings,
    OpsSettings,
    RetentionSettings,
    SchedulerSettings,
    SendSettings,
    StoreSettings,
    WebSettings,
)
from triage.config.settings import Settings, check_references
from triage.config.sources import (
    OAUTH2_PRESETS,
    SOURCE_SETTINGS,
    BaseSourceSettings,
    ImapOAuth2Settings,
    ImapSettings,
    ImapWriteBackSettings,
    MaildirSettings,
    MastodonSettings,
    SourceSettings,
    XSettings,
)
from triage.config.team import DEFAULT_TEAM_NAMES, TeamName, team_name_for
from triage.config.values import (
    DAYS,
    Duration,
    Section,
    Span,
    TimeZoneName,
    check_week,
    check_zone,
    is_loopback,
    parse_duration,
    parse_spans,
)

__all__ = [
    "DAYS",
    "DEADLINE_KINDS",
    "DEFAULT_TEAM_NAMES",
    "LLM_LANGUAGES",
    "OAUTH2_PRESETS",
    "PRIORITIES",
    "SOURCE_SETTINGS",
    "AckRuleSettings",
    "BaseSourceSettings",
    "CalendarSettings",
    "ClassifierSettings",
    "ConfigKeyDeprecation",
    "DeadlineRuleSettings",
    "DeadlineSettings",
    "DraftingSettings",
    "Duration",
    "EncoderSettings",
    "ImapOAuth2Settings",
    "ImapSettings",
    "ImapWriteBackSettings",
    "LlmSettings",
    "LoggingSettings",
    "MaildirSettings",
    "MastodonSettings",
    "NotificationSettings",
    "OpsSettings",
    "RetentionSettings",
    "RetrySettings",
    "SchedulerSettings",
    "Section",
    "SendSettings",
    "Settings",
    "SmtpSettings",
    "SourceSettings",
    "Span",
    "StoreSettings",
    "TeamName",
    "TimeZoneName",
    "WebSettings",
    "XSettings",
    "check_references",
    "check_secrets_present",
    "check_week",
    "check_zone",
    "find_config_path",
    "is_loopback",
    "load_settings",
    "mask_url",
    "masked_dump",
    "parse_duration",
    "parse_spans",
    "secret_keys",
    "settings_from_mapping",
    "team_name_for",
    "upgrade_legacy_keys",
]
