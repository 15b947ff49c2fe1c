import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { formatPValue, renderHtml } from "../../src/report/html.js";
import type { ColumnReport, DriftReport } from "../../src/report/model.js";
import {
  DRIFTED_IN_ORDER,
  HOSTILE_CATEGORIES,
  HOSTILE_NAME,
  QUOTED_NAME,
  sampleReport,
} from "../fixtures/reports/sample-report.js";
import { launchChromium, type OpenedPage, openFile } from "../support/chromium.js";

/** Every column of the sample report in the order the page must list them. */
const EXPECTED_ORDER = [...DRIFTED_IN_ORDER, QUOTED_NAME, "region", "age", "num_dependents", "loan_amount"];

/** Names in the `data-column` attributes of the column sections, decoded, in page order. */
function sectionNames(html: string): string[] {
  return [...html.matchAll(/<section class="column [a-z]+" id="[^"]+" data-column="([^"]*)"/g)].map((m) =>
    unescapeHtml(m[1]),
  );
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");
}

/** The real tags of a document whose text and attribute values are escaped: no raw `<` in them. */
function tagsOf(html: string): string[] {
  return [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0]);
}

function withColumns(columns: readonly ColumnReport[]): DriftReport {
  return { ...sampleReport, columns };
}

describe("renderHtml", () => {
  describe("the HTML document", () => {
    let html: string;

    before(async () => {
      html = await renderHtml(sampleReport);
    });

    it("starts with a doctype and declares its charset", () => {
      assert.match(html, /^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
    });

    it("escapes the hostile column name wherever it appears", () => {
      assert.ok(!html.includes(HOSTILE_NAME));
      assert.ok(html.includes("&lt;script&gt;window.__driftwatchInjected = true; alert(1)&lt;/script&gt;"));
      assert.doesNotMatch(html, /<script/i);
    });

    it("escapes hostile category names inside the SVG plots", () => {
      for (const category of HOSTILE_CATEGORIES.filter((c) => c !== "plain")) {
        assert.ok(!html.includes(category), `raw category ${category}`);
      }
      assert.ok(html.includes("&lt;b&gt;bold&lt;/b&gt;"));
    });

    it("keeps quotes and ampersands in names as escaped text", () => {
      assert.ok(html.includes("he said &quot;hi&quot; &amp; &#39;bye&#39;"));
      assert.ok(html.includes(`data-column="he said &quot;hi&quot; &amp; &#39;bye&#39;"`));
    });

    it("escapes the file paths in the title and the summary", () => {
      const escaped = "data/current/loans &lt;2024-Q2&gt; &amp; &quot;late&quot;.csv";
      assert.match(
        html,
        new RegExp(`<title>Drift report: ${escaped} vs data/reference/loans 2024-Q1\\.csv</title>`),
      );
      assert.ok(html.includes(`<code class="path">${escaped}</code>`));
    });

    it("references nothing over http or https except the SVG namespaces", () => {
      for (const match of html.matchAll(/https?:\/\//g)) {
        const context = html.slice(Math.max(0, match.index - 40), match.index + 40);
        assert.match(html.slice(Math.max(0, match.index - 20), match.index), /xmlns(:[a-z]+)?="$/, context);
      }
    });

    it("loads no resource: no fetching elements, only in-page links and url(#id) references", () => {
      for (const tag of tagsOf(html)) {
        assert.doesNotMatch(
          tag,
          /^<(link|img|image|iframe|object|embed|use|source|video|audio|base)\b/i,
          tag,
        );
        for (const [, name, value] of tag.matchAll(/\s([a-zA-Z:-]+)="([^"]*)"/g)) {
          assert.ok(!/^(src|srcset|data|poster|action|formaction|xlink:href)$/i.test(name), tag);
          if (name === "href") assert.match(value, /^#/, tag);
          for (const [, ref] of value.matchAll(/url\(([^)]*)\)/g)) assert.match(ref, /^#/, tag);
        }
      }
      const stylesheet = html.slice(html.indexOf("<style>"), html.indexOf("</style>"));
      assert.doesNotMatch(stylesheet, /@import|url\(/);
    });

    it("has no event handler attributes on any element", () => {
      for (const tag of tagsOf(html)) {
        const withoutValues = tag.replace(/"[^"]*"/g, '""');
        assert.doesNotMatch(withoutValues, /\son[a-z]+\s*=/i, tag);
      }
    });

    it("forbids scripts and remote loads with a content security policy", () => {
      assert.ok(
        html.includes(
          `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
        ),
      );
    });

    it("gives every column a section with an inline SVG plot", () => {
      const sections = html.split(/(?=<section class="column )/).slice(1);
      assert.equal(sections.length, sampleReport.columns.length);
      for (const section of sections)
        assert.match(section, /<div class="plot" role="img" aria-label="[^"]+"><svg /);
    });

    it("lists drifted columns first, then by p-value, then distance tests", () => {
      assert.deepEqual(sectionNames(html), EXPECTED_ORDER);
    });

    it("shows a drift badge for every column in the table and the sections", () => {
      assert.equal(
        html.match(/<span class="badge drift">drift<\/span>/g)?.length,
        2 * DRIFTED_IN_ORDER.length,
      );
      assert.equal(
        html.match(/<span class="badge stable">no drift<\/span>/g)?.length,
        2 * (sampleReport.columns.length - DRIFTED_IN_ORDER.length),
      );
    });

    it("summarises the dataset verdict, drift share, alpha, correction, inputs and skipped columns", () => {
      assert.ok(html.includes(`<p class="verdict drift" data-drift="true">Dataset drift detected</p>`));
      assert.ok(html.includes("<strong>4 of 9</strong> (44.4%)"));
      assert.ok(html.includes("from 40% of columns"));
      assert.ok(html.includes("alpha 0.05, multiple-testing correction: Benjamini–Hochberg (FDR)"));
      assert.ok(html.includes("48,000 rows") && html.includes("12,500 rows"));
      assert.ok(
        html.includes(`<td class="name">notes &lt;free text&gt;</td><td>all values missing in current</td>`),
      );
    });

    it("shows a tiny p-value in scientific notation and an underflow as < 1e-300", () => {
      assert.ok(html.includes(`<td class="num">3.2e-12</td>`));
      assert.ok(html.includes(`<td class="num">&lt; 1e-300</td>`));
    });

    it("lists categories seen on one side only", () => {
      assert.ok(html.includes("<dt>Only in reference</dt><dd><code>military</code></dd>"));
      assert.ok(html.includes("<dt>Only in current</dt><dd><code>gig_platform</code></dd>"));
    });

    it("keeps element ids unique across the inlined SVGs", () => {
      const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
      assert.equal(new Set(ids).size, ids.length);
    });

    it("renders the same report to the same text", async () => {
      assert.equal(await renderHtml(sampleReport), html);
    });
  });

  describe("plots", () => {
    const [age] = sampleReport.columns;
    const region = sampleReport.columns.find((c) => c.name === "region");

    it("draws one bin for a numeric column without cut points", async () => {
      const constant: ColumnReport = {
        ...age,
        name: "constant",
        histogram: { kind: "numeric", cuts: [], range: [3, 3], reference: [1], current: [1] },
      };
      const html = await renderHtml(withColumns([constant]));
      assert.equal(html.match(/aria-label="reference: 100% of values in \[3, 3\]"/g)?.length, 1);
      assert.ok(html.includes("Share of values in the single bin"));
    });

    it("draws the thirty largest categories and says how many it left out", async () => {
      assert.ok(region !== undefined);
      const categories = Array.from({ length: 40 }, (_, i) => `category_${i}`);
      const shares = categories.map((_, i) => (40 - i) / 820);
      const wide: ColumnReport = {
        ...region,
        name: "merchant",
        histogram: { kind: "categorical", categories, reference: shares, current: shares },
      };
      const html = await renderHtml(withColumns([wide]));
      assert.ok(html.includes("category_29, reference"));
      assert.ok(!html.includes("category_30, reference"));
      assert.ok(html.includes("10 smaller categories not drawn"));
    });

    it("renders a report without columns", async () => {
      const html = await renderHtml(withColumns([]));
      assert.ok(html.includes("No columns were compared."));
      assert.doesNotMatch(html, /<section class="column /);
    });

    it("renders fifty columns in well under five seconds", async () => {
      const columns = Array.from({ length: 50 }, (_, i) => ({
        ...sampleReport.columns[i % sampleReport.columns.length],
        name: `column_${i}`,
      }));
      const started = performance.now();
      const html = await renderHtml(withColumns(columns));
      const elapsed = performance.now() - started;
      assert.equal(html.match(/<svg /g)?.length, 50);
      assert.ok(elapsed < 5000, `took ${Math.round(elapsed)} ms`);
    });
  });

  describe("formatPValue", () => {
    it("keeps three significant digits down to 0.001", () => {
      assert.equal(formatPValue(1), "1");
      assert.equal(formatPValue(0.5), "0.5");
      assert.equal(formatPValue(0.04237), "0.0424");
      assert.equal(formatPValue(0.001), "0.001");
    });

    it("switches to scientific notation with two significant digits below 0.001", () => {
      assert.equal(formatPValue(3.2e-12), "3.2e-12");
      assert.equal(formatPValue(0.00031), "3.1e-4");
      assert.equal(formatPValue(1e-5), "1e-5");
      assert.equal(formatPValue(1e-300), "1e-300");
    });

    it("shows anything below 1e-300, an underflow to zero included, as < 1e-300", () => {
      assert.equal(formatPValue(0), "< 1e-300");
      assert.equal(formatPValue(5e-324), "< 1e-300");
    });

    it("shows a missing p-value as a dash", () => {
      assert.equal(formatPValue(null), "—");
    });
  });

  describe("in headless Chromium", () => {
    let dir: string;
    let browser: Browser;
    let opened: OpenedPage;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "driftwatch-html-"));
      const file = join(dir, "report.html");
      await writeFile(file, await renderHtml(sampleReport));
      browser = await launchChromium();
      opened = await openFile(browser, file);
    });

    after(async () => {
      await opened?.close();
      await browser?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it("loads without console errors, page errors or dialogs", () => {
      assert.deepEqual(opened.log.consoleErrors, []);
      assert.deepEqual(opened.log.pageErrors, []);
      assert.deepEqual(opened.log.dialogs, []);
    });

    it("makes no network requests at all", () => {
      assert.deepEqual(opened.log.requests, []);
      assert.deepEqual(opened.log.failedRequests, []);
    });

    it("shows a section with a visible SVG plot for every column", async () => {
      const sections = opened.page.locator("section.column");
      assert.equal(await sections.count(), sampleReport.columns.length);
      for (let i = 0; i < sampleReport.columns.length; i++) {
        const box = await sections.nth(i).locator(".plot > svg").boundingBox();
        assert.ok(box !== null && box.width > 100 && box.height > 100, `plot ${i}: ${JSON.stringify(box)}`);
      }
    });

    it("shows the hostile column name as text and runs no injected script", async () => {
      const { page } = opened;
      const heading = page.locator("section.column h3 .name").nth(EXPECTED_ORDER.indexOf(HOSTILE_NAME));
      assert.equal(await heading.textContent(), HOSTILE_NAME);
      assert.equal(await page.evaluate("typeof window.__driftwatchInjected"), "undefined");
      assert.equal(await page.evaluate("document.scripts.length"), 0);
      assert.equal(await page.locator("img, b, i, iframe, object, embed, svg foreignObject").count(), 0);
    });

    it("draws hostile category names as SVG text", async () => {
      const labels = await opened.page.locator("svg text").allTextContents();
      assert.ok(labels.includes("<b>bold</b>"), labels.join(" | "));
    });

    it("keeps the quoted column name intact as text", async () => {
      const section = opened.page.locator("section.column").nth(EXPECTED_ORDER.indexOf(QUOTED_NAME));
      assert.equal(await section.getAttribute("data-column"), QUOTED_NAME);
      assert.equal(await section.locator("h3 .name").textContent(), QUOTED_NAME);
      assert.equal(await opened.page.locator("table.columns-table a", { hasText: QUOTED_NAME }).count(), 1);
    });

    it("shows the file paths as text in the title", async () => {
      assert.equal(
        await opened.page.title(),
        `Drift report: data/current/loans <2024-Q2> & "late".csv vs data/reference/loans 2024-Q1.csv`,
      );
    });

    it("lists drifted columns first in the sections and the table", async () => {
      const { page } = opened;
      const sections = page.locator("section.column");
      const names: (string | null)[] = [];
      const drifts: (string | null)[] = [];
      for (let i = 0; i < (await sections.count()); i++) {
        names.push(await sections.nth(i).getAttribute("data-column"));
        drifts.push(await sections.nth(i).getAttribute("data-drift"));
      }
      assert.deepEqual(names, EXPECTED_ORDER);
      assert.deepEqual(
        drifts,
        EXPECTED_ORDER.map((_, i) => String(i < DRIFTED_IN_ORDER.length)),
      );
      assert.deepEqual(await page.locator("table.columns-table td.name").allTextContents(), EXPECTED_ORDER);
    });

    it("links each table row to its column section", async () => {
      const links = opened.page.locator("table.columns-table td.name a");
      for (let i = 0; i < (await links.count()); i++) {
        const href = await links.nth(i).getAttribute("href");
        assert.equal(
          await opened.page.locator(`section.column${href}`).getAttribute("data-column"),
          EXPECTED_ORDER[i],
        );
      }
    });

    it("renders a full-page screenshot", async () => {
      // Set HTML_REPORT_SCREENSHOT=/some/path.png to keep the image and look at the page.
      const path = process.env.HTML_REPORT_SCREENSHOT ?? join(dir, "report.png");
      await opened.page.screenshot({ path, fullPage: true });
      const png = await readFile(path);
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
      assert.ok(png.length > 50_000, `${png.length} bytes`);
    });
  });
});
