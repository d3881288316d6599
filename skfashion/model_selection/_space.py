"""The one validation of search spaces, shared by every searcher."""

__all__ = ["check_search_space"]


def as_spaces(param_distributions):
    """``param_distributions`` as a list of dicts (one dict is one space)."""
    if isinstance(param_distributions, list):
        return param_distributions
    return [param_distributions]


def check_search_space(estimator, param_distributions, *, resource=None):
    """Raise a clear error for a search space the estimator cannot take.

    Parameters
    ----------
    estimator : estimator
        The estimator to search over.
    param_distributions : dict or list of dict
        The space.
    resource : str or None, default=None
        The successive-halving resource, which must not be searched too.
    """
    spaces = as_spaces(param_distributions)
    if not spaces or any(not isinstance(s, dict) or not s for s in spaces):
        raise ValueError(
            "param_distributions must be a non-empty dict (or list of non-empty "
            f"dicts) of parameter name to values; got {param_distributions!r}."
        )
    valid = set(estimator.get_params())
    for space in spaces:
        unknown = sorted(set(space) - valid)
        if unknown:
            raise ValueError(
                f"param_distributions names parameters that "
                f"{type(estimator).__name__} does not have: {unknown}. Valid "
                f"parameters: {sorted(valid)}."
            )
        for name, values in space.items():
            if not hasattr(values, "rvs") and not len(values):
                raise ValueError(f"param_distributions[{name!r}] is empty.")
        if resource is not None and resource in space:
            raise ValueError(
                f"The halving resource {resource!r} is also in param_distributions;"
                " remove it from the space (halving sets it at every rung)."
            )
