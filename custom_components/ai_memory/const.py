"""Constants for the AI Memory integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "ai_memory"
LOGGER = logging.getLogger(__package__)

# Options (configured in the options flow, read at use time so no reload is needed).
CONF_TARGET_AGENT: Final = "target_agent"
CONF_LOCAL_FIRST: Final = "local_first"
CONF_RECORD_TURNS: Final = "record_turns"
CONF_RECALL_COUNT: Final = "recall_count"
CONF_RECALL_MIN_SCORE: Final = "recall_min_score"
CONF_RECALL_DOMAIN: Final = "recall_domain"
CONF_ALIAS_SYNC: Final = "alias_sync"
CONF_TRAINING_CAPTURE: Final = "training_capture"
CONF_CACHE_ENABLED: Final = "cache_enabled"
CONF_CACHE_SIMILARITY: Final = "cache_similarity"

HOME_ASSISTANT_AGENT: Final = "conversation.home_assistant"

DEFAULT_OPTIONS: Final[dict[str, object]] = {
    CONF_TARGET_AGENT: HOME_ASSISTANT_AGENT,
    CONF_LOCAL_FIRST: True,
    CONF_RECORD_TURNS: True,
    CONF_RECALL_COUNT: 5,
    CONF_RECALL_MIN_SCORE: 0.0,
    CONF_RECALL_DOMAIN: "",
    CONF_ALIAS_SYNC: True,
    CONF_TRAINING_CAPTURE: True,
    CONF_CACHE_ENABLED: True,
    CONF_CACHE_SIMILARITY: 0.9,
}

# Timeouts in seconds. The voice path must stay fast even when the sidecar is not.
REQUEST_TIMEOUT: Final = 10.0
RECALL_TIMEOUT: Final = 1.5
# How long the recall prompt may use preferences read earlier (preference_snapshot.py).
PREFERENCES_MAX_AGE: Final = 60.0
DELIVERY_TIMEOUT: Final = 10.0
# A cache lookup (including a replayed plan's first HTTP round trip) must not slow Assist
# down more than this; after a failure the cache is skipped for CACHE_BACKOFF.
CACHE_TIMEOUT: Final = 2.0
CACHE_BACKOFF: Final = timedelta(seconds=30)
# Training exports stream from the sidecar: each read may take this long.
EXPORT_READ_TIMEOUT: Final = 60.0

UPDATE_INTERVAL: Final = timedelta(seconds=60)
UNREACHABLE_ISSUE_AFTER: Final = timedelta(minutes=15)
ISSUE_UNREACHABLE: Final = "sidecar_unreachable"
# The sidecar answers but its embedding provider does not (down, or vectors of the wrong size).
ISSUE_EMBEDDINGS: Final = "embeddings_unavailable"
# The oldest sidecar this integration works with (the "version" of its /stats and /info).
# An older one raises a repair issue instead of failing the setup: Assist keeps working
# while the user updates the sidecar. Raise it when the integration starts to rely on
# something a sidecar release added.
MIN_SIDECAR_VERSION: Final = "0.1.0"
ISSUE_OUTDATED: Final = "sidecar_outdated"

# Durable outbox for turns and feedback waiting for the sidecar.
OUTBOX_MAX_ITEMS: Final = 2000
OUTBOX_BATCH_SIZE: Final = 200
OUTBOX_STORAGE_VERSION: Final = 1
OUTBOX_SAVE_DELAY: Final = 1.0

ALIAS_KEY_PREFIX: Final = "entity_alias."
ALIAS_CATEGORY: Final = "aliases"

EVENT_TURN_RECORDED: Final = "ai_memory_turn_recorded"
EVENT_FEEDBACK: Final = "ai_memory_feedback"
# Fired by automations/dashboards to rate a turn: {score, turn_id?, device_id?,
# conversation_id?, comment?}; without turn_id the last turn of that device/conversation.
EVENT_RATE_TURN: Final = "ai_memory_rate_turn"

LLM_API_NAME: Final = "AI Memory"
