"""Sources that hold up (issue 14 point 5): every address in the files the
toolkit ships (instruments, plans, the national series, the JSON Schemas, the
READMEs, the sample data) is on a publisher's own domain and points at a
page, never at a scraped mirror copy and never a bare domain. The original
publications are named in ../shared/reference/citations.md."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import REPO

# Publishers' own domains (a host matches itself and its subdomains). Only
# the publisher of the cited text belongs here, never an aggregator, a
# document-sharing site or a host of scraped copies.
ALLOWED = {
    "gov.cn": "Chinese government sites (国务院 www.gov.cn, ministries; scio.gov.cn, stats.gov.cn are under it)",
    "cast.org.cn": "中国科学技术协会 (CAST) and its journals (castjournals.cast.org.cn publishes 《科普研究》)",
    "people.com.cn": "人民日报 / 人民网, the newspaper's own site",
    "xinhuanet.com": "新华社 / 新华网, the news agency's own site",
    "news.cn": "新华社's current domain",
    "chinanews.com.cn": "中国新闻社 / 中国新闻网, the agency's own site",
    "gmw.cn": "光明日报 / 光明网, the newspaper's own site (its e-paper epaper.gmw.cn)",
    "chinadaily.com.cn": "China Daily, the newspaper's own site",
    "china.com.cn": "中国网, the state news portal of the China Internet Information Center, publisher of its article",
    "doi.org": "the DOI resolver, which sends a reader to the publisher's own record",
    "nsf.gov": "the US National Science Foundation and NCSES (ncses.nsf.gov), publisher of Science & "
    "Engineering Indicators",
    "json-schema.org": "the JSON Schema specification's publisher (the $schema dialect of the shipped schemas)",
}
URL = re.compile(r"https?://[^\s\"'<>()\[\]`，。；、）]+", re.IGNORECASE)
# A host written without a scheme ("gssdataexplorer.norc.org", "most.gov.cn"): in the data files a source
# that names a site rather than a publication.
BARE_HOST = re.compile(r"(?<![\w./@-])(?:[a-z0-9-]+\.)+(?:cn|com|org|net|gov|edu|de|info|io)(?![\w.-])",
                       re.IGNORECASE)  # fmt: skip
TEXT_SUFFIXES = {".yaml", ".yml", ".json", ".md", ".csv", ".txt"}


def shipped_files() -> list[Path]:
    """The text files the toolkit ships or that a user reads as its reference."""
    files = [REPO / "README.md"]
    for folder in ("questionnaires", "src/literacy/reference", "sample_data"):
        files += [p for p in sorted((REPO / folder).rglob("*")) if p.is_file() and p.suffix in TEXT_SUFFIXES]
    return files


def data_files() -> list[Path]:
    """The reference data (instruments and their blocks, plans, the national series): their sources are text."""
    return [p for p in shipped_files() if p.suffix in {".yaml", ".yml"}]


def urls() -> list[tuple[str, str]]:
    found = []
    for path in shipped_files():
        text = path.read_text(encoding="utf-8-sig")
        found += [(str(path.relative_to(REPO)), match.rstrip(".,;:")) for match in URL.findall(text)]
    return found


def _allowed(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in ALLOWED)


def test_the_files_cite_addresses_and_they_were_all_found():
    found = urls()
    # The walk is not empty: the outline on gov.cn and the 2024 report on CAST's journal site are cited.
    assert any("gov.cn/zhengce/" in url for _, url in found)
    assert any("castjournals.cast.org.cn" in url for _, url in found)
    assert any(path.startswith("questionnaires/") for path, _ in found)


@pytest.mark.parametrize(("path", "url"), urls())
def test_every_address_is_on_a_publishers_own_domain(path, url):
    parts = urlsplit(url)
    assert _allowed(parts.hostname or ""), (
        f"{path} cites {url}: {parts.hostname} is not a publisher's own domain; cite the original publication "
        "(outlet, title, date, DOI or document number; see ../shared/reference/citations.md)"
    )
    assert parts.path.strip("/") or parts.query, f"{path} cites the bare domain {url}: cite the page itself"


def test_no_data_file_names_a_site_instead_of_a_publication():
    named = []
    for path in data_files():
        text = URL.sub(" ", path.read_text(encoding="utf-8"))
        named += [f"{path.relative_to(REPO)}: {host}" for host in BARE_HOST.findall(text)]
    assert named == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://www.gov.cn/zhengce/content/2021-06/25/content_5620813.htm", True),
        ("https://castjournals.cast.org.cn/joweb/kpyj/CN/10.19293/x", True),
        ("http://kmdx120.cn/a/2025/0603.html", False),  # a mirror of 光明日报 (citations.md)
        ("https://www.gov.cn.mirror.example.com/zhengce/1.htm", False),  # a look-alike is not gov.cn
        ("https://xgov.cn/page", False),
    ],
)
def test_the_domain_check_tells_publishers_from_mirrors(url, ok):
    assert _allowed(urlsplit(url).hostname or "") is ok


def test_the_bare_host_pattern_finds_a_site_named_without_an_address():
    text = "GSS Data Explorer, gssdataexplorer.norc.org (URL unverified); most.gov.cn URL unverified; DOI 10.1/j.cnki.1"
    assert BARE_HOST.findall(text) == ["gssdataexplorer.norc.org", "most.gov.cn"]
