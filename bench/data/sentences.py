"""Random sentences from Home Assistant's own intent templates (hassil syntax).

`home_assistant_intents` ships the sentence templates HA's local matcher understands, in
many languages; hassil parses them. Instead of enumerating every expansion (millions), this
walks one random path through a template: alternatives pick one branch, optionals are kept
half the time, `{lists}` take one of their values, and lists that HA fills from the user's
own entities (names, areas, floors, shopping items) take a value from a small household
vocabulary. Seeded: the same `random.Random` gives the same sentences.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from hassil.expression import (
    Expression,
    ListReference,
    RuleReference,
    Sentence,
    Sequence,
    SequenceType,
    TextChunk,
)
from hassil.intents import Intents, RangeSlotList, SlotList, TextSlotList

from .vocabulary import Vocabulary

_SPACES = re.compile(r"\s+")
_MAX_DEPTH = 40


@dataclass(frozen=True, slots=True)
class Template:
    intent: str
    sentence: Sentence
    slot_lists: dict[str, SlotList]
    expansion_rules: dict[str, Sentence]


class SentenceSampler:
    """Samples utterances of one language's intents."""

    def __init__(self, intents_data: dict[str, object], vocabulary: Vocabulary) -> None:
        self.intents = Intents.from_dict(intents_data)
        self.vocabulary = vocabulary
        self.templates: dict[str, list[Template]] = {}
        for name, intent in self.intents.intents.items():
            templates = []
            for data in intent.data:
                if data.wildcard_list_names and not data.sentence_texts:
                    continue
                rules = {**self.intents.expansion_rules, **data.expansion_rules}
                lists = {**self.intents.slot_lists, **data.slot_lists}
                templates.extend(
                    Template(name, sentence, lists, rules) for sentence in data.sentences
                )
            if templates:
                self.templates[name] = templates

    @property
    def intent_names(self) -> list[str]:
        return sorted(self.templates)

    def sample(self, rng: random.Random, intent: str) -> tuple[str, list[str]]:
        """One utterance of `intent` and the household words filled into it."""
        template = rng.choice(self.templates[intent])
        words: list[str] = []
        fills: list[str] = []
        self._walk(rng, template, template.sentence, words, 0, fills)
        return _SPACES.sub(" ", "".join(words)).strip(), fills

    def _walk(
        self,
        rng: random.Random,
        template: Template,
        expr: Expression,
        out: list[str],
        depth: int,
        fills: list[str],
    ) -> None:
        if depth > _MAX_DEPTH:
            return
        if isinstance(expr, TextChunk):
            out.append(expr.text)
        elif isinstance(expr, Sequence):
            self._walk_sequence(rng, template, expr, out, depth, fills)
        elif isinstance(expr, RuleReference):
            rule = template.expansion_rules.get(expr.rule_name)
            if rule is not None:
                self._walk(rng, template, rule, out, depth + 1, fills)
        elif isinstance(expr, ListReference):
            out.append(self._list_value(rng, template, expr, depth, fills))

    def _walk_sequence(
        self,
        rng: random.Random,
        template: Template,
        seq: Sequence,
        out: list[str],
        depth: int,
        fills: list[str],
    ) -> None:
        if seq.type == SequenceType.ALTERNATIVE:
            # An optional is an alternative with an empty branch: keep it half the time.
            branches = seq.items
            if seq.is_optional and rng.random() < 0.5:
                return
            non_empty = [b for b in branches if not (isinstance(b, TextChunk) and b.is_empty)]
            if non_empty:
                self._walk(rng, template, rng.choice(non_empty), out, depth + 1, fills)
        elif seq.type == SequenceType.PERMUTATION:
            items = list(seq.items)
            rng.shuffle(items)
            for item in items:
                out.append(" ")
                self._walk(rng, template, item, out, depth + 1, fills)
        else:
            for item in seq.items:
                self._walk(rng, template, item, out, depth + 1, fills)

    def _list_value(
        self,
        rng: random.Random,
        template: Template,
        ref: ListReference,
        depth: int,
        fills: list[str],
    ) -> str:
        slot_list = template.slot_lists.get(ref.list_name)
        if isinstance(slot_list, RangeSlotList):
            steps = max(1, (slot_list.stop - slot_list.start) // slot_list.step + 1)
            return str(slot_list.start + slot_list.step * rng.randrange(steps))
        if isinstance(slot_list, TextSlotList) and slot_list.values:
            words: list[str] = []
            value = rng.choice(slot_list.values).text_in
            self._walk(rng, template, value, words, depth + 1, fills)
            return "".join(words)
        # Lists HA fills from the user's setup (entities, areas, floors) or wildcards.
        word = self.vocabulary.fill(rng, ref.list_name)
        fills.append(word)
        return word
