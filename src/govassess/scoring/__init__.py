"""Scoring: rules applied to all units at once, aggregation, bonus/penalty/veto, ranks, grades, rounds."""

from govassess.scoring.combine import combine_results
from govassess.scoring.engine import RoundResult, score_round

__all__ = ["RoundResult", "combine_results", "score_round"]
