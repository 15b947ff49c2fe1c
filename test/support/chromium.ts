/**
 * Headless Chromium for browser tests: Debian's `chromium` package driven by playwright-core,
 * so no browser is downloaded. The machine may have no internet, hence the flags that stop
 * Chromium's own background traffic (updates, sync, QUIC probes).
 *
 * @example
 * const browser = await launchChromium();
 * const opened = await openFile(browser, "/tmp/report.html");
 * assert.deepEqual(opened.log.pageErrors, []);
 * await opened.close();
 * await browser.close();
 */

import { access, constants } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian's `chromium` package installs the browser; `CHROMIUM_PATH` overrides it. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a headless, offline-friendly browser that needs no user namespace sandbox. */
export const chromiumArgs: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What a page did while it was open, recorded from the moment before navigation. */
export interface PageLog {
  /** Text of every `console.error` message, including CSP violations Chromium reports there. */
  readonly consoleErrors: string[];
  /** Uncaught exceptions thrown by the page's scripts. */
  readonly pageErrors: string[];
  /** URL of every request the page made, other than the navigation to the opened file. */
  readonly requests: string[];
  /** URL and reason of every request that failed, the navigation included. */
  readonly failedRequests: string[];
  /** Message of every `alert`, `confirm` or `prompt` the page opened (each is dismissed). */
  readonly dialogs: string[];
}

/** A page opened on a local file, with the log of what it did. */
export interface OpenedPage {
  readonly page: Page;
  readonly log: PageLog;
  /** Closes the page and its browser context. */
  close(): Promise<void>;
}

/** Launches headless Chromium; fails with the package to install when the browser is missing. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(chromiumPath, constants.X_OK);
  } catch {
    throw new Error(
      `chromium not found at ${chromiumPath} (install the Debian package: apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] });
}

/** Opens a local file in a new page of its own context and waits for its `load` event. */
export async function openFile(
  browser: Browser,
  path: string,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<OpenedPage> {
  const url = pathToFileURL(path).href;
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const log: PageLog = { consoleErrors: [], pageErrors: [], requests: [], failedRequests: [], dialogs: [] };
  // Listeners go on before navigation so nothing the page does while loading is missed.
  page.on("console", (message) => {
    if (message.type() === "error") log.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => log.pageErrors.push(error.message));
  page.on("request", (request) => {
    if (request.url() !== url) log.requests.push(request.url());
  });
  page.on("requestfailed", (request) => {
    log.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? "unknown error"}`);
  });
  page.on("dialog", (dialog) => {
    log.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url, { waitUntil: "load" });
  return { page, log, close: () => context.close() };
}
