/**
 * Shared by the console tests: a real headless Chromium driven by puppeteer-core (Debian's
 * `chromium` package: puppeteer's own browser download cannot work here), screenshots saved under
 * the gitignored `test-artifacts/console/`, and the stack the console runs on — a real nats-server,
 * a workspace node, a supervisor and a gateway listening on a free port.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');
export const OPERATOR_TOKEN = 'console-operator-token-for-tests-0123456789';

/** `MOE_CHROMIUM`, else the first of chromium / chromium-browser / google-chrome on PATH. */
export function chromiumPath(): string {
  const given = process.env.MOE_CHROMIUM;
  if (given) {
    if (!existsSync(given)) throw new Error(`MOE_CHROMIUM=${given} does not exist`);
    return given;
  }
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not on PATH: try the next name
    }
  }
  throw new Error(
    'the console browser tests need Chromium: none found on PATH (chromium, chromium-browser, google-chrome). ' +
      'Install it with scripts/setup.sh (apt-get install chromium) or point MOE_CHROMIUM at a Chromium binary.',
  );
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    defaultViewport: { width: 1366, height: 900 },
  });
}

/** Saves a full-page screenshot as test-artifacts/console/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

type HasText = { readonly textContent: string | null };

/** The text of every element matching `selector`. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els: unknown[]) => els.map((e) => (e as HasText).textContent ?? ''));
}

/** The text of the first element matching `selector` (throws when there is none). */
export async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e: unknown) => (e as HasText).textContent ?? '');
}

type Doc = { querySelector(s: string): { click(): void } | null };

/**
 * Clicks the element matching `selector` inside the page, finding and clicking it in one task of
 * the page: the live view replaces a table when it changes, and a handle found in one call
 * (`page.$eval` is two: find, then evaluate) may be detached by the time it is clicked — a click
 * on a detached row reaches no listener of the document and is lost.
 */
export async function clickIn(page: Page, selector: string, timeout = 30_000): Promise<void> {
  for (;;) {
    await page.waitForSelector(selector, { timeout });
    const clicked = await page.evaluate((sel: string) => {
      const e = (globalThis as unknown as { document: Doc }).document.querySelector(sel);
      e?.click();
      return e !== null;
    }, selector);
    if (clicked) break; // else it went between the two calls: wait for it again
  }
  logs.get(page)?.note(`clickIn ${selector}`);
}

/**
 * A user's click on the element matching `selector` whose press lasts across a live update: the
 * mouse goes down on it, stays down until the page has rendered an update (`#status` shows the
 * time of the last one), and comes up at the same place.
 */
export async function clickAcrossUpdate(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.evaluate((sel: string) => {
    const d = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
    (d.querySelector(sel) as { scrollIntoView(o: object): void } | null)?.scrollIntoView({ block: 'center' });
  }, selector);
  const box = await (await page.$(selector))?.boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const before = await textOf(page, '#status');
  await page.mouse.down();
  logs.get(page)?.note(`mouse down on ${selector} (status ${before})`);
  await page.waitForFunction(
    (was: string) =>
      (
        globalThis as unknown as { document: { getElementById(id: string): HasText | null } }
      ).document.getElementById('status')?.textContent !== was,
    { timeout: 30_000 },
    before,
  );
  await page.mouse.up();
  logs.get(page)?.note(`mouse up after status ${await textOf(page, '#status')}`);
}

type PageLog = { readonly lines: string[]; note(line: string): void };
const logs = new WeakMap<Page, PageLog>();

/**
 * Records what the page says and what goes wrong in it: console messages, uncaught errors, each
 * click the document sees, each console API call but the live stream (request, status or
 * failure) and each `clickIn`, in milliseconds from `watch`. `waitIn` prints it when a wait times
 * out, so a failure in CI shows why. Call it before the page loads the console.
 */
export async function watch(page: Page): Promise<void> {
  const t0 = Date.now();
  const lines: string[] = [];
  const note = (line: string) => void lines.push(`+${Date.now() - t0} ms ${line}`);
  logs.set(page, { lines, note });
  const api = (url: string) => url.includes('/console/api/') && !url.includes('/console/api/events');
  page.on('console', (m) => note(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => note(`pageerror: ${String(err)}`));
  page.on('request', (r) => (api(r.url()) ? note(`-> ${r.method()} ${r.url()}`) : undefined));
  page.on('response', (r) => (api(r.url()) ? note(`<- ${r.status()} ${r.url()}`) : undefined));
  page.on('requestfailed', (r) => note(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
  page.on('framenavigated', (f) => (f === page.mainFrame() ? note(`navigated to ${f.url()}`) : undefined));
  await page.evaluateOnNewDocument(() => {
    type El = { tagName: string; outerHTML: string; closest(s: string): El | null };
    const doc = (
      globalThis as unknown as {
        document: { addEventListener(t: string, f: (e: { target: El }) => void, c: boolean): void };
      }
    ).document;
    doc.addEventListener(
      'click',
      (e) =>
        console.log(
          `document saw a click on ${(e.target.closest('tr') ?? e.target).outerHTML.slice(0, 120)}`,
        ),
      true,
    );
  });
}

/**
 * `page.waitForSelector(selector)`; when it times out, the error also carries what `#detail`,
 * `#problem` and `#status` hold and what `watch` recorded of the page.
 */
export async function waitIn(page: Page, selector: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout });
  } catch (err) {
    const html = async (sel: string) =>
      page
        .$eval(sel, (e: unknown) => (e as { innerHTML: string }).innerHTML)
        .catch((e: unknown) => `(${String(e)})`);
    const log = logs.get(page)?.lines ?? ['(page not watched)'];
    throw new Error(
      `${String(err)}\n#detail: ${await html('#detail')}\n#problem: ${await html('#problem')}\n` +
        `#status: ${await html('#status')}\npage log:\n  ${log.join('\n  ')}`,
      { cause: err },
    );
  }
}
