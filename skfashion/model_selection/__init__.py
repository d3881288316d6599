"""Search presets and helpers around scikit-learn's hyperparameter searchers."""

from ._budget import halving_cost, rung_candidates
from ._halving import HalvingEpochsSearchCV, halving_schedule
from ._presets import Preset, get_preset, list_presets, preset_for_data
from ._progress import fit_search
from ._search import (
    count_fits,
    make_search,
    share_cores_between_workers,
    tf_threads_for,
)
from ._space import check_search_space
from ._summary import (
    SearchScoresDisplay,
    ranking_score_name,
    search_results_table,
    tuning_gain,
)

__all__ = [
    "HalvingEpochsSearchCV",
    "Preset",
    "SearchScoresDisplay",
    "check_search_space",
    "count_fits",
    "fit_search",
    "get_preset",
    "halving_cost",
    "halving_schedule",
    "list_presets",
    "make_search",
    "preset_for_data",
    "ranking_score_name",
    "rung_candidates",
    "search_results_table",
    "share_cores_between_workers",
    "tf_threads_for",
    "tuning_gain",
]
