"""Reads Markdown files the way two independent renderers do and reports where they disagree.

For each file: markdownlint's default rules (pymarkdownlnt, line length aside) must find nothing,
and CommonMark (markdown-it-py, with GFM tables) and Python-Markdown (with its tables extension)
must see the same document: the same headings, list items and table rows. Prints one line per
problem; exits 1 if there is any.
"""
import re
import subprocess
import sys

import markdown
from markdown_it import MarkdownIt


def structure(html):
    text = lambda s: re.sub(r"<[^>]+>", "", s).strip()
    return {
        "headings": [text(h) for h in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", html, re.S)],
        "list items": len(re.findall(r"<li[ >]", html)),
        "table rows": len(re.findall(r"<tr[ >]", html)),
        # An image is raw HTML from record text, but for the timeline chart the template links.
        "raw html": len(re.findall(r"<(script|b|iframe)[ >]", html))
        + len(re.findall(r'<img (?![^>]*alt="Timeline chart of )', html)),
    }


def main(paths):
    problems = []
    lint = subprocess.run(
        ["pymarkdown", "--disable-rules", "md013", "scan", *paths],
        capture_output=True, text=True,
    )
    problems += [l for l in lint.stdout.splitlines() + lint.stderr.splitlines() if l.strip()]
    commonmark = MarkdownIt("commonmark").enable("table")
    for path in paths:
        source = open(path, encoding="utf-8").read()
        a = structure(commonmark.render(source))
        b = structure(markdown.markdown(source, extensions=["tables"]))
        for key in a:
            if a[key] != b[key]:
                problems.append(f"{path}: {key} differ: CommonMark {a[key]} vs Python-Markdown {b[key]}")
        if a["raw html"]:
            problems.append(f"{path}: raw HTML from record text reaches the page")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
