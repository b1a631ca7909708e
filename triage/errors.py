"""The one exception tree of triage.

Library code raises these; only the CLI turns them into messages and exit codes.
Every message names the file, field or message concerned and says how to fix it.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base class of every error triage raises on purpose."""


class ConfigError(TriageError):
    """The configuration file or environment is wrong; start-up stops.

    ``file`` and ``key`` name the offending place; ``fix`` says what to do.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 fix: str | None = None) -> None:
        self.file = file
        self.key = key
        self.fix = fix
        parts = []
        if file:
            parts.append(str(file))
        if key:
            parts.append(f"key '{key}'")
        where = ": ".join(parts)
        text = f"{where}: {message}" if where else message
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class MissingSecretError(ConfigError):
    """A secret named in the configuration is not set in the environment."""


class StoreError(TriageError):
    """The message store could not be read or written."""


class SourceError(TriageError):
    """A source (mailbox, social account) failed; the job is retried with backoff."""


class SourceAuthError(SourceError):
    """A source rejected our credentials; retrying will not help until they are fixed."""


class SourceRequestRefused(SourceError):
    """The API refused a request as invalid (HTTP 400), e.g. a page token that expired."""


class ChannelRefused(SourceRequestRefused):
    """A chat platform refused a request for a reason of its own; ``status`` is the HTTP
    status, ``code``/``subcode`` the platform's error codes (Graph ``code``/``error_subcode``,
    Zalo's negative ``error``, Telegram's ``error_code``), so a sender can tell a closed reply
    window from other refusals."""

    def __init__(self, message: str, *, status: int = 0, code: int | None = None,
                 subcode: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.subcode = subcode


class RateLimited(SourceError):
    """A source's API budget is spent; ``reset_at`` says when it comes back."""

    def __init__(self, message: str, reset_at: object | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class ParseError(TriageError):
    """A raw message could not be parsed; the message is quarantined with this reason."""


class UnusualMime(TriageError):
    """A message that :mod:`triage.mail.mimetree` does not build (the standard feedparser
    would take another branch on it); it is parsed by the feedparser instead. Caught where
    it is raised: it never leaves the mail package."""


class ClassifierError(TriageError):
    """The classifier could not be trained, loaded or run."""


class LlmError(ClassifierError):
    """The local LLM server of ``[classifier.llm]`` could not give a second opinion."""


class LlmUnavailable(LlmError):
    """The LLM server cannot be used right now (down, timed out, overloaded, 5xx, refused
    the key): the job stops this run and asks again at its next one."""


class LlmAnswerError(LlmError):
    """The LLM server answered, but not as asked (no JSON object, a label that is not a
    category, an empty reason); ``field`` names what was wrong. Only that message failed."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ModelFileError(ClassifierError):
    """A model file is missing, corrupt, or not one triage wrote (refused for safety)."""


class CorpusError(ClassifierError):
    """A corpus or labelled CSV file is malformed; the message names file and line."""


class TemplateError(TriageError):
    """A reply template is missing, broken or rendered to something invalid."""


class PlaceholderUnfilled(TemplateError):
    """A draft still carries placeholders that an agent must fill before sending.

    ``labels`` lists the markers still in the text (see ``triage.drafting.placeholders``).
    """

    def __init__(self, message: str, labels: list[str] | None = None) -> None:
        super().__init__(message)
        self.labels = list(labels or [])


class SendError(TriageError):
    """A reply could not be sent; the outbox retries it."""


class NotFound(TriageError):
    """A message, draft, user or model version that was asked for does not exist."""


class ReviewError(TriageError):
    """An agent's action on a message was refused: it has no open draft, a reply to it was
    already approved or sent, or the category is unknown. The message says what to do."""


class NotifyError(TriageError):
    """A deadline notice (webhook or e-mail digest) could not be delivered; it is retried."""


class PermanentSendError(SendError):
    """A reply was refused for good (bad address, no sender for its channel); not retried."""


class SendInDoubt(SendError):
    """A send broke off after the reply may have reached the server (for example the
    connection dropped after the message data was sent): the outbox marks it in doubt and
    never retries it on its own, since a retry could deliver it twice."""


class OutboxError(TriageError):
    """An outbox row cannot be changed as asked (unknown id, or a status that does not allow
    it); the message names the row, its status and what is allowed."""


class ReplyRejected(PermanentSendError):
    """A social network refused a reply for good (too long, post deleted, not allowed);
    retrying the same reply will not help."""


class AuthError(TriageError):
    """A user name or password is wrong, or a user is not allowed to do something."""


class RateLimitedLogin(AuthError):
    """Too many failed sign-ins for a user name or client address; try again later."""
class ModelVersionError(ClassifierError):
    """A model version does not exist in the registry, or cannot be activated."""


class ModelVersionNotFound(ModelVersionError, NotFound):
    """The model version asked for is not registered."""


class LeaseLost(TriageError):
    """Another daemon took over a source's lease; this daemon stops polling it."""


class AckError(TriageError):
    """An automatic acknowledgement rule is wrong (bad template) or could not be applied."""
