"""The index's full-text words are the words :class:`~nx5d_core.queries.FullText` reads:
its own tokenisation (``_WORD``), each word casefolded."""

from __future__ import annotations

import random

from nx5d_core.index.words import words_of
from nx5d_core.queries import _WORD

_ALPHABET = "aZß ǰ_-.,İıΣσς0١x\u030cé e\u0301ﬁ  \t"


def _text(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, most)))


def test_words_are_each_word_casefolded_in_order() -> None:
    """Odd characters included: combining marks, dotted I, final sigma, ligatures, Arabic digits."""
    rng = random.Random(7)
    for _ in range(3000):
        values: list[object] = []
        for _ in range(rng.randint(0, 6)):
            pick = rng.random()
            if pick < 0.2:
                values.append(None)
            elif pick < 0.4:
                values.append([*(_text(rng, 8) for _ in range(rng.randint(0, 3))), None])
            elif pick < 0.5:
                values.append(rng.randint(-5, 500))
            else:
                values.append(_text(rng, 12))
        expected = []
        for value in values:
            parts = value if isinstance(value, list) else [value]
            for part in parts:
                if part is not None:
                    expected.extend(w.casefold() for w in _WORD.findall(str(part)))
        assert words_of(values) == " ".join(expected), values


def test_a_summary_gives_the_words_of_what_model_dump_holds() -> None:
    """Declared, extra and computed fields are searched as ``model_dump`` has them (what a
    search of the summaries reads); a plain property is not in the dump, so not in the words."""
    from pydantic import computed_field

    from nx5d_core import ScanSummary
    from nx5d_core.index.words import summary_words
    from nx5d_core.queries import FullText

    class Summary(ScanSummary):
        @computed_field  # type: ignore[prop-decorator]
        @property
        def notes(self) -> str:
            return "Computed Note"

        @property
        def file(self) -> str:
            return "hidden-property"

    summary = Summary(key="s1", type="rocking", num_frames=3, description="GaN film", comments=["Beam", None, "lost"])  # type: ignore[call-arg]  # fmt: skip
    words = summary_words(summary).split()
    assert words == ["s1", "rocking", "gan", "film", "beam", "lost", "computed", "note"]
    dumped = {**summary.model_dump(), "key": summary.key}
    for word in words:
        assert FullText(word).matches(dumped), word
    assert not FullText("hidden").matches(dumped)
