"""Display names of algorithm labels, so analysis names algorithms in figures and tables without the optimizers.

``search.register_optimizer`` registers each optimizer's ``display_name`` here as it registers the class (the built-in
ones when ``nasbench_lab.search`` is imported, plug-ins when theirs is); analysis reads them with
:func:`algorithm_display_name` and never imports ``search``.
"""

from __future__ import annotations

from nasbench_lab.registry import Registry

#: an optimizer's display name by its registered name and aliases ("" when the class gives none)
ALGORITHM_DISPLAY_NAMES: Registry[str] = Registry("algorithm display name")


def algorithm_display_name(label: str) -> str:
    """What a reader sees for a study's algorithm ``label``: the optimizer's ``display_name`` when the label is a
    registered name, else the label itself (a user's own label, a parameterized variant, an ``optuna:`` sampler)."""
    if ":" in label or label not in ALGORITHM_DISPLAY_NAMES:
        return label
    return ALGORITHM_DISPLAY_NAMES.get(label) or label
