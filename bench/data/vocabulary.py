"""A small household vocabulary: what HA would fill in from the user's own setup.

HA's intent templates leave device names, areas, floors and free-text items to the user's
installation; these lists stand in for one plausible household per language.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

_EN = {
    "name": [
        "ceiling light", "desk lamp", "floor lamp", "reading light", "coffee maker",
        "kettle", "dishwasher", "washing machine", "air purifier", "dehumidifier",
        "garage door", "front door lock", "porch light", "christmas lights", "tv",
        "soundbar", "heater", "ceiling fan", "robot vacuum", "garden sprinkler",
        "bedside lamp", "aquarium light", "towel warmer", "printer", "router",
    ],
    "area": [
        "kitchen", "living room", "bedroom", "bathroom", "office", "hallway", "garage",
        "garden", "kids room", "guest room", "basement", "attic", "dining room", "porch",
        "laundry room", "balcony", "nursery", "workshop", "pantry", "terrace",
    ],
    "floor": ["ground", "first", "second", "upstairs", "downstairs", "basement"],
    "person": [
        "Anna", "Piotr", "Marek", "Kasia", "Tom", "Emma", "Oliver", "Mia", "Jan", "Zofia",
        "Lucas", "Sophie", "grandma", "grandpa",
    ],
    "item": [
        "milk", "bread", "eggs", "coffee beans", "apples", "dish soap", "batteries",
        "light bulbs", "cat food", "tomatoes", "olive oil", "toilet paper", "rice", "butter",
    ],
    "word": [
        "dinner", "homework", "laundry", "pizza", "weather", "morning", "weekend", "holiday",
        "meeting", "alarm", "music", "podcast", "news", "movie night",
    ],
}
_PL = {
    "name": [
        "lampa sufitowa", "lampka biurkowa", "lampa stojąca", "czajnik", "ekspres do kawy",
        "zmywarka", "pralka", "oczyszczacz powietrza", "brama garażowa", "zamek drzwi",
        "telewizor", "grzejnik", "wentylator", "odkurzacz", "lampka nocna", "choinka",
    ],
    "area": [
        "kuchnia", "salon", "sypialnia", "łazienka", "biuro", "korytarz", "garaż", "ogród",
        "pokój dzieci", "pokój gościnny", "piwnica", "strych", "jadalnia", "balkon",
    ],
    "floor": ["parter", "piętro", "poddasze", "piwnica"],
    "person": ["Anna", "Piotr", "Marek", "Kasia", "Jan", "Zofia", "babcia", "dziadek"],
    "item": ["mleko", "chleb", "jajka", "kawa", "jabłka", "masło", "baterie", "ryż"],
    "word": ["obiad", "pranie", "pogoda", "weekend", "muzyka", "wiadomości", "film"],
}
_DE = {
    "name": [
        "Deckenlampe", "Schreibtischlampe", "Stehlampe", "Wasserkocher", "Kaffeemaschine",
        "Spülmaschine", "Waschmaschine", "Luftreiniger", "Garagentor", "Fernseher",
        "Heizung", "Ventilator", "Staubsauger", "Nachttischlampe",
    ],
    "area": [
        "Küche", "Wohnzimmer", "Schlafzimmer", "Badezimmer", "Büro", "Flur", "Garage",
        "Garten", "Kinderzimmer", "Gästezimmer", "Keller", "Dachboden", "Esszimmer",
    ],
    "floor": ["Erdgeschoss", "Obergeschoss", "Dachgeschoss", "Keller"],
    "person": ["Anna", "Lukas", "Emma", "Jonas", "Oma", "Opa"],
    "item": ["Milch", "Brot", "Eier", "Kaffee", "Äpfel", "Butter", "Batterien", "Reis"],
    "word": ["Abendessen", "Wäsche", "Wetter", "Wochenende", "Musik", "Nachrichten"],
}
_BY_LANGUAGE = {"en": _EN, "pl": _PL, "de": _DE}
# Which vocabulary list fills a HA list name that the user's setup would provide.
_LIST_KINDS = {
    "name": "name",
    "area": "area",
    "floor": "floor",
    "zone": "area",
    "shopping_list_item": "item",
    "todo_list_item": "item",
    "item": "item",
    "message": "word",
    "timer_name": "word",
    "search_query": "word",
}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    language: str
    words: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def for_language(cls, language: str) -> Vocabulary:
        return cls(language, _BY_LANGUAGE[language])

    def pick(self, rng: random.Random, kind: str) -> str:
        return rng.choice(self.words[kind])

    def fill(self, rng: random.Random, list_name: str) -> str:
        return self.pick(rng, _LIST_KINDS.get(list_name, "word"))


LANGUAGES = tuple(_BY_LANGUAGE)
