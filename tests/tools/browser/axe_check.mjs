// Opens every page of a published status site in Debian's Chromium at a desktop (1280 px) and a
// phone (390 px) width and runs axe-core's WCAG 2 A/AA rules on it, colour contrast included, as
// rendered (so every background a colour is really drawn on counts). Prints one line per
// violation and exits 1 when there is any. With --shots DIR it also saves a full-page screenshot
// per page and width, to look at.
//
//   node tests/tools/browser/axe_check.mjs SITE [--shots DIR]
import { chromium } from "playwright-core";
import { readFileSync, readdirSync, statSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const [site, ...rest] = process.argv.slice(2);
if (!site) {
  console.error("usage: axe_check.mjs SITE [--shots DIR]");
  process.exit(2);
}
const shots = rest[0] === "--shots" ? rest[1] : null;
if (shots) mkdirSync(shots, { recursive: true });

function pages(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return pages(path);
    return name.endsWith(".html") ? [path] : [];
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // Flags that keep Chromium from reaching for the network in a closed sandbox.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failures = 0;
let checked = 0;
try {
  for (const [label, viewport] of [
    ["desktop", { width: 1280, height: 900 }],
    ["phone", { width: 390, height: 844 }],
  ]) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    // The pages fetch nothing; anything that tries is a finding too.
    const outside = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) outside.push(r.url());
    });
    for (const path of pages(site).sort()) {
      const name = relative(site, path);
      await page.goto(pathToFileURL(path).href);
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(async () =>
        // eslint-disable-next-line no-undef
        axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
          resultTypes: ["violations"],
        }),
      );
      checked += 1;
      for (const v of result.violations) {
        for (const node of v.nodes) {
          failures += 1;
          const why = (node.any[0] || node.all[0] || node.none[0] || {}).message || v.help;
          console.log(`${name} (${label} ${viewport.width}px): ${v.id}: ${node.target.join(" ")}: ${why}`);
        }
      }
      // Wider than the screen means a phone reader scrolls sideways.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      if (overflow > 0) {
        failures += 1;
        console.log(`${name} (${label} ${viewport.width}px): scrolls sideways by ${overflow}px`);
      }
      if (shots) {
        const file = `${name.replace(/[\/]/g, "_").replace(/\.html$/, "")}-${viewport.width}.png`;
        await page.screenshot({ path: join(shots, file), fullPage: true });
      }
    }
    for (const url of outside) {
      failures += 1;
      console.log(`(${label}): the page fetched ${url}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(`axe-core ${JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")).version}: ${checked} page views, ${failures} findings`);
process.exit(failures ? 1 : 0);
