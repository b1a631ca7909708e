"""``[classifier.llm]``: a second opinion on unsure messages from an OpenAI-compatible chat
server the user runs (Ollama, llama.cpp's ``llama-server``, vLLM).

Off by default. Customer messages are sent to ``base_url``, so plain ``http://`` is accepted
only to a loopback address (the server on this machine) unless ``allow_insecure`` says the
network in between is trusted; the API key, when the server wants one, comes from the
environment variable ``api_key_env`` names.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from triage.config.values import Duration, Section, is_loopback

LLM_LANGUAGES = ("en", "vi", "id", "tl")
"""Languages ``languages`` may name (those the classifier knows)."""


def known_languages(value: list[str]) -> list[str]:
    """Return ``value`` when every entry is a language triage knows; raise ValueError (naming
    the unknown ones and the known ones) otherwise. Shared by the settings that limit a job
    to some languages."""
    bad = [v for v in value if v not in LLM_LANGUAGES]
    if bad:
        raise ValueError(f"unknown language(s) {bad}; use {', '.join(LLM_LANGUAGES)}")
    return value


_URL = r"^https?://[^/?#]+(/[^?#]*)?$"


class LlmSettings(Section):
    """A local LLM asked about the messages the model is unsure of; its answer is shown
    beside the model's label and never changes it."""

    enabled: bool = Field(
        False, description="Ask the LLM server about unsure (needs_review) messages no agent "
        "has touched yet, in a background job of the daemon. Messages are sent to base_url.")
    base_url: str = Field(
        "http://127.0.0.1:11434/v1", pattern=_URL,
        description="Base URL of the OpenAI-compatible API; '/chat/completions' is added. "
        "Ollama: http://127.0.0.1:11434/v1, llama-server: http://127.0.0.1:8080/v1, vLLM: "
        "http://127.0.0.1:8000/v1. http:// only to a loopback address unless allow_insecure.")
    allow_insecure: bool = Field(
        False, description="Allow http:// to a host that is not loopback (messages and the "
        "API key then cross the network in clear text).")
    model: str = Field(
        "", description="Model name the server knows, e.g. 'qwen2.5:7b-instruct' (Ollama) "
        "(shown beside its answers). Required when enabled.")
    api_key_env: str = Field(
        "", description="Environment variable holding the API key, sent as 'Authorization: "
        "Bearer ...' (empty: none; Ollama and llama-server need none by default).")
    json_mode: Literal["auto", "on", "off"] = Field(
        "auto", description="Ask for a JSON answer with response_format json_object: 'on', "
        "'off' (plain text, parsed as 'label: reason' or JSON), or 'auto' (try it; a server "
        "that refuses it is asked again without it, and not asked with it again).")
    timeout: Duration = Field(
        timedelta(seconds=60), description="Timeout of one request (a small model on a CPU "
        "may need a minute for one answer).")
    retries: int = Field(
        2, ge=0, le=5, description="Further tries of one request after a timeout, HTTP 429 "
        "or 5xx, with capped exponential backoff (1s, 2s, ...; a Retry-After up to 30s is "
        "honoured). After them the run stops; the next run asks again.")
    max_per_run: int = Field(
        20, ge=1, le=1000, description="Messages asked about per run at most (newest first).")
    interval: Duration = Field(
        timedelta(minutes=5), description="How often the daemon's job runs.")
    max_attempts: int = Field(
        3, ge=1, le=10, description="Runs that may get a malformed answer about one message "
        "before it is no longer asked about.")
    max_chars: int = Field(
        4000, ge=200, le=100000, description="Characters of a message (subject and text) "
        "sent at most; longer text is cut.")
    languages: list[str] = Field(
        default_factory=list, description="Ask only about messages in these languages, e.g. "
        "['vi', 'tl'] (empty: all).")

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return known_languages(value)

    @model_validator(mode="after")
    def _check(self) -> LlmSettings:
        if self.enabled and not self.model.strip():
            raise ValueError("enabled = true needs model (the name the server knows, e.g. "
                             "'qwen2.5:7b-instruct')")
        url = urlsplit(self.base_url)
        if url.scheme == "http" and not self.allow_insecure \
                and not is_loopback(url.hostname or ""):
            raise ValueError(
                f"base_url {self.base_url!r} would send customer messages (and the API key) "
                f"to {url.hostname} in clear text; use https://, a server on 127.0.0.1, or "
                "allow_insecure = true")
        return self

    def inactive_fields(self) -> frozenset[str]:
        """Every field while disabled (its API key is then not required)."""
        return frozenset(type(self).model_fields) if not self.enabled else frozenset()
