# Reference values from R's survey package for tests/test_estimation_vs_r.py.
# Run from this folder:  Rscript survey_reference.R
# Needs: r-base-core, r-cran-survey, r-cran-jsonlite (Debian). The tests read the
# committed JSON and CSV files and never need R.
#
# Data: public example data shipped with R survey (Lumley):
#   nhanes    NHANES 2009-2010 subset: 15 strata (SDMVSTRA) x 2 PSUs (SDMVPSU,
#             codes reused across strata, so nest=TRUE), weights WTMEC2YR,
#             binary outcome HI_CHOL with missing values.
#   apistrat  California API, stratified by school type with FPC (population counts).
#   apiclus1  California API, one-stage cluster sample of districts with FPC.
suppressMessages({library(survey); library(jsonlite)})
options(digits = 15)
data(nhanes); data(api)

nhanes$row <- seq_len(nrow(nhanes))
write.csv(nhanes, "nhanes.csv", row.names = FALSE, na = "")
apistrat$sch_wide <- as.numeric(apistrat$sch.wide == "Yes")
apistrat$awards01 <- as.numeric(apistrat$awards == "Yes")
write.csv(apistrat[, c("cds", "stype", "pw", "fpc", "sch_wide", "awards01", "api00", "cname")],
          "apistrat.csv", row.names = FALSE)
apiclus1$sch_wide <- as.numeric(apiclus1$sch.wide == "Yes")
write.csv(apiclus1[, c("cds", "dnum", "stype", "pw", "fpc", "sch_wide", "api00")],
          "apiclus1.csv", row.names = FALSE)

# One row per domain: estimate, SE, CI, df (svyby over svyciprop uses degf of each subset).
by_ciprop <- function(formula, by, design, method, level = 0.95) {
  est <- svyby(formula, by, design, svyciprop, method = method, level = level, vartype = c("se", "ci"))
  dfs <- svyby(formula, by, design, function(f, d, ...) {
    r <- svymean(f, d); attr(r, "var") <- matrix(0); r[1] <- degf(d); r
  }, keep.var = FALSE)
  out <- as.data.frame(est)
  names(out)[(ncol(out) - 3):ncol(out)] <- c("estimate", "se", "ci_lower", "ci_upper")
  out$df <- as.numeric(dfs[[ncol(dfs)]])
  out
}
whole_ciprop <- function(formula, design, method, level = 0.95) {
  r <- svyciprop(formula, design, method = method, level = level)
  data.frame(estimate = as.numeric(r), se = sqrt(as.numeric(attr(r, "var"))),
             ci_lower = attr(r, "ci")[1], ci_upper = attr(r, "ci")[2], df = degf(design))
}
by_deff <- function(formula, by, design) {
  r <- svyby(formula, by, design, svymean, deff = TRUE)
  out <- as.data.frame(r)
  names(out)[(ncol(out) - 2):ncol(out)] <- c("estimate", "se", "deff")
  out
}
cases <- list()

# ---- NHANES: stratified cluster design, domains, missing outcome
des <- svydesign(ids = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
obs <- subset(des, !is.na(HI_CHOL))
for (method in c("logit", "mean", "beta")) {
  cases[[paste0("nhanes_whole_", method)]] <- whole_ciprop(~HI_CHOL, obs, method)
  cases[[paste0("nhanes_race_", method)]] <- by_ciprop(~HI_CHOL, ~race, obs, method)
  cases[[paste0("nhanes_race_sex_", method)]] <- by_ciprop(~HI_CHOL, ~race + RIAGENDR, obs, method)
  cases[[paste0("nhanes_agecat_", method)]] <- by_ciprop(~HI_CHOL, ~agecat, obs, method)
}
cases[["nhanes_race_logit_90"]] <- by_ciprop(~HI_CHOL, ~race, obs, "logit", level = 0.90)
cases[["nhanes_race_deff"]] <- by_deff(~HI_CHOL, ~race, obs)
cases[["nhanes_whole_deff"]] <- {
  r <- svymean(~HI_CHOL, obs, deff = TRUE)
  data.frame(estimate = as.numeric(coef(r)), se = as.numeric(SE(r)), deff = as.numeric(deff(r)))
}
# Mean of a numeric variable and a categorical distribution (agecat shares).
cases[["nhanes_mean_race_by_sex"]] <- {
  r <- svyby(~race, ~RIAGENDR, des, svymean)
  out <- as.data.frame(r); names(out) <- c("RIAGENDR", "estimate", "se"); out
}
cases[["nhanes_agecat_distribution_by_sex"]] <- {
  r <- svyby(~agecat, ~RIAGENDR, des, svymean)
  out <- data.frame(RIAGENDR = rep(r$RIAGENDR, 4),
                    level = rep(levels(nhanes$agecat), each = nrow(r)),
                    estimate = as.vector(as.matrix(r[, 2:5])),
                    se = as.vector(as.matrix(r[, 6:9])))
  out
}
# Contrast between two domains with the joint linearisation.
cases[["nhanes_contrast_sex"]] <- {
  r <- svyby(~HI_CHOL, ~RIAGENDR, obs, svymean, covmat = TRUE)
  ct <- svycontrast(r, c(-1, 1))
  data.frame(estimate = as.numeric(coef(ct)), se = as.numeric(SE(ct)))
}

# ---- lonely PSU: drop PSU 2 of stratum 83, so stratum 83 has one PSU
lonely_data <- nhanes[!(nhanes$SDMVSTRA == 83 & nhanes$SDMVPSU == 2) & !is.na(nhanes$HI_CHOL), ]
for (rule in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = rule)
  ld <- svydesign(ids = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = lonely_data)
  cases[[paste0("lonely_", rule, "_whole")]] <- whole_ciprop(~HI_CHOL, ld, "mean")
  cases[[paste0("lonely_", rule, "_race")]] <- by_ciprop(~HI_CHOL, ~race, ld, "mean")
}
options(survey.lonely.psu = "fail")

# ---- API stratified with FPC; and one-stage cluster with FPC
dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
for (method in c("logit", "mean", "beta")) {
  cases[[paste0("apistrat_stype_", method)]] <- by_ciprop(~sch_wide, ~stype, dstrat, method)
  cases[[paste0("apistrat_whole_", method)]] <- whole_ciprop(~sch_wide, dstrat, method)
}
cases[["apistrat_deff"]] <- by_deff(~sch_wide, ~stype, dstrat)
dclus1 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
for (method in c("logit", "mean", "beta")) {
  cases[[paste0("apiclus1_stype_", method)]] <- by_ciprop(~sch_wide, ~stype, dclus1, method)
}

# ---- replicate designs built from the NHANES design
rep_case <- function(type, ...) {
  rd <- as.svrepdesign(des, type = type, ...)
  ro <- subset(rd, !is.na(HI_CHOL))
  rep_summary(rd, ro)
}
rep_summary <- function(rd, ro) {
  whole <- svymean(~HI_CHOL, ro)
  byrace <- svyby(~HI_CHOL, ~race, ro, svymean)
  list(scale = rd$scale, rscales = as.numeric(rd$rscales), degf = degf(rd),
       whole = data.frame(estimate = as.numeric(coef(whole)), se = as.numeric(SE(whole))),
       race = data.frame(race = byrace$race, estimate = byrace$HI_CHOL, se = byrace$se),
       ciprop_logit_race = by_ciprop(~HI_CHOL, ~race, ro, "logit"))
}
# BRR needs two PSUs per stratum: one NHANES stratum has three, so its PSU 3 is
# merged into PSU 2 (brr_psu), the usual collapsing step.
nhanes$brr_psu <- ifelse(nhanes$SDMVPSU == 3, 2, nhanes$SDMVPSU)
des2 <- svydesign(ids = ~brr_psu, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
brr_case <- function(type, ...) {
  rd <- as.svrepdesign(des2, type = type, ...)
  rep_summary(rd, subset(rd, !is.na(HI_CHOL)))
}
replicates <- list(jkn = rep_case("JKn"), brr = brr_case("BRR"), fay = brr_case("Fay", fay.rho = 0.3))
# JK1 needs an unstratified design: the API one-stage cluster sample (with FPC).
jk1 <- as.svrepdesign(dclus1, type = "JK1")
jk1_whole <- svymean(~sch_wide, jk1)
jk1_by <- svyby(~sch_wide, ~stype, jk1, svymean)
replicates[["jk1_apiclus1"]] <- list(
  scale = jk1$scale, rscales = as.numeric(jk1$rscales), degf = degf(jk1),
  whole = data.frame(estimate = as.numeric(coef(jk1_whole)), se = as.numeric(SE(jk1_whole))),
  stype = data.frame(stype = jk1_by$stype, estimate = jk1_by$sch_wide, se = jk1_by$se),
  ciprop_logit_stype = by_ciprop(~sch_wide, ~stype, jk1, "logit"))
set.seed(20261122)
boot <- as.svrepdesign(des, type = "subbootstrap", replicates = 50)
bo <- subset(boot, !is.na(HI_CHOL))
wb <- svyby(~HI_CHOL, ~race, bo, svymean)
# Replicate factors per row (replicate weight / full-sample weight); the test
# rebuilds the replicate weights from them.
factors <- as.matrix(weights(boot, "analysis")) / nhanes$WTMEC2YR
psu_key <- paste(nhanes$SDMVSTRA, nhanes$SDMVPSU)
psu_factors <- factors[!duplicated(psu_key), ]
write.csv(data.frame(SDMVSTRA = nhanes$SDMVSTRA[!duplicated(psu_key)],
                     SDMVPSU = nhanes$SDMVPSU[!duplicated(psu_key)], psu_factors),
          "nhanes_bootstrap_factors.csv", row.names = FALSE)
whole_boot <- svymean(~HI_CHOL, bo)
replicates[["bootstrap"]] <- list(
  scale = boot$scale, rscales = as.numeric(boot$rscales), degf = degf(boot),
  whole = data.frame(estimate = as.numeric(coef(whole_boot)), se = as.numeric(SE(whole_boot))),
  race = data.frame(race = wb$race, estimate = wb$HI_CHOL, se = wb$se))

out <- list(survey_version = as.character(packageVersion("survey")),
            r_version = R.version.string, cases = cases, replicates = replicates)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"), "survey_reference.json")
cat("wrote survey_reference.json\n")
