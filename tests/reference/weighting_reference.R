# Reference values from R's survey package for tests/test_weighting_vs_r.py.
# Run from this folder:  Rscript weighting_reference.R
# Data: apiclus1 (California API, one-stage cluster sample of 15 districts with
# FPC), shipped with R survey. Margins: school type and whether the school met
# its school-wide growth target (the textbook example of ?rake and ?calibrate).
suppressMessages({library(survey); library(jsonlite)})
data(api)
apiclus1$sch_wide <- as.numeric(apiclus1$sch.wide == "Yes")
apiclus1$awards01 <- as.numeric(apiclus1$awards == "Yes")
apiclus1$hi_api <- as.numeric(apiclus1$api00 > 700)
write.csv(apiclus1[, c("cds", "dnum", "stype", "pw", "fpc", "sch_wide", "awards01", "hi_api", "api00")],
          "apiclus1_weighting.csv", row.names = FALSE)
dclus1 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_wide <- data.frame(sch_wide = c(0, 1), Freq = c(1072, 5122))
totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, sch_wide = 5122)

summarise <- function(d) {
  whole <- svymean(~hi_api, d)
  byaw <- svyby(~hi_api, ~awards01, d, svymean)
  w <- if (inherits(d, "svyrep.design")) weights(d, "sampling") else weights(d)
  list(weights = as.numeric(w),
       whole = data.frame(estimate = as.numeric(coef(whole)), se = as.numeric(SE(whole))),
       awards = data.frame(awards01 = byaw$awards01, estimate = byaw$hi_api, se = byaw$se))
}
tight <- list(maxit = 1000, epsilon = 1e-13)
cases <- list(
  poststratify = summarise(postStratify(dclus1, ~stype, pop_types)),
  rake = summarise(rake(dclus1, list(~stype, ~sch_wide), list(pop_types, pop_wide), control = tight)),
  linear = summarise(calibrate(dclus1, ~stype + sch_wide, totals)),
  raking = summarise(calibrate(dclus1, ~stype + sch_wide, totals, calfun = "raking", epsilon = 1e-13, maxit = 500)),
  linear_bounded = summarise(calibrate(dclus1, ~stype + sch_wide, totals, bounds = c(0.5, 1.7),
                                       epsilon = 1e-13, maxit = 500)),
  raking_bounded = summarise(calibrate(dclus1, ~stype + sch_wide, totals, calfun = "raking",
                                       bounds = c(0.5, 1.7), epsilon = 1e-13, maxit = 500))
)
# Replicate design: JK1 replicates of the cluster design, each replicate calibrated again.
jk <- as.svrepdesign(dclus1, type = "JK1")
jk_cal <- calibrate(jk, ~stype + sch_wide, totals, calfun = "raking", epsilon = 1e-13, maxit = 500)
cases[["jk1_raking"]] <- summarise(jk_cal)
cases[["jk1_raking"]]$degf <- degf(jk_cal)
out <- list(survey_version = as.character(packageVersion("survey")), cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "weighting_reference.json")
cat("wrote weighting_reference.json\n")
