# Reference values for tests/test_missing_outcome_vs_r.py: R survey on the
# PSPP-written NHANES file whose missing HI_CHOL is the declared code 9
# (pspp/nhanes_missing.sav, made by pspp/nhanes_missing.sps).
# Run from this folder:  Rscript missing_reference.R
# Needs: r-base-core, r-cran-survey, r-cran-jsonlite, r-cran-foreign, r-cran-haven (Debian).
# The tests read the committed JSON and never need R.
#
# Two conventions for rows whose outcome is missing:
#   narm    R's usual call, svyby(~y, ~g, design, svyciprop, na.rm = TRUE): the rows
#           stay in each domain's design, so its degrees of freedom (degf) and the
#           Korn-Graubard nrow(design) - 1 count them.
#   subset  the rows are dropped first, subset(design, !is.na(y)).
suppressMessages({library(survey); library(jsonlite); library(foreign); library(haven)})
options(digits = 15)

spss <- read.spss("pspp/nhanes_missing.sav", to.data.frame = TRUE, use.value.labels = FALSE)
via_haven <- read_sav("pspp/nhanes_missing.sav")
stopifnot(sum(is.na(spss$HI_CHOL)) == sum(is.na(via_haven$HI_CHOL)), sum(is.na(spss$HI_CHOL)) > 0)
spss$agecat <- trimws(as.character(spss$agecat))

full <- svydesign(ids = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = spss)
observed <- subset(full, !is.na(HI_CHOL))

by_ciprop <- function(by, design, method, na_rm) {
  est <- svyby(~HI_CHOL, by, design, svyciprop, method = method, na.rm = na_rm, vartype = c("se", "ci"))
  dfs <- svyby(~WTMEC2YR, by, design, function(f, d, ...) {
    r <- svytotal(f, d); attr(r, "var") <- matrix(0); r[1] <- degf(d); r
  }, keep.var = FALSE)
  out <- as.data.frame(est)
  names(out)[(ncol(out) - 3):ncol(out)] <- c("estimate", "se", "ci_lower", "ci_upper")
  out$df <- as.numeric(dfs[[ncol(dfs)]])
  out
}
whole_ciprop <- function(design, method, na_rm) {
  r <- svyciprop(~HI_CHOL, design, method = method, na.rm = na_rm)
  data.frame(estimate = as.numeric(r), se = sqrt(as.numeric(attr(r, "var"))),
             ci_lower = attr(r, "ci")[1], ci_upper = attr(r, "ci")[2], df = degf(design))
}

cases <- list()
for (method in c("logit", "mean", "beta")) {
  cases[[paste0("narm_whole_", method)]] <- whole_ciprop(full, method, TRUE)
  cases[[paste0("subset_whole_", method)]] <- whole_ciprop(observed, method, FALSE)
  for (domain in c("race", "agecat", "race_sex")) {
    by <- switch(domain, race = ~race, agecat = ~agecat, race_sex = ~race + RIAGENDR)
    cases[[paste0("narm_", domain, "_", method)]] <- by_ciprop(by, full, method, TRUE)
    cases[[paste0("subset_", domain, "_", method)]] <- by_ciprop(by, observed, method, FALSE)
  }
}
# A replicate design: the domain df is the rank of the replicate weights over
# the domain's rows, again with (narm) or without (subset) the missing rows.
rep_full <- as.svrepdesign(full, type = "JKn")
rep_obs <- subset(rep_full, !is.na(HI_CHOL))
cases[["narm_jkn_race_logit"]] <- by_ciprop(~race, rep_full, "logit", TRUE)
cases[["subset_jkn_race_logit"]] <- by_ciprop(~race, rep_obs, "logit", FALSE)

write_json(list(r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
                missing_rows = sum(is.na(spss$HI_CHOL)), cases = cases),
           "missing_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
