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

/**
 * Clicks the element matching `selector` inside the page, in one step: the live view re-renders
 * its tables on every update, so a handle found first may be detached by the time it is clicked.
 */
export async function clickIn(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.$eval(selector, (e: unknown) => (e as { click(): void }).click());
}
