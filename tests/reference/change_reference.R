# Reference values from R's survey package for tests/test_change.py (the change
# since the previous survey). Run from this folder:  Rscript change_reference.R
# Needs: r-base-core, r-cran-survey, r-cran-jsonlite (Debian). The tests read the
# committed JSON and never need R.
#
# Two independent samples of the same population (R survey's California API data,
# written by survey_reference.R): apistrat (stratified by school type, FPC) stands
# for this survey, apiclus1 (one-stage cluster sample of districts, FPC) for the
# previous one; the outcome is sch_wide (0/1), the domain stype (E/H/M).
#
# The change and its standard error come from one stacked design in which the two
# samples are separate strata (independent samples: zero covariance), through
# svyby + svycontrast, a route independent of the toolkit's "variances add".
# The interval and p-value use Student's t with the Welch-Satterthwaite df
# from each wave's degf on its domain subset (as svyby/svyciprop use them).
suppressMessages({library(survey); library(jsonlite)})
options(digits = 15)

current <- read.csv("apistrat.csv", colClasses = c(cds = "character"))
previous <- read.csv("apiclus1.csv", colClasses = c(cds = "character"))
d1 <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = current)
d0 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = previous)

by_domain <- function(design) {
  est <- svyby(~sch_wide, ~stype, design, svyciprop, method = "logit", vartype = "se")
  out <- data.frame(stype = as.character(est$stype), estimate = as.numeric(est[[2]]), se = as.numeric(est[[3]]))
  out$df <- sapply(out$stype, function(s) degf(subset(design, stype == s)))
  out
}
e1 <- by_domain(d1)
e0 <- by_domain(d0)

# The stacked design: apistrat's strata E/H/M and apiclus1 as stratum "clus" (its PSUs the districts).
stacked <- rbind(
  data.frame(wave = "now", stratum = current$stype, psu = current$cds, stype = current$stype, pw = current$pw,
             fpc = current$fpc, sch_wide = current$sch_wide),
  data.frame(wave = "before", stratum = "clus", psu = as.character(previous$dnum), stype = previous$stype,
             pw = previous$pw, fpc = previous$fpc, sch_wide = previous$sch_wide)
)
ds <- svydesign(ids = ~psu, strata = ~stratum, weights = ~pw, fpc = ~fpc, data = stacked)
cells <- svyby(~sch_wide, ~wave + stype, ds, svymean, covmat = TRUE)
labels <- rownames(coef(cells))

welch <- function(change, se, v1, df1, v0, df0, level) {
  term0 <- ifelse(is.finite(df0) & v0 > 0, v0^2 / df0, 0)
  df <- (v1 + v0)^2 / (v1^2 / df1 + term0)
  q <- qt(0.5 + level / 2, df)
  list(change = change, change_se = se, ci_lower = change - q * se, ci_upper = change + q * se,
       p_value = 2 * pt(-abs(change) / se, df), df = df)
}

microdata <- lapply(c("E", "H", "M"), function(s) {
  weights <- setNames(rep(0, length(labels)), labels)
  weights[paste0("now.", s)] <- 1
  weights[paste0("before.", s)] <- -1
  contrast <- svycontrast(cells, weights)
  a <- e1[e1$stype == s, ]
  b <- e0[e0$stype == s, ]
  c(list(stype = s), welch(as.numeric(coef(contrast)), as.numeric(SE(contrast)), a$se^2, a$df, b$se^2, b$df, 0.95))
})

# Published figures: with a standard error (infinite df), and without one (taken as fixed), at the 90% level.
published <- data.frame(stype = c("E", "H", "M"), estimate = c(0.80, 0.55, 0.70), se = c(0.03, 0.06, 0.05))
with_se <- lapply(seq_len(3), function(i) {
  a <- e1[i, ]
  p <- published[i, ]
  c(list(stype = a$stype), welch(a$estimate - p$estimate, sqrt(a$se^2 + p$se^2), a$se^2, a$df, p$se^2, Inf, 0.90))
})
fixed <- lapply(seq_len(3), function(i) {
  a <- e1[i, ]
  p <- published[i, ]
  c(list(stype = a$stype), welch(a$estimate - p$estimate, a$se, a$se^2, a$df, 0, Inf, 0.90))
})

write_json(list(current = e1, previous = e0, published = published, microdata = microdata, with_se = with_se,
                fixed = fixed, r_version = R.version.string,
                survey_version = as.character(packageVersion("survey"))),
           "change_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
