#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Parses the report goldens (tests/data/reports) strictly, as TAP.

The goldens are byte-equal to what lib/report renders (unit-report checks
that), so this checks the renderer's output: JUnit XML and the HTML page
parse as XML with the standard library's parser, JUnit has the counts and
the failures CI test tabs read, the HTML page holds the access matrix grid
with coloured cells and needs nothing from outside, every Markdown table
has the same number of cells in each row, and the JSON parses.

A headless-browser check is not done: no browser is installed here.
"""
import json
import re
import sys
import xml.dom.minidom

directory = sys.argv[1]
results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        results.append((False, name, repr(e)))


def read(name):
    with open(f"{directory}/{name}", encoding="utf-8") as f:
        return f.read()


def junit():
    doc = xml.dom.minidom.parse(f"{directory}/report.xml")
    root = doc.documentElement
    assert root.tagName == "testsuites", root.tagName
    suites = root.getElementsByTagName("testsuite")
    assert len(suites) == 2, len(suites)
    cases = root.getElementsByTagName("testcase")
    assert len(cases) == int(root.getAttribute("tests")) == 8
    failures = root.getElementsByTagName("failure")
    assert len(failures) == int(root.getAttribute("failures")) == 3
    for s in suites:
        n = len(s.getElementsByTagName("testcase"))
        assert n == int(s.getAttribute("tests")), s.getAttribute("name")
        f = len(s.getElementsByTagName("failure"))
        assert f == int(s.getAttribute("failures")), s.getAttribute("name")
    assert suites[1].getAttribute("name") == "edge <cases> & | # names"
    text = failures[0].firstChild.data
    assert "Statement[0] (Allow): applies" in text, text
    assert '"repo:acme/app:*" <=' in text, text


def html():
    raw = read("report.html")
    doc = xml.dom.minidom.parseString(raw)
    assert doc.documentElement.tagName == "html"
    grids = [t for t in doc.getElementsByTagName("table")
             if t.getAttribute("class") == "grid"]
    assert len(grids) == 2, len(grids)
    cells = [td for td in grids[0].getElementsByTagName("td")
             if "cell" in td.getAttribute("class").split()]
    assert len(cells) == 6, len(cells)
    classes = [td.getAttribute("class") for td in cells]
    assert "cell allow failed" in classes, classes
    assert "cell no-token" not in classes and "cell notoken" in classes, classes
    assert len(doc.getElementsByTagName("style")) == 1
    # Self-contained: no external resources of any kind.
    for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
        assert not doc.getElementsByTagName(tag), tag
    assert not re.search(r"(?:src|href)\s*=|url\(|@import", raw), "external reference"
    details = doc.getElementsByTagName("details")
    assert len(details) == 3, len(details)
    pre = details[0].getElementsByTagName("pre")[0].firstChild.data
    assert "Statement[0] (Allow): applies" in pre, pre


def markdown():
    lines = read("report.md").splitlines()
    tables = 0
    i = 0
    while i < len(lines):
        if lines[i].startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            cells = [len(re.findall(r"(?<!\\)\|", row)) for row in block]
            assert len(set(cells)) == 1, (block, cells)
            assert re.fullmatch(r"(\| --- )+\|", block[1]), block[1]
            tables += 1
        i += 1
    assert tables == 4, tables


def json_report():
    doc = json.loads(read("report.json"))
    assert doc["summary"] == {"total": 8, "passed": 5, "failed": 3}, doc["summary"]
    keys = ["scenario", "file", "case", "matrix", "role", "expected", "actual",
            "passed", "request_id", "message", "duration_ms", "trace"]
    for r in doc["results"]:
        assert list(r) == keys, list(r)


def tap():
    lines = read("report.tap").splitlines()
    assert lines[0] == "TAP version 14" and lines[1] == "1..8"
    tests = [l for l in lines if re.match(r"(not )?ok \d+ - ", l)]
    assert len(tests) == 8
    assert sum(l.startswith("not ok") for l in tests) == 3


check("JUnit XML parses, counts match, failures carry the trace", junit)
check("HTML parses as XML, shows the grid, is self-contained", html)
check("Markdown tables are rectangular", markdown)
check("JSON parses with every field of every result", json_report)
check("TAP plan and results", tap)

print(f"1..{len(results)}")
for n, (ok, name, why) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    if not ok:
        print(f"# {why}")
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
