# Reference values for tests/test_smallarea.py from R's sae package
# (Molina & Marhuenda, sae 1.3): eblupFH and mseFH by REML, ML and FH.
#
#   Rscript tests/reference/sae_reference.R        (from the repository root)
#
# Writes tests/reference/sae_numeric.csv, sae_zero.csv (data sets of our own)
# and tests/reference/sae_reference.json. The tests never need R.
suppressPackageStartupMessages({
  library(sae)
  library(jsonlite)
})

PRECISION <- 1e-12
MAXITER <- 1000
here <- "tests/reference"

# A data set with numeric covariates: 30 areas, known FH model.
set.seed(20240612)
m <- 30
x1 <- round(runif(m, 0, 10), 3)
x2 <- round(rnorm(m, 5, 2), 3)
vardir <- round(runif(m, 0.5, 4), 4)
y <- round(3 + 0.8 * x1 - 0.5 * x2 + rnorm(m, 0, 1.2) + rnorm(m, 0, sqrt(vardir)), 4)
numeric_data <- data.frame(area = sprintf("a%02d", 1:m), y = y, x1 = x1, x2 = x2, vardir = vardir)
write.csv(numeric_data, file.path(here, "sae_numeric.csv"), row.names = FALSE)

# A data set whose between-area variance estimate is negative (truncated at 0):
# the direct estimates scatter less around the line than their variances say.
set.seed(7)
m0 <- 20
z <- round(runif(m0, 0, 5), 3)
v0 <- round(runif(m0, 1, 3), 4)
y0 <- round(1 + 0.5 * z + rnorm(m0, 0, sqrt(v0) * 0.4), 4)
zero_data <- data.frame(area = sprintf("z%02d", 1:m0), y = y0, z = z, vardir = v0)
write.csv(zero_data, file.path(here, "sae_zero.csv"), row.names = FALSE)

fit <- function(formula, vardir, data, method) {
  data$.vardir <- vardir
  res <- mseFH(formula, .vardir, method = method, MAXITER = MAXITER, PRECISION = PRECISION, data = data)
  est <- res$est
  stopifnot(est$fit$convergence)
  list(
    method = method,
    eblup = as.numeric(est$eblup),
    mse = as.numeric(res$mse),
    sigma2_u = est$fit$refvar,
    iterations = est$fit$iterations,
    beta = as.numeric(est$fit$estcoef$beta),
    beta_se = as.numeric(est$fit$estcoef$std.error),
    beta_z = as.numeric(est$fit$estcoef$tvalue),
    beta_p = as.numeric(est$fit$estcoef$pvalue),
    beta_names = rownames(est$fit$estcoef),
    loglik = unname(est$fit$goodness["loglike"]),
    aic = unname(est$fit$goodness["AIC"]),
    bic = unname(est$fit$goodness["BIC"])
  )
}

data(milk)
milk_fits <- lapply(c("REML", "ML", "FH"), function(method)
  fit(yi ~ as.factor(MajorArea), milk$SD^2, milk, method))
numeric_fits <- lapply(c("REML", "ML", "FH"), function(method)
  fit(y ~ x1 + x2, numeric_data$vardir, numeric_data, method))
# ML is left out here: sae's ML Fisher scoring steps below -min(vardir) on
# this data set and solve() fails (REML and FH converge to a negative value).
zero_fits <- lapply(c("REML", "FH"), function(method)
  fit(y ~ z, zero_data$vardir, zero_data, method))
names(milk_fits) <- names(numeric_fits) <- c("reml", "ml", "fh")
names(zero_fits) <- c("reml", "fh")

out <- list(
  r_version = R.version.string,
  sae_version = as.character(packageVersion("sae")),
  precision = PRECISION,
  maxiter = MAXITER,
  milk = list(data = milk, fits = milk_fits),
  numeric = list(fits = numeric_fits),
  zero = list(fits = zero_fits)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "sae_reference.json"))
cat("wrote", file.path(here, "sae_reference.json"), "\n")
