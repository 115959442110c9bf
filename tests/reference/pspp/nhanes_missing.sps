* Writes nhanes_missing.sav with GNU PSPP (Debian package pspp), from the
* NHANES subset of R's survey package (../nhanes.csv). The missing HI_CHOL
* values become the code 9, declared missing as SPSS users do; race carries
* value labels. Run from this folder:  pspp nhanes_missing.sps
GET DATA /TYPE=TXT /FILE='../nhanes.csv' /ENCODING='UTF-8'
  /ARRANGEMENT=DELIMITED /DELCASE=LINE /FIRSTCASE=2 /DELIMITERS=','
  /QUALIFIER='"'
  /VARIABLES=SDMVPSU F2.0 SDMVSTRA F3.0 WTMEC2YR F12.6 HI_CHOL F1.0 race F1.0
             agecat A8 RIAGENDR F1.0 row F5.0.
RECODE HI_CHOL (SYSMIS=9).
MISSING VALUES HI_CHOL (9).
VARIABLE LABELS HI_CHOL 'High total cholesterol (1 = yes)' race 'Race/ethnicity'.
VALUE LABELS HI_CHOL 0 'no' 1 'yes' 9 'not measured'
  /race 1 'Hispanic' 2 'Non-Hispanic White' 3 'Non-Hispanic Black' 4 'Other'.
SAVE OUTFILE='nhanes_missing.sav'.
