"""The words the command line and the configuration accept, in one light module.

Each step's module imports its vocabulary from here (one definition), so that
``literacy --help`` and ``literacy --version`` can list the choices without
importing pandas, scipy or the steps themselves (issue 15: start-up under 0.3 s).
"""

from __future__ import annotations

# Instruments (instrument.py; schemas.py's Literals are kept equal by tests/test_schemas.py)
ITEM_TYPES = ("true_false", "single_choice", "multiple_choice", "coded_open")
RULES = ("all_dimensions_pass", "total_score_cut", "weighted_grades")

# Reading (io/platforms.py, io/files.py)
PLATFORMS = ("auto", "generic", "kobo", "odk", "wjx", "spss")
FILE_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
    ".sas7bdat": "sas",
    ".xpt": "xport",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DEFAULT_CHUNK_ROWS = 100_000

# Validation (validate.py): each check and what happens to a row that fails it by default.
ACTIONS = ("reject", "flag", "ignore")
DEFAULT_ACTIONS = {
    "invalid_value": "reject",
    "duplicate_id": "reject",
    "age_missing": "reject",
    "age_not_a_number": "reject",
    "outside_population": "reject",
    "incomplete": "reject",
    "speeder": "flag",
    "straight_line": "flag",
}

# Writing (io/tables.py) and reports (report/__init__.py)
OUTPUT_FORMATS = ("csv", "json", "table")
REPORT_FORMATS = ("html", "xlsx", "md", "json", "docx", "pdf")

# Collection (collect/exports.py, collect/forms.py, collect/samplesize.py)
EXPORT_LAYOUTS = ("csv", "kobo", "kobo-labels", "odk", "wjx", "wjx-numeric", "spss")
FORM_FORMATS = ("xlsform", "sav-template", "html")
ALLOCATIONS = ("proportional", "equal", "neyman", "power")

# Weighting (weighting.py) and design (design.py)
WEIGHT_METHODS = ("poststratify", "rake", "linear", "raking-bounded")
LONELY_PSU_RULES = ("fail", "remove", "certainty", "adjust", "average")
REPLICATE_METHODS = ("jk1", "jkn", "brr", "fay", "bootstrap")
SUPPLIED_TYPES = ("jk1", "brr", "fay", "bootstrap", "other")

# Estimation (estimation/intervals.py, estimation/estimate.py) and labels (labels.py)
CI_METHODS = ("logit", "wald", "korn-graubard", "wilson")
STATISTICS = ("auto", "proportion", "mean", "distribution")
MISSING_OUTCOME = ("na.rm", "subset")
LABEL_MODES = ("codes", "labels", "both")
