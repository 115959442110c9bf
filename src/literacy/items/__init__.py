"""Item analysis: do a questionnaire's items work?

Classical statistics (``classical``), the Rasch model by conditional maximum
likelihood (``rasch``), Mantel-Haenszel DIF (``dif``), tied to an instrument
and its keys by :func:`item_analysis` (``analysis``). scipy and statsmodels
are imported only by the functions that need them.
"""

from literacy.items.analysis import ItemAnalysis, item_analysis

__all__ = ["ItemAnalysis", "item_analysis"]
