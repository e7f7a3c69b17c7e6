"""Hand-written memory phrasings around the sampled HA text, per language.

`{person}`, `{area}`, `{name}`, `{time}`, `{number}`, `{utterance}`, `{response}`, `{day}`
are filled by data/memories.py. Preferences and household facts are what a user tells the
assistant to remember; turns and notes wrap what was really said to Assist.
"""

from __future__ import annotations

TURN = {
    "en": [
        '{person} asked "{utterance}" and the assistant answered "{response}".',
        'In the {area}, {person} said "{utterance}"; answer: {response}.',
        'Voice command from the {area} satellite: "{utterance}" -> {response}.',
        '{day} at {time}: "{utterance}" ({person}), the assistant replied "{response}".',
    ],
    "pl": [
        '{person} zapytał(a) "{utterance}", asystent odpowiedział "{response}".',
        'W pomieszczeniu {area} {person} powiedział(a) "{utterance}"; odpowiedź: {response}.',
        'Polecenie głosowe ({time}): "{utterance}" -> {response}.',
    ],
    "de": [
        '{person} fragte "{utterance}" und der Assistent antwortete "{response}".',
        'Sprachbefehl aus {area} um {time}: "{utterance}" -> {response}.',
    ],
}
NOTE = {
    "en": [
        '{person} usually says "{utterance}" in the {area} around {time}.',
        'When {person} says "{utterance}" on {day}s, they mean the {name} in the {area}.',
        'Remember: "{utterance}" is how {person} asks for this most evenings.',
        '{person} often repeats "{utterance}" when the first try fails.',
    ],
    "pl": [
        '{person} zwykle mówi "{utterance}" około {time}.',
        'Gdy {person} mówi "{utterance}", chodzi o {name} ({area}).',
    ],
    "de": [
        '{person} sagt meistens "{utterance}" gegen {time}.',
        'Wenn {person} "{utterance}" sagt, ist {name} im Raum {area} gemeint.',
    ],
}
PREFERENCE = {
    "en": [
        "{person} prefers the {area} at {number} degrees in the evening.",
        "{person} likes the {name} in the {area} dimmed to {number}% after {time}.",
        "The {name} in the {area} should never turn on before {time} on {day}s.",
        "{person} calls the {name} in the {area} 'the big one'.",
        "{person} is allergic to dust; run the {name} in the {area} every {day}.",
        "Quiet hours in the {area} start at {time}; keep the volume under {number}%.",
        "{person} wakes up at {time} on {day}s and wants the {area} lights warm white.",
        "On {day}s {person} works from the {area} and needs the {name} on at {time}.",
        "The {area} gets cold quickly; preheat it to {number} degrees before {time}.",
        "{person} does not like announcements in the {area} after {time}.",
        "Feed the fish at {time}; the {name} in the {area} is on a {number} minute timer.",
        "{person}'s favourite playlist is for the {area} speaker on {day} mornings.",
        "The garbage goes out on {day} evening; remind {person} at {time}.",
        "Guests sleep in the {area}; keep the {name} off there after {time}.",
        "{person} wants a reminder {number} minutes before leaving on {day}s.",
        "The {name} in the {area} uses about {number} watts when it runs.",
    ],
    "pl": [
        "{person} woli, żeby w pomieszczeniu {area} było {number} stopni wieczorem.",
        "{person} lubi, gdy {name} ({area}) świeci na {number}% po {time}.",
        "{name} ({area}) nie może się włączać przed {time}.",
        "{person} nazywa {name} w pomieszczeniu {area} 'ta duża'.",
        "Cisza nocna w pomieszczeniu {area} zaczyna się o {time}.",
        "W {day} {person} pracuje w pomieszczeniu {area} od {time}.",
    ],
    "de": [
        "{person} mag es im Raum {area} abends mit {number} Grad.",
        "{person} möchte {name} im Raum {area} nach {time} auf {number}% gedimmt.",
        "{name} im Raum {area} soll am {day} nie vor {time} angehen.",
        "Im Raum {area} beginnt die Nachtruhe um {time}.",
    ],
}
KNOWLEDGE = {
    "en": ["{passage}", "Home Assistant, {integration}: {passage}", "Note on {integration}: {passage}"],
    "pl": ["{passage}", "Home Assistant, {integration}: {passage}"],
    "de": ["{passage}", "Home Assistant, {integration}: {passage}"],
}
DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "pl": ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
}

# What someone would say to find a preference or fact again (search queries are short).
PREFERENCE_QUERY = {
    "en": [
        "what does {person} like in the {area}",
        "{area} {name} settings",
        "when should the {name} in the {area} run",
        "{person}'s preferences for the {area}",
    ],
    "pl": ["co lubi {person} w pomieszczeniu {area}", "{name} {area} ustawienia"],
    "de": ["was mag {person} im Raum {area}", "{name} {area} Einstellungen"],
}
