"""Input schemas of the actions; semantic checks live in service_handlers."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.helpers import config_validation as cv

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
SCOPES = ("household", "person", "area", "device")

_ENTRY = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
_SCORE_0_1 = vol.All(vol.Coerce(float), vol.Range(min=0, max=1))
_FILTERS = {
    vol.Optional("domain"): cv.string,
    vol.Optional("tags"): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional("scope"): vol.In(SCOPES),
    vol.Optional("scope_id"): cv.string,
}

SCHEMAS: dict[str, vol.Schema] = {
    "add_memory": vol.Schema(
        {
            **_ENTRY,
            **_FILTERS,
            vol.Required("content"): cv.string,
            vol.Optional("importance"): _SCORE_0_1,
            vol.Optional("ttl_seconds"): vol.All(vol.Coerce(int), vol.Range(min=1)),
            vol.Optional("source", default="home_assistant"): cv.string,
        }
    ),
    "search_memory": vol.Schema(
        {
            **_ENTRY,
            **_FILTERS,
            vol.Required("query"): cv.string,
            vol.Optional("limit", default=5): vol.All(vol.Coerce(int), vol.Range(min=1, max=100)),
            vol.Optional("min_score"): _SCORE_0_1,
        }
    ),
    "forget_memory": vol.Schema({**_ENTRY, vol.Required("memory_id"): cv.string}),
    "set_preference": vol.Schema(
        {
            **_ENTRY,
            vol.Required("key"): cv.string,
            vol.Required("value"): object,
            vol.Optional("category"): cv.string,
        }
    ),
    "get_preference": vol.Schema({**_ENTRY, vol.Required("key"): cv.string}),
    "set_alias": vol.Schema(
        {
            **_ENTRY,
            vol.Required("alias"): cv.string,
            vol.Required("entity_id"): cv.entity_id,
        }
    ),
    "remove_alias": vol.Schema({**_ENTRY, vol.Required("alias"): cv.string}),
    "record_feedback": vol.Schema(
        {
            **_ENTRY,
            vol.Optional("turn_id"): cv.string,
            vol.Optional("device_id"): cv.string,
            vol.Optional("conversation_id"): cv.string,
            vol.Required("score"): vol.All(vol.Coerce(int), vol.Range(min=1, max=5)),
            vol.Optional("comment"): cv.string,
        }
    ),
    "export_training_data": vol.Schema(
        {
            **_ENTRY,
            vol.Optional("min_score"): vol.All(vol.Coerce(int), vol.Range(min=1, max=5)),
            vol.Optional("language"): cv.string,
            vol.Optional("since"): cv.datetime,
            vol.Optional("until"): cv.datetime,
            vol.Optional("interaction_type"): vol.In(["command", "question", "conversation"]),
            vol.Optional("include_exported", default=False): cv.boolean,
            vol.Optional("mark_exported", default=True): cv.boolean,
            vol.Optional("limit"): vol.All(vol.Coerce(int), vol.Range(min=1, max=10_000_000)),
        }
    ),
    "cache_stats": vol.Schema(_ENTRY),
    "clear_cache": vol.Schema({**_ENTRY, vol.Optional("all", default=False): cv.boolean}),
}
