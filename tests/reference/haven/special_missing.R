# Stata and SAS files with special missing values, written by R haven (Debian
# r-cran-haven): Stata extended missing .a/.b and SAS special missing .A/.B in
# a 0/1 outcome, for tests/test_declared_missing.py.
# Run from this folder:  Rscript special_missing.R
suppressMessages(library(haven))
stata <- data.frame(y = c(0, 1, 1, tagged_na("a"), 0, tagged_na("b"), 1, 0), g = c(1, 1, 1, 1, 2, 2, 2, 2))
write_dta(stata, "special_missing.dta")
sas <- data.frame(y = c(0, 1, 1, tagged_na("A"), 0, tagged_na("B"), 1, 0), g = c(1, 1, 1, 1, 2, 2, 2, 2))
suppressWarnings(write_sas(sas, "special_missing.sas7bdat"))  # write_sas is deprecated but still writes
write_xpt(sas, "special_missing.xpt")
