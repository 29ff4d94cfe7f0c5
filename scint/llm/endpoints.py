"""Models by name: the provider behind a process's declared endpoint (a `[models.NAME]` entry of scint.toml).

`scint up` records on each process the entry its `model` names (`Process.endpoint`: name, model, base_url, api,
api_key_env, tool; the NAME of the key's environment variable, never a key). When the process runs, `Models`
(one per session: `session.models`) gives the provider for that entry: an `OpenAIProvider` made the first time
the entry is used and kept for the session, its key read from the named variable then (never recorded).

Which provider a process's steps go to (the same rule for a top-level run and a child run inside one):

1. a process that declares an endpoint uses that endpoint: the provider set for its name
   (`session.models["fast"] = MockProvider(...)`, for tests and notebooks), else the one made from the entry;
2. a process without one uses the run's provider (`provider=`, else the session's `session.llm`, which may be a
   MockProvider), with the process's `model` when it names one.

So a MockProvider set on the session never hides a declared endpoint: set it for the name instead.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from scint.errors import BadArguments, LLMError
from scint.llm.provider import Provider

__all__ = ["Models", "endpoint_name"]

MAX_CACHED = 64  # providers kept per session (one per endpoint and key)
_FIELDS = ("model", "base_url", "api", "api_key_env", "tool")


def endpoint_name(endpoint: Any) -> str | None:
    """The `[models]` name of a stored endpoint, or None when the process declares none (or it is not readable)."""
    if isinstance(endpoint, dict) and isinstance(endpoint.get("name"), str) and isinstance(endpoint.get("model"), str):
        return endpoint["name"]
    return None


class Models:
    """A session's providers for named models: set one for a name, or let it be made from the declared entry."""

    def __init__(self) -> None:
        self._set: dict[str, Provider] = {}
        self._made: dict[tuple[Any, ...], Provider] = {}
        self._lock = threading.Lock()

    def __setitem__(self, name: str, provider: Provider) -> None:
        if not isinstance(name, str) or not name:
            raise BadArguments(f"a model's name is a string such as \"default\", not {name!r:.60}")
        if provider is None:
            raise BadArguments(f'session.models["{name:.60}"] takes a provider; to forget it: del session.models[...]')
        if not isinstance(provider, Provider):
            raise BadArguments(
                f'session.models["{name:.60}"] takes a scint.llm provider (such as MockProvider or OpenAIProvider), '
                f"not {type(provider).__name__}"
            )
        self._set[name] = provider

    def __getitem__(self, name: str) -> Provider:
        try:
            return self._set[name]
        except (KeyError, TypeError):
            raise BadArguments(f"no provider is set for the model {name!r:.60}") from None

    def __delitem__(self, name: str) -> None:
        self._set.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._set

    def names(self) -> list[str]:
        """The names a provider is set for, sorted."""
        return sorted(self._set)

    def provider(self, endpoint: dict[str, Any], model: str | None = None) -> Provider:
        """The provider for a stored endpoint, with `model` (the process's own) when it names another model."""
        name = endpoint_name(endpoint)
        if name is None:
            raise LLMError(f"the process's endpoint is not a [models] entry: {endpoint!r:.120}")
        provider = self._set.get(name)
        if provider is None:
            provider = self._made_for(name, endpoint)
        wanted = model or endpoint["model"]
        with_model = getattr(provider, "with_model", None)
        if wanted != provider.model and with_model is not None:
            return with_model(wanted)
        return provider

    def _made_for(self, name: str, endpoint: dict[str, Any]) -> Provider:
        settings = {k: endpoint.get(k) for k in _FIELDS}
        key_env = settings["api_key_env"]
        key = None
        if key_env is not None:
            key = os.environ.get(str(key_env))
            if not key:
                raise LLMError(
                    f"the model `{name}` takes its key from the environment variable {key_env}, which is not set: "
                    f"set it (export {key_env}=...) or give the process another model"
                )
        cache_key = (name, *(settings[k] for k in _FIELDS), key)  # in memory only: a new key gets a new client
        with self._lock:
            provider = self._made.get(cache_key)
            if provider is None:
                from scint.llm.openai_provider import OpenAIProvider

                provider = OpenAIProvider(
                    settings["model"],
                    api=settings["api"],
                    tool_kind=settings["tool"],
                    api_key=key,
                    base_url=settings["base_url"],
                )
                if len(self._made) >= MAX_CACHED:
                    self._made.clear()
                self._made[cache_key] = provider
        return provider
