"""Questionnaire definitions as plain, frozen data (format in docs/questionnaire.md).

Nothing here reads files or knows the web: the web platform builds a phone page from a :class:`Form` and
checks each submission with :func:`govassess.questionnaire.responses.check_answers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govassess.expr import Node

# Canonical type codes (XLSForm's where it has one) and the Chinese names an office may write instead.
QUESTION_TYPES = ("select_one", "select_multiple", "likert5", "likert10", "integer", "decimal", "text", "date")
TYPE_NAMES = {
    "select_one": "单选", "select_multiple": "多选", "likert5": "五级量表", "likert10": "十级量表",
    "integer": "整数", "decimal": "小数", "text": "文本", "date": "日期",
    "begin_group": "分组开始", "end_group": "分组结束",
}
LIST_TYPES = ("select_one", "select_multiple")
LIKERT_TYPES = ("likert5", "likert10")
NUMERIC_TYPES = ("likert5", "likert10", "integer", "decimal")
# Labels of a five-point scale, as respondents read them (answers may be given as these labels).
LIKERT5_LABELS = ("非常不满意", "不满意", "一般", "满意", "非常满意")
# Names a question may not take: the responses file's own columns.
RESERVED_NAMES = ("unit", "单位编码", "单位代码", "单位", "评估对象")


@dataclass(frozen=True)
class Choice:
    name: str
    label: str


@dataclass(frozen=True)
class Question:
    type: str
    name: str
    label: str
    row: int                                   # row of the survey sheet (header = 1), for messages
    required: bool = False
    list_name: str | None = None               # select_one / select_multiple
    relevant: str | None = None                # own skip-logic text, as written
    constraint: str | None = None
    constraint_message: str | None = None
    hint: str | None = None
    index: bool = False                        # counts towards the satisfaction index (likert only)
    weight: float = 1.0
    group: str | None = None                   # innermost group name
    # Parsed conditions: every enclosing group's relevant, then the question's own (all must hold).
    relevant_nodes: tuple[Node, ...] = ()
    constraint_node: Node | None = None

    @property
    def scale(self) -> int | None:
        """Points of a Likert scale (5 or 10)."""
        return {"likert5": 5, "likert10": 10}.get(self.type)


@dataclass(frozen=True)
class Group:
    name: str
    label: str
    row: int
    relevant: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Settings:
    form_id: str = "questionnaire"
    title: str = "问卷"
    version: str = ""
    overall: str | None = None                 # the overall-satisfaction question
    satisfied_min: float | None = None         # ≥ this on the overall question = satisfied (default 4 / 8)
    dissatisfied_max: float | None = None      # ≤ this = 差评 (default 2 / 4)
    comments: tuple[str, ...] = ()             # text questions listed for 差评 (default: every text question)
    min_sample: int = 30
    margin: float = 0.05                       # margin of error for the sample size needed
    confidence: float = 0.95
    skipped: str = "refuse"                    # answers to skipped questions: refuse | ignore
    likert5_scores: tuple[float, ...] = (0.0, 25.0, 50.0, 75.0, 100.0)
    likert10_scores: tuple[float, ...] = tuple(round((k - 1) / 9 * 100, 10) for k in range(1, 11))

    def scores(self, scale: int) -> tuple[float, ...]:
        return self.likert5_scores if scale == 5 else self.likert10_scores


@dataclass(frozen=True)
class Form:
    settings: Settings
    questions: tuple[Question, ...]
    groups: tuple[Group, ...] = ()
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    source: str | None = None

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.questions)

    def overall_question(self) -> Question | None:
        return self.question(self.settings.overall) if self.settings.overall else None

    def comment_questions(self) -> tuple[Question, ...]:
        if self.settings.comments:
            return tuple(self.question(n) for n in self.settings.comments)
        return tuple(q for q in self.questions if q.type == "text")

    def satisfied_min(self) -> float | None:
        q = self.overall_question()
        if q is None:
            return None
        return self.settings.satisfied_min if self.settings.satisfied_min is not None else (4 if q.scale == 5 else 8)

    def dissatisfied_max(self) -> float | None:
        q = self.overall_question()
        if q is None:
            return None
        return self.settings.dissatisfied_max if self.settings.dissatisfied_max is not None else (
            2 if q.scale == 5 else 4)
