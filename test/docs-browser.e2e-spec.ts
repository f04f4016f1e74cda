import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { KEY_A, startTestApp, TestApp } from './support/test-app';

/** Debian's chromium (.ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Headless, and quiet: the machine may have no network, and Chromium's background services would only fail. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

describe('the docs page in a real browser (headless Chromium)', () => {
  let t: TestApp & { url?: string };
  let browser: Browser;
  let page: Page;
  let profile: string;
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--user-data-dir=${profile}`] });
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().includes('/v1/threads')) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  it('renders the operations of both dialects, and "Try it out" creates a thread with a key, without a console error', async () => {
    const response = await page.goto(`${t.url}/docs?anything`, { waitUntil: 'networkidle0' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock');
    const paths = await page.$$eval('.opblock-summary-path', (elements) => elements.map((element) => element.getAttribute('data-path')));
    expect(paths).toEqual(
      expect.arrayContaining(['/v1/threads', '/v1/threads/{thread_id}/messages', '/openai/threads', '/openai/threads/{thread_id}/messages']),
    );
    const tags = await page.$$eval('.opblock-tag', (elements) => elements.map((element) => element.getAttribute('data-tag')));
    expect(tags).toEqual(expect.arrayContaining(['OpenAI dialect', 'Azure OpenAI dialect']));

    // Authorize with the bearer key.
    await page.click('.btn.authorize');
    await page.waitForSelector('input[aria-label="auth-bearer-value"]');
    await page.type('input[aria-label="auth-bearer-value"]', KEY_A);
    await page.$eval('input[aria-label="auth-bearer-value"]', (input) => (input.closest('form') as unknown as { requestSubmit(): void }).requestSubmit());
    await page.waitForSelector('.auth-container .btn-done');
    await page.click('.auth-container .btn-done');

    // Create thread (OpenAI dialect): try it out with an empty object, execute.
    const id = await page.$$eval(
      '.opblock.opblock-post',
      (blocks) => blocks.find((block) => block.querySelector('.opblock-summary-path')?.getAttribute('data-path') === '/v1/threads')?.id,
    );
    expect(id).toMatch(/^operations-OpenAI_dialect-/);
    const operation = `[id="${id}"]`;
    await page.waitForSelector(`${operation} .opblock-summary-control`);
    await page.click(`${operation} .opblock-summary-control`);
    await page.waitForSelector(`${operation} .try-out__btn`);
    await page.click(`${operation} .try-out__btn`);
    await page.waitForSelector(`${operation} textarea.body-param__text`);
    await page.$eval(`${operation} textarea.body-param__text`, (area) => {
      // React's own value setter, so that Swagger UI sees the edit.
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(area), 'value')?.set;
      setter?.call(area, '{"metadata":{"from":"docs"}}');
      area.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.click(`${operation} .execute`);
    await page.waitForSelector(`${operation} .live-responses-table .response .response-col_status`);
    const status = await page.$eval(`${operation} .live-responses-table .response .response-col_status`, (cell) => cell.textContent?.trim());
    expect(status).toBe('200');
    const body = await page.$eval(
      `${operation} .live-responses-table .response .microlight, ${operation} .live-responses-table .response pre`,
      (pre) => pre.textContent ?? '',
    );
    expect(JSON.parse(body)).toMatchObject({ object: 'thread', metadata: { from: 'docs' } });
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM threads WHERE metadata->>'from' = 'docs'`);
    expect(rows[0].n).toBe(1);

    expect(problems).toEqual([]);
  });
});
