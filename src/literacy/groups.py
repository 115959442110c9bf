"""Analysis groups derived from the respondent fields: age bands of the
national releases (18-29 ... 60-69) and the key groups the plans name
(青少年/youth, 农民, 产业工人, 老年人, 领导干部和公务员).

One definition used by simulation (truth), weighting margins and reports.
Youth here is 18-35, the adult part of the plans' 青少年 group (ASSUMED: the
plans do not give an age range for adults); the elderly are 60-69, the oldest
band of the surveyed population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from literacy.instrument import Text

AGE_BANDS = ("18-29", "30-39", "40-49", "50-59", "60-69")
KEY_GROUPS = {
    "youth": Text("青年（18-35岁）", "Youth (18-35)"),
    "farmer": Text("农民", "Farmers"),
    "industrial_worker": Text("产业工人", "Industrial workers"),
    "elderly": Text("老年人（60-69岁）", "Elderly (60-69)"),
    "cadre_civil_servant": Text("领导干部和公务员", "Cadres and civil servants"),
}


def age_band(age: pd.Series) -> pd.Series:
    values = pd.to_numeric(age, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    edges = np.array([18, 30, 40, 50, 60, 70])
    position = np.searchsorted(edges, values, side="right") - 1
    valid = ~np.isnan(values) & (position >= 0) & (position < len(AGE_BANDS))
    labels = np.array(AGE_BANDS, dtype=object)
    out = np.where(valid, labels[np.clip(position, 0, len(AGE_BANDS) - 1)], None)
    return pd.Series(pd.Categorical(out, categories=AGE_BANDS), index=age.index)


def key_group_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """0/1 columns ``group_<name>`` (a person can be in several groups)."""
    age = pd.to_numeric(frame.get("age"), errors="coerce") if "age" in frame else None
    occupation = frame["occupation"].astype("string") if "occupation" in frame else None
    flags = {}
    if age is not None:
        flags["group_youth"] = ((age >= 18) & (age <= 35)).astype("Int8")
        flags["group_elderly"] = (age >= 60).astype("Int8")
    if occupation is not None:
        for name in ("farmer", "industrial_worker", "cadre_civil_servant"):
            flags[f"group_{name}"] = (occupation == name).astype("Int8")
    return pd.DataFrame(flags, index=frame.index)


def add_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``age_band`` and the key-group flags added (where the
    fields exist and the columns are not there already)."""
    out = frame.copy(deep=False)  # copy-on-write: the columns are shared, not copied, and never changed
    if "age" in out and "age_band" not in out:
        out["age_band"] = age_band(out["age"])
    for column, values in key_group_flags(out).items():
        if column not in out:
            out[column] = values
    out.attrs = frame.attrs
    return out
