"""Requests with known meanings, generated from Home Assistant's own intent sentences.

For the cache-safety suite. Sentences are drawn at random from every sentence template of the
chosen intents in `home-assistant-intents` and filled with a small test home. Slots get one
of two values: the *first* (the first fitting device, area, floor, number, list value — so
different templates of an intent say the same thing in other words: paraphrases) or the
*second* (another device, area, number, state… — near-identical sentences that mean
something else). Numbers come as digits or as words.

The meaning of each sentence is not taken from the generator's bookkeeping but from HA's own
recognizer, hassil: the intent it matches and every slot value it extracts. Two sentences with
the same meaning are paraphrases (a cache hit is right); two with different meanings must
never share a cache entry. Sentences hassil does not recognise are dropped.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hassil.intents import Intents, TextSlotList
from hassil.recognize import recognize_best
from home_assistant_intents import get_intents
from unicode_rbnf import RbnfEngine

from custom_components.ai_memory.cache.templates import (
    Choice,
    ListRef,
    Node,
    Permutation,
    Rule,
    Sequence,
    TemplateError,
    Text,
    list_names,
    parse,
)

# Commands (their plans may be cached) and questions about state (never cached).
COMMAND_INTENTS = (
    "HassTurnOn",
    "HassTurnOff",
    "HassLightSet",
    "HassSetPosition",
    "HassSetVolume",
    "HassClimateSetTemperature",
    "HassStartTimer",
    "HassCancelTimer",
    "HassIncreaseTimer",
    "HassDecreaseTimer",
    "HassMediaPause",
    "HassMediaUnpause",
    "HassMediaNext",
    "HassMediaPrevious",
    "HassVacuumStart",
    "HassVacuumReturnToBase",
)
QUESTION_INTENTS = (
    "HassGetState",
    "HassClimateGetTemperature",
    "HassGetWeather",
    "HassGetCurrentTime",
    "HassGetCurrentDate",
    "HassTimerStatus",
)
# Two values per number range: enough to tell 30 from 60 without exploding the samples.
NUMBERS = {"percentage": (30, 60), "temperature": (21, 23), "number": (5, 10)}


@dataclass(frozen=True, slots=True)
class Device:
    entity_id: str
    name: str
    device_class: str | None = None

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]

    @property
    def context(self) -> dict[str, str]:
        context = {"domain": self.domain}
        if self.device_class:
            context["device_class"] = self.device_class
        return context


@dataclass(frozen=True, slots=True)
class Home:
    """Names HA would know: entities, areas and floors (id, name). No entity name contains
    an area name or a device-class noun ("garage door"), so every sentence has one reading."""

    devices: tuple[Device, ...]
    areas: tuple[tuple[str, str], ...]
    floors: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Request:
    text: str
    intent: str
    meaning: tuple[Any, ...]

    @property
    def is_question(self) -> bool:
        return self.intent in QUESTION_INTENTS


HOMES = {
    "en": Home(
        devices=(
            Device("light.ceiling_light", "Ceiling light"),
            Device("light.reading_lamp", "Reading lamp"),
            Device("fan.ceiling_fan", "Ceiling fan"),
            Device("fan.desk_fan", "Desk fan"),
            Device("cover.carport_door", "Carport door", "garage"),
            Device("cover.patio_blinds", "Patio blinds", "blind"),
            Device("lock.front_door", "Front door"),
            Device("lock.back_door", "Back door"),
            Device("climate.thermostat", "Thermostat"),
            Device("climate.heater", "Heater"),
            Device("media_player.tv", "TV"),
            Device("media_player.radio", "Radio"),
            Device("switch.coffee_maker", "Coffee maker"),
            Device("switch.kettle", "Kettle"),
            Device("vacuum.robot", "Robot vacuum"),
            Device("vacuum.mop", "Mop robot"),
            Device("sensor.outdoor_temperature", "Outdoor temperature", "temperature"),
            Device("sensor.indoor_humidity", "Indoor humidity", "humidity"),
            Device("binary_sensor.back_window", "Back window", "window"),
        ),
        areas=(("kitchen", "Kitchen"), ("bedroom", "Bedroom"), ("living_room", "Living room")),
        floors=(("ground", "Ground floor"), ("upstairs", "Upstairs")),
    ),
    "pl": Home(
        devices=(
            Device("light.sufitowa", "Lampa sufitowa"),
            Device("light.nocna", "Lampka nocna"),
            Device("fan.sufitowy", "Wiatrak sufitowy"),
            Device("fan.biurkowy", "Wentylator biurkowy"),
            Device("cover.brama", "Brama garażowa", "garage"),
            Device("cover.rolety", "Rolety tarasowe", "blind"),
            Device("lock.wejscie", "Drzwi wejściowe"),
            Device("lock.taras", "Drzwi tarasowe"),
            Device("climate.termostat", "Termostat"),
            Device("climate.grzejnik", "Grzejnik"),
            Device("media_player.tv", "Telewizor"),
            Device("media_player.radio", "Radio"),
            Device("switch.ekspres", "Ekspres do kawy"),
            Device("switch.czajnik", "Czajnik"),
            Device("vacuum.odkurzacz", "Odkurzacz"),
            Device("vacuum.mop", "Mop"),
            Device("sensor.temperatura", "Temperatura zewnętrzna", "temperature"),
            Device("sensor.wilgotnosc", "Wilgotność", "humidity"),
            Device("binary_sensor.okno", "Okno tarasowe", "window"),
        ),
        areas=(("kuchnia", "Kuchnia"), ("sypialnia", "Sypialnia"), ("salon", "Salon")),
        floors=(("parter", "Parter"), ("pietro", "Piętro")),
    ),
}


def _value(value: Any) -> str:
    """5 and 5.0 are the same slot value (digits and words are read differently)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class SentenceGenerator:
    """Random sentences of one language's templates, with hassil's reading of each."""

    def __init__(self, language: str, *, seed: int = 7) -> None:
        self.language = language
        self.home = HOMES[language]
        self.data = get_intents(language) or {}
        self.random = random.Random(seed)
        self.rules = {name: parse(str(body)) for name, body in self.data["expansion_rules"].items()}
        self.numbers = RbnfEngine.for_language(language)
        # hassil reads each sentence against every intent the suite covers (the wildcard
        # intents it leaves out — shopping lists, broadcasts — only cost time).
        covered = {
            **self.data,
            "intents": {
                name: spec
                for name, spec in self.data["intents"].items()
                if name in COMMAND_INTENTS + QUESTION_INTENTS
            },
        }
        self._recognizer = Intents.from_dict(covered)
        self._slot_lists = {
            "name": TextSlotList.from_tuples(
                [(device.name, device.entity_id, device.context) for device in self.home.devices],
                allow_template=False,
            ),
            "area": TextSlotList.from_tuples(self.home_pairs(self.home.areas), False),
            "floor": TextSlotList.from_tuples(self.home_pairs(self.home.floors), False),
        }

    @staticmethod
    def home_pairs(items: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        return [(name, item_id) for item_id, name in items]

    def _devices(self, block: Mapping[str, Any]) -> list[Device]:
        """The devices a template block can name (its required domain and class)."""
        wanted = {**(block.get("requires_context") or {}), **(block.get("slots") or {})}
        domains, classes = wanted.get("domain"), wanted.get("device_class")
        domains = {domains} if isinstance(domains, str) else set(domains or ())
        classes = {classes} if isinstance(classes, str) else set(classes or ())
        return [
            device
            for device in self.home.devices
            if (not domains or device.domain in domains)
            and (not classes or device.device_class in classes)
        ] or list(self.home.devices)

    def _list_value(self, name: str, variant: int, block: Mapping[str, Any]) -> str | None:
        """The `variant`-th value (0: first, 1: second) for a slot list, as text; numbers as
        digits or words at random. None: a wildcard, skip the template."""
        if name == "name":
            devices = self._devices(block)
            return devices[variant % len(devices)].name
        if name in ("area", "floor"):
            return (self.home.areas if name == "area" else self.home.floors)[variant][1]
        spec = (self.data.get("lists") or {}).get(name) or {}
        if "range" in spec:
            number = NUMBERS.get(spec["range"].get("type"), NUMBERS["number"])[variant]
            if self.random.random() < 0.5:
                return str(number)
            spelled = self.numbers.format_number(number).text_by_ruleset
            return self.random.choice(sorted(set(spelled.values())))
        if values := spec.get("values"):
            value = values[variant % len(values)]
            text = value["in"] if isinstance(value, dict) else value
            return self._sample(parse(str(text)), {}, variant, block)
        return None

    def _sample(
        self, node: Node, local: Mapping[str, Node], variant: int, block: Mapping[str, Any]
    ) -> str | None:
        """One random sentence of a template (None: it needs a wildcard or unknown rule)."""
        separator, parts = "", None
        match node:
            case Text(text):
                return text
            case Sequence(items):
                parts = list(items)
            case Choice(options):
                parts = [self.random.choice(options)]
            case Permutation(items):
                separator, parts = " ", list(items)
                self.random.shuffle(parts)
            case Rule(name):
                body = local.get(name) or self.rules.get(name)
                parts = [] if body is None else [body]
            case ListRef(name):
                return self._list_value(name, variant, block)
        texts = [self._sample(part, local, variant, block) for part in parts or []]
        if not texts or None in texts:
            return None
        return separator.join(text for text in texts if text is not None)

    def requests(
        self,
        intents: tuple[str, ...],
        samples: tuple[int, ...] = (2, 1),
        max_templates: int = 30,
    ) -> Iterator[Request]:
        """For each template of the intents (at most `max_templates` per intent, drawn at
        random), `samples[v]` sentences with the v-th slot values (fewer when the template
        has few wordings), as hassil reads them."""
        seen: set[str] = set()
        for intent_name in intents:
            spec = (self.data.get("intents") or {}).get(intent_name) or {}
            templates = [
                (block, template)
                for block in spec.get("data") or []
                for template in block.get("sentences") or []
            ]
            if len(templates) > max_templates:
                templates = self.random.sample(templates, max_templates)
            for block, template in templates:
                yield from self._template_requests(block, str(template), samples, seen)

    def _template_requests(
        self,
        block: Mapping[str, Any],
        template: str,
        samples: tuple[int, ...],
        seen: set[str],
    ) -> Iterator[Request]:
        local = {
            name: parse(str(body)) for name, body in (block.get("expansion_rules") or {}).items()
        }
        try:
            node = parse(template)
        except TemplateError:
            return
        lookup = {**self.rules, **local}
        lists = self.data.get("lists") or {}
        if any(lists.get(name, {}).get("wildcard") for name in list_names(node, lookup.get)):
            return
        for variant in (v for v, count in enumerate(samples) for _ in range(count)):
            text = self._sample(node, local, variant, block)
            if text is None or (text := " ".join(text.split())) in seen:
                continue
            seen.add(text)
            if (request := self.read(text)) is not None:
                yield request

    def read(self, text: str) -> Request | None:
        """hassil's reading of a sentence: its intent and slot values."""
        result = recognize_best(
            text, self._recognizer, slot_lists=self._slot_lists, language=self.language
        )
        if result is None:
            return None
        slots = {name: _value(entity.value) for name, entity in result.entities.items()}
        if "name" in slots:
            # The entity already fixes its domain and class.
            slots.pop("domain", None)
            slots.pop("device_class", None)
        return Request(
            text=text,
            intent=result.intent.name,
            meaning=(result.intent.name, *sorted(slots.items())),
        )
