"""Pydantic models of the knowledge base files (knowledge/*.yaml).

These models check shape and types; advisor/lint.py checks what they cannot see alone
(references between files, unique ids, that every rule can fire).
"""

import datetime as dt
import os
from typing import Annotated, Any, Literal

# Third-party pydantic plugins (found by scanning every installed package's entry points) cost
# more start-up time than the whole knowledge base; a command-line run has no use for them.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from fwadvise.advisor.kb.conditions import (
    CONDITION_JSON_SCHEMA,
    ConditionError,
    parse_condition,
)

FRAMEWORKS = ("pytorch", "tensorflow")
NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}  # for people to read
Framework = Literal["pytorch", "tensorflow"]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]


def _to_condition(raw: Any) -> Any:
    try:
        return parse_condition(raw)
    except ConditionError as exc:
        inside = ".".join(map(str, exc.path))
        raise ValueError(f"{exc} (at {inside})" if inside else str(exc)) from None


ConditionField = Annotated[
    Any, BeforeValidator(_to_condition), WithJsonSchema(CONDITION_JSON_SCHEMA)
]


class Strict(BaseModel):
    # defer_build: validators are built on first validation, so a run that loads the knowledge
    # base from its validated snapshot (advisor/kb.py) never pays for building them
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Source(Strict):
    id: Id
    title: str
    publisher: str
    date: dt.date = Field(description="when the source said it (publication or last update)")
    date_note: str | None = Field(None, description="how the date was established, if approximate")
    file: str | None = Field(None, description="file name under shared/sources/, for the articles")
    url: str | None = None
    kind: Literal["article", "later"] = "article"


class Update(Strict):
    """One dated step in what became of a claim after its source said it: one fact per step,
    dated the day it became knowable from `source` (a release, an announcement, an archive
    notice; for "no release since X", a year after X or the day someone documented it)."""

    text: str
    since: dt.date
    source: Id
    quote: str | None = None


class Measures(Strict):
    """What a performance claim predicts that `fwadvise probe` can measure."""

    workload: str
    device: Literal["cpu", "gpu", "any"]
    metric: Literal["time", "memory", "scaling"] = "time"
    expects: Framework = Field(
        description="the framework the claim says is faster (time), uses less memory (memory) "
        "or scales better over data-parallel workers (scaling)"
    )


class Claim(Strict):
    id: Id
    topic: Id
    favors: Literal["pytorch", "tensorflow", "neither"]
    source: Id
    quote: str = Field(min_length=10)
    summary: str
    checked: dt.date | None = None
    check_note: str | None = Field(None, description="what the check found, where no update")
    updates: list[Update] = Field(
        default_factory=list, description="dated steps, oldest first, one fact each"
    )
    kept: str | None = Field(
        None, description="why the claim is kept although no criterion, rule or question cites it"
    )
    measures: list[Measures] = Field(default_factory=list)


class Option(Strict):
    value: str | bool
    label: str
    neutral: str | None = Field(
        None, description="why no rule uses this value (the lint asks for a reason)"
    )


class Question(Strict):
    id: Id
    kind: Literal["one", "many", "yesno"]
    prompt: str
    help: str = Field(description="why this matters")
    claims: list[Id] = Field(default_factory=list, description="claims that say why it matters")
    default: str | bool | list[str]
    ask_when: ConditionField | None = None
    options: list[Option] = Field(min_length=2)


class WeightRule(Strict):
    when: ConditionField
    add: float
    why: str


class Weight(Strict):
    base: float = Field(ge=0)
    when: list[WeightRule] = Field(default_factory=list)


class Ratings(Strict):
    pytorch: int = Field(ge=1, le=5)
    tensorflow: int = Field(ge=1, le=5)

    def describe(self) -> str:
        """`PyTorch 3/5, TensorFlow 5/5`, as reasons and `kb changes` say it."""
        return f"PyTorch {self.pytorch}/5, TensorFlow {self.tensorflow}/5"


class RatingChange(Strict):
    """A criterion re-rated from a date on, because of later, dated facts (their claims)."""

    since: dt.date = Field(description="the day the newest fact it rests on became knowable")
    ratings: Ratings
    because: str
    claims: list[Id] = Field(min_length=1, description="the later claims that say why")


class Criterion(Strict):
    id: Id
    name: str = Field(max_length=26, description="short: it labels a bar in 80 columns")
    description: str
    ratings: Ratings = Field(description="as the documents rate it")
    claims: list[Id] = Field(min_length=1)
    weight: Weight
    rating_changes: list[RatingChange] = Field(
        default_factory=list, description="later re-ratings, oldest first"
    )
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def ratings_on(self, on: dt.date | None) -> tuple[Ratings, list[RatingChange]]:
        """The ratings on a date and the re-ratings that led there (None: the documents')."""
        steps = [c for c in self.rating_changes if on is not None and c.since <= on]
        return (steps[-1].ratings if steps else self.ratings), steps


class Rule(Strict):
    id: Id
    when: ConditionField
    favors: Framework
    points: float = Field(gt=0)
    because: str
    claims: list[Id] = Field(min_length=1)
    kind: Literal["guidance", "requirement", "measured"] = "guidance"
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


def in_force_on(item: Criterion | Rule, on: dt.date | None) -> bool:
    """A criterion or rule in force on a date; None asks for the documents' own view, in which
    only the documents' items (no `valid_from`) count."""
    if on is None:
        return item.valid_from is None
    if item.valid_from and on < item.valid_from:
        return False
    return not (item.valid_until and on >= item.valid_until)


class Profile(Strict):
    id: Id
    summary: str
    assumes: str
    claims: list[Id] = Field(default_factory=list)
    answers: dict[str, Any]


class PointRange(Strict):
    min: float = Field(gt=0)
    max: float = Field(gt=0)


class WeightScale(Strict):
    """How many points each kind of reason may give, and what a source must say to earn them
    (`kb validate` applies it to every rule and criterion)."""

    requirement: float = Field(gt=0, description="the points of every requirement rule")
    requirement_wording: list[str] = Field(
        min_length=1,
        description="a requirement cites a claim whose quote says one of these (any case)",
    )
    guidance: PointRange = Field(description="advice short of a requirement")
    measured: PointRange = Field(description="a rule that reads `fwadvise probe` evidence")
    criterion_weight: float = Field(gt=0, description="the most a criterion's weight may reach")


class CloseCall(Strict):
    """A note shown (never scored) when the verdict is close: from `since` on."""

    below: float = Field(gt=0, lt=1, description="shown when the confidence is below this")
    text: str
    claims: list[Id] = Field(min_length=1)
    since: dt.date


class Settings(Strict):
    either_band: float = Field(gt=0, lt=1, description="|margin|/total below this is 'either'")
    what_would_change_limit: int = Field(20, ge=1)
    knowledge_date: dt.date = Field(description="when the knowledge base was last reviewed")
    weight_scale: WeightScale
    close_calls: list[CloseCall] = Field(default_factory=list)


class SourcesFile(Strict):
    sources: list[Source]


class ClaimsFile(Strict):
    claims: list[Claim]


class QuestionsFile(Strict):
    questions: list[Question]


class CriteriaFile(Strict):
    criteria: list[Criterion]


class RulesFile(Strict):
    rules: list[Rule]


class ProfilesFile(Strict):
    profiles: list[Profile]


class SettingsFile(Strict):
    settings: Settings


# file name -> model; the order is the order they load in
KB_FILES: dict[str, type[Strict]] = {
    "settings.yaml": SettingsFile,
    "sources.yaml": SourcesFile,
    "claims.yaml": ClaimsFile,
    "questions.yaml": QuestionsFile,
    "criteria.yaml": CriteriaFile,
    "rules.yaml": RulesFile,
    "profiles.yaml": ProfilesFile,
}
