# Reference values for tests/test_items.py: item analysis of simulated answers
# to cast-2024 (items_answers.csv, made by items_simulate.py from the
# instrument's keys, written to items_keys.csv).
# Run from this folder:  Rscript items_reference.R
# Needs: r-base-core, r-cran-psych, r-cran-psychotools, r-cran-erm, r-cran-jsonlite (Debian).
# Takes a few minutes (eRm's person parameters with missing answers are slow).
# The tests read the committed JSON and never need R.
#
# Scoring is done here on its own from the keys: an answer equal to the key
# (for multiple choice: the same set of codes) is 1; don't know (8) and
# refused (9) are 0; blank and not asked (7) are missing (NA).
#
# * psych::alpha on the item scores (pairwise covariances, psych's default):
#   raw_alpha, its Feldt interval (alpha.ci), r.drop and alpha.drop raw_alpha;
#   the same per dimension.
# * psychotools::raschmodel (conditional ML, missing answers by pattern) and
#   itempar() difficulties centred to sum zero, with their standard errors.
# * eRm (Mair & Hatzinger): RM() difficulties (CML, sum zero) as a second
#   reference, and itemfit() infit and outfit mean squares from
#   person.parameter() (ML abilities, persons with extreme scores excluded).
# * Mantel-Haenszel DIF with base R's mantelhaen.test on 2 x 2 x K tables:
#   group (reference, focal) x item (correct, wrong) x rest score (points on
#   the other items, missing counted 0), among those who answered the item;
#   strata without both groups carry no information and are left out.
suppressMessages({library(psych); library(psychotools); library(eRm); library(jsonlite)})
options(digits = 15)

answers <- read.csv("items_answers.csv", colClasses = "character", na.strings = "")
keys <- read.csv("items_keys.csv", colClasses = "character")

score_item <- function(values, key, type) {
  out <- rep(NA_real_, length(values))
  blank <- is.na(values) | trimws(values) == "" | trimws(values) == "7"
  wrong_code <- trimws(values) %in% c("8", "9")
  canon <- vapply(strsplit(trimws(values), " +"), function(t) paste(sort(as.integer(t)), collapse = " "), "")
  out[!blank] <- as.numeric(canon[!blank] == key)
  out[!blank & wrong_code] <- 0
  out
}
x <- sapply(seq_len(nrow(keys)), function(i) score_item(answers[[keys$item[i]]], keys$key[i], keys$type[i]))
colnames(x) <- keys$item
x <- x * matrix(as.numeric(keys$points), nrow(x), ncol(x), byrow = TRUE)

classical <- function(m) {
  a <- suppressWarnings(psych::alpha(as.data.frame(m), check.keys = FALSE, warnings = FALSE))
  list(raw_alpha = unname(a$total$raw_alpha), feldt_lower = unname(unlist(a$feldt$lower.ci)), feldt_upper = unname(unlist(a$feldt$upper.ci)),
       n = nrow(m), r_drop = setNames(as.list(a$item.stats$r.drop), colnames(m)),
       alpha_drop = setNames(as.list(a$alpha.drop$raw_alpha), colnames(m)))
}
total <- classical(x)
dims <- lapply(split(keys$item, keys$dimension), function(items) classical(x[, items]))

correct <- (x > 0) * 1
model <- raschmodel(correct)
ip <- itempar(model)  # ref = NULL: difficulties centred to sum zero
answered <- rowSums(!is.na(correct))
raw <- rowSums(correct, na.rm = TRUE)
extreme <- raw == 0 | raw == answered
erm <- RM(correct)  # sum0 = TRUE: easiness parameters summing to zero
erm_fit <- itemfit(person.parameter(erm))

mh <- function(group_column, reference, focal) {
  out <- list()
  for (item in keys$item) {
    keep <- !is.na(x[, item]) & answers[[group_column]] %in% c(reference, focal)
    rest <- rowSums(x[keep, setdiff(keys$item, item), drop = FALSE], na.rm = TRUE)
    g <- factor(answers[[group_column]][keep], levels = c(reference, focal))
    y <- factor(ifelse(x[keep, item] > 0, "right", "wrong"), levels = c("right", "wrong"))
    both <- names(which(tapply(g, rest, function(v) length(unique(v)) == 2)))
    use <- as.character(rest) %in% both
    tab <- table(g[use], y[use], factor(rest[use]))
    test <- mantelhaen.test(tab, correct = TRUE)
    or <- unname(test$estimate)
    out[[item]] <- list(odds_ratio = or, delta = -2.35 * log(or), chi_square = unname(test$statistic),
                        p_value = test$p.value, strata = dim(tab)[3])
  }
  out
}

result <- list(
  instrument = "cast-2024",
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  psychotools_version = as.character(packageVersion("psychotools")),
  alpha = total,
  dimensions = dims,
  rasch = list(difficulty = as.list(coef(ip)), se = as.list(sqrt(diag(vcov(ip)))),
               persons_extreme = sum(extreme), persons_used = sum(!extreme), loglik = as.numeric(logLik(model))),
  erm = list(version = as.character(packageVersion("eRm")), difficulty = as.list(setNames(-erm$betapar, keys$item)),
             infit = as.list(erm_fit$i.infitMSQ), outfit = as.list(erm_fit$i.outfitMSQ)),
  dif = list(urban_rural = mh("urban_rural", "urban", "rural"), sex = mh("sex", "male", "female"))
)
writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, pretty = TRUE), "items_reference.json")
