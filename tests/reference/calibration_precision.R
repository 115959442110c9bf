# Reference values from R's survey package for tests/test_calibration_precision_vs_r.py.
# Run from this folder:  Rscript calibration_precision.R
# Issue 15: on many rows of one base weight, X'WX of dependent margin
# indicators carries "zero" eigenvalues of hundreds of machine epsilons; the
# toolkit once inverted them, and calibrated SEs were off by up to 1e-6. R
# takes the residuals with a QR of the (full-rank) model matrix, which has no
# such noise, so it is the reference for the SEs at 1e-9.
# Data: 200,000 rows made by exact integer arithmetic (a Weyl sequence per
# variable), so Python rebuilds the same rows without a file (see the test).
suppressMessages({library(survey); library(jsonlite)})
n <- 200000
i <- 0:(n - 1)
u <- function(a, b) ((i * a + b) %% 2^32) / 2^32  # exact: i * a < 2^53
city <- c("a", "b", "c")[floor(3 * u(2654435761, 7)) + 1]
d <- data.frame(
  city = city,
  sex = ifelse(u(2246822519, 11) < 0.5, "f", "m"),
  age = as.character(floor(5 * u(3266489917, 13)) + 1),
  urban = ifelse(u(668265263, 17) < 0.7, "u", "r"),
  edu = c("p", "j", "s", "c", "u")[floor(5 * u(374761393, 19)) + 1],
  stratum = floor(40 * u(2870177453, 23)),
  w = 32.7
)
d$psu <- d$stratum * 100 + floor(30 * u(1103515245, 29))
d$y <- as.numeric(u(1664525, 31) < 0.1 + 0.1 * (d$urban == "u") + 0.05 * (d$sex == "m"))
# Population totals: a "true" weight that differs from the base weight by cell,
# so calibration moves the weights.
target_w <- 32.7 * (1 + 0.2 * (d$sex == "m") + 0.05 * as.numeric(d$age) - 0.1 * (d$urban == "r") +
                    0.3 * (u(22695477, 37) - 0.5))
formula <- ~ city + city:sex + city:age + city:urban + city:edu
for (v in c("city", "sex", "age", "urban", "edu")) d[[v]] <- factor(d[[v]])
mm <- model.matrix(formula, d)
totals <- colSums(mm * target_w)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
cal <- calibrate(des, formula, population = totals, calfun = "linear")
by_city <- svyby(~y, ~city, cal, svymean)
by_urban <- svyby(~y, ~city + urban, cal, svymean)
write_json(list(
  n = n,
  weight_sum = sum(weights(cal)), weight_first = as.numeric(weights(cal)[1:5]),
  # the margins (counts per city and category), for the test to calibrate to
  margins = lapply(c("sex", "age", "urban", "edu"), function(v) {
    t <- aggregate(target_w, by = list(city = d$city, category = d[[v]]), FUN = sum)
    data.frame(city = as.character(t$city), variable = v, category = as.character(t$category), target = t$x)
  }),
  city = data.frame(city = as.character(by_city$city), estimate = by_city$y, se = by_city$se),
  city_urban = data.frame(city = as.character(by_urban$city), urban = as.character(by_urban$urban),
                          estimate = by_urban$y, se = by_urban$se)
), "calibration_precision.json", digits = NA, pretty = TRUE)
