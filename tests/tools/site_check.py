#!/usr/bin/env python3
"""Reads a published status page back with independent readers and fails on the first problem.

usage: site_check.py SITE_DIR SCHEMA_JSON

- every Statuspage API file under api/v2/ validates against its definition in the JSON Schema
  (jsonschema, with format checking), and its flat copy at the root is byte-identical;
- every .html file parses with html5lib in strict mode (any parse error fails), has no duplicate
  id, and every relative link and fragment points at a file (and id) that exists;
- every .atom file is an RFC 4287 feed (namespace, id, title, updated, author, and per entry id,
  title, updated, content or summary, an alternate link when the page has a URL);
- every .rss file is RSS 2.0 with a channel title, link and description, and per item a guid.
Prints one line per kind with the counts.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urlsplit

import html5lib
import jsonschema

ATOM = "{http://www.w3.org/2005/Atom}"


def fail(msg):
    print(f"site_check: {msg}", file=sys.stderr)
    sys.exit(1)


def check_api(site, schema):
    defs = schema["$defs"]
    checker = jsonschema.FormatChecker()
    n = 0
    for path, name in schema["x-files"].items():
        v2 = os.path.join(site, "api", "v2", path)
        if not os.path.isfile(v2):
            fail(f"api/v2/{path} is missing")
        with open(v2, "rb") as f:
            raw = f.read()
        flat = os.path.join(site, path)
        if os.path.isfile(flat):
            with open(flat, "rb") as f:
                if f.read() != raw:
                    fail(f"{path} differs from api/v2/{path}")
        doc = json.loads(raw)
        validator = jsonschema.Draft202012Validator(
            {"$defs": defs, "$ref": f"#/$defs/{name}"}, format_checker=checker
        )
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path)
            fail(f"api/v2/{path}: {where}: {e.message}")
        n += 1
    return n


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        for key in ("href", "src"):
            if key in a and a[key] is not None:
                self.links.append(a[key])


def check_html(site, files):
    ids_of = {}
    links_of = {}
    for rel in files:
        with open(os.path.join(site, rel), "rb") as f:
            raw = f.read()
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parse(raw)
        except Exception as e:  # html5lib raises ParseError on the first problem
            fail(f"{rel}: not valid HTML5: {e}")
        p = Links()
        p.feed(raw.decode("utf-8"))
        dupes = {i for i in p.ids if p.ids.count(i) > 1}
        if dupes:
            fail(f"{rel}: duplicate id {sorted(dupes)[0]!r}")
        ids_of[rel] = set(p.ids)
        links_of[rel] = p.links
    for rel, links in links_of.items():
        for link in links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            target = rel
            if parts.path:
                target = os.path.normpath(os.path.join(os.path.dirname(rel), parts.path))
                if not os.path.isfile(os.path.join(site, target)):
                    fail(f"{rel}: link {link!r} points at a missing file")
            if parts.fragment and target.endswith(".html"):
                if target not in ids_of:
                    continue
                if parts.fragment not in ids_of[target]:
                    fail(f"{rel}: link {link!r} points at a missing id")
    return len(files)


def text_of(el, tag):
    child = el.find(tag)
    return None if child is None else (child.text or "")


def check_atom(site, rel, with_links):
    root = ET.parse(os.path.join(site, rel)).getroot()
    if root.tag != ATOM + "feed":
        fail(f"{rel}: root is {root.tag}, not an Atom feed")
    for tag in ("id", "title", "updated"):
        if not text_of(root, ATOM + tag):
            fail(f"{rel}: the feed has no {tag}")
    feed_author = root.find(ATOM + "author") is not None
    entries = root.findall(ATOM + "entry")
    seen = set()
    for e in entries:
        for tag in ("id", "title", "updated"):
            if not text_of(e, ATOM + tag):
                fail(f"{rel}: an entry has no {tag}")
        eid = text_of(e, ATOM + "id")
        if eid in seen:
            fail(f"{rel}: entry id {eid} twice")
        seen.add(eid)
        if e.find(ATOM + "content") is None and e.find(ATOM + "summary") is None:
            fail(f"{rel}: entry {eid} has neither content nor summary")
        if not feed_author and e.find(ATOM + "author") is None:
            fail(f"{rel}: entry {eid} has no author and the feed has none")
        if with_links:
            alt = [l for l in e.findall(ATOM + "link") if l.get("rel", "alternate") == "alternate"]
            if not alt or not alt[0].get("href", "").startswith("http"):
                fail(f"{rel}: entry {eid} has no alternate link")
    return len(entries)


def check_rss(site, rel):
    root = ET.parse(os.path.join(site, rel)).getroot()
    if root.tag != "rss" or root.get("version") != "2.0":
        fail(f"{rel}: not RSS 2.0")
    channel = root.find("channel")
    if channel is None:
        fail(f"{rel}: no channel")
    for tag in ("title", "link", "description"):
        if not text_of(channel, tag):
            fail(f"{rel}: the channel has no {tag}")
    items = channel.findall("item")
    for item in items:
        if not text_of(item, "guid") or not text_of(item, "title"):
            fail(f"{rel}: an item lacks a guid or a title")
    return len(items)


def main():
    site, schema_path = sys.argv[1], sys.argv[2]
    with open(schema_path) as f:
        schema = json.load(f)
    html, atom, rss = [], [], []
    for dirpath, _, names in os.walk(site):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), site)
            if name.endswith(".html"):
                html.append(rel)
            elif name.endswith(".atom"):
                atom.append(rel)
            elif name.endswith(".rss"):
                rss.append(rel)
    with open(os.path.join(site, "api", "v2", "summary.json")) as f:
        with_links = bool(json.load(f)["page"]["url"])
    api = check_api(site, schema)
    pages = check_html(site, sorted(html))
    entries = sum(check_atom(site, rel, with_links) for rel in sorted(atom))
    items = sum(check_rss(site, rel) for rel in sorted(rss))
    print(f"api files valid: {api}")
    print(f"html pages valid: {pages}")
    print(f"atom feeds valid: {len(atom)} ({entries} entries)")
    print(f"rss feeds valid: {len(rss)} ({items} items)")


if __name__ == "__main__":
    main()
