// Shared helpers for the browser tests: start the local server, start Debian's
// Chromium, keep all traffic on 127.0.0.1, run axe and report what it found.
//
// Nothing here skips a test: a missing binary, a server that does not print its links
// or a browser that does not start is an error, and the test that needed it fails.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { AxeBuilder } from '@axe-core/playwright';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');

const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
  : path.join(REPO_ROOT, 'target');
export const SERVER_BIN = process.env.SVAR_LOCAL_BIN ?? path.join(targetDir, 'debug', 'svar-local');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'browser-screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The demo rounds the server prints, by the heading it prints them under. */
const ROUND_HEADINGS = {
  patient: /^Patientenkät/,
  civilsamhalle: /^Kartläggning civilsamhälle/,
  nyckeltal: /^Nyckeltal/,
};

const SERVER_START_TIMEOUT_MS = 30_000;

/**
 * Starts `svar-local` on a free port of 127.0.0.1 with a fresh data folder and waits
 * for it to print its links. Resolves to
 * `{ base, codeUrl, rounds: { patient: [{ link, code }], civilsamhalle, nyckeltal },
 *   keys: { ale: 'svar_...', gr: ..., ... }, stop() }`.
 */
export async function startServer() {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(
      `The server binary ${SERVER_BIN} does not exist: build it with "cargo build -p svar-local" ` +
        '(bash tests/browser/run.sh does).',
    );
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'svar-browser-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SVAR_')));
  Object.assign(env, {
    SVAR_ADDR: '127.0.0.1:0',
    SVAR_DATA_DIR: dataDir,
    SVAR_STORE: 'embedded',
    RUST_LOG: 'warn',
  });
  const child = spawn(SERVER_BIN, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const printed = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`svar-local printed no "Svara med kod" line within ${SERVER_START_TIMEOUT_MS} ms`)),
      SERVER_START_TIMEOUT_MS,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`svar-local could not be started: ${error.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`svar-local exited early (code ${code}, signal ${signal})`));
    });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (/^Svara med kod: \S+/m.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });

  try {
    await printed;
    const server = parseServerOutput(stdout);
    server.stop = stop;
    return server;
  } catch (error) {
    await stop();
    throw new Error(
      `The Svar server did not start: ${error.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
    );
  }
}

/** Reads the base address, the code page and the demo links with their codes. */
export function parseServerOutput(stdout) {
  const base = /^Svar körs på (http:\/\/127\.0\.0\.1:\d+)/m.exec(stdout)?.[1];
  const codeUrl = /^Svara med kod: (\S+)/m.exec(stdout)?.[1];
  if (!base || !codeUrl) {
    throw new Error('could not find "Svar körs på http://127.0.0.1:PORT" and "Svara med kod: URL" in the output');
  }
  const rounds = Object.fromEntries(Object.keys(ROUND_HEADINGS).map((key) => [key, []]));
  // The workspace's demo keys, one per organisation: `  ale          svar_...`.
  const keys = {};
  let current = null;
  for (const line of stdout.split('\n')) {
    const key = /^\s+([a-z][a-z_]*)\s+(svar_[0-9a-z]{32})\s*$/.exec(line);
    if (key) {
      keys[key[1]] = key[2];
      continue;
    }
    const heading = /^(\S.*):\s*$/.exec(line);
    if (heading) {
      current = Object.keys(ROUND_HEADINGS).find((key) => ROUND_HEADINGS[key].test(heading[1])) ?? null;
      continue;
    }
    const invitation = /^\s+Länk: (\S+)\s+Kod: (\S+)/.exec(line);
    if (invitation && current) {
      const [, link, code] = invitation;
      if (!link.startsWith(`${base}/s/`)) {
        throw new Error(`a printed link is not on ${base}: ${link}`);
      }
      rounds[current].push({ link, code });
    }
  }
  const expected = { patient: 3, civilsamhalle: 1, nyckeltal: 1 };
  for (const [key, count] of Object.entries(expected)) {
    if (rounds[key].length < count) {
      throw new Error(`expected ${count} printed link(s) for ${key}, found ${rounds[key].length}`);
    }
  }
  if (Object.keys(keys).length !== 14) {
    throw new Error(`expected 14 printed workspace keys, found ${Object.keys(keys).length}`);
  }
  return { base, codeUrl, rounds, keys };
}

/** Starts Debian's Chromium headless. Never downloads a browser. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install Debian's package "chromium" ` +
        '(bash tests/browser/run.sh does). No browser is ever downloaded.',
    );
  }
  try {
    return await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (error) {
    throw new Error(`Chromium at ${CHROMIUM} could not be started: ${error.message}`);
  }
}

/**
 * A new browser context whose requests may only go to 127.0.0.1: anything else is
 * aborted and remembered in `context.blockedRequests`.
 */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  context.blockedRequests = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'about:') {
      return route.continue();
    }
    context.blockedRequests.push(url.href);
    return route.abort();
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

/** Runs axe with the WCAG 2.0/2.1 A and AA tags and returns the violations. */
export async function axeViolations(page) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return results.violations;
}

/** Violations as readable text: rule, impact, help, and per element its target and summary. */
export function formatViolations(violations) {
  return violations
    .map((violation) => {
      const nodes = violation.nodes
        .map((node) => `    target: ${JSON.stringify(node.target)}\n      ${(node.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  [${violation.id}] (${violation.impact}) ${violation.help}\n    ${violation.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/**
 * Collects axe results for several pages; `assertClean()` fails once, listing every
 * violation of every page.
 */
export class AxeAudit {
  constructor() {
    this.found = [];
    this.checked = [];
  }

  async check(page, label) {
    const violations = await axeViolations(page);
    this.checked.push(label);
    if (violations.length > 0) {
      this.found.push({ label, url: page.url(), violations });
      console.log(`axe violations on ${label} (${page.url()}):\n${formatViolations(violations)}`);
    }
    return violations;
  }

  assertClean() {
    if (this.found.length === 0) return;
    const text = this.found
      .map(({ label, url, violations }) => `${label} (${url}): ${violations.length} rule(s) violated\n${formatViolations(violations)}`)
      .join('\n\n');
    throw new Error(`axe found WCAG 2.1 A/AA violations:\n\n${text}`);
  }
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, name);
}

/** The text of the page's only h1. */
export async function heading(page) {
  return (await page.locator('h1').first().textContent())?.trim();
}

/**
 * Runs `action` (a click or key press that posts a form or follows a link) and waits
 * for the new document to load. Returns the response of that document.
 */
export async function andLoad(page, action) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  return response;
}

/**
 * One server and one browser page for a test file, started by the first test that asks
 * (`await session.get()`) and shared by the rest. If either cannot start, every test
 * that asks fails with the reason: a failing `before` hook would only mark the tests
 * as cancelled.
 */
export function browserSession(contextOptions = {}) {
  let started = null;
  const start = async () => {
    const server = await startServer();
    let browser = null;
    try {
      browser = await launchBrowser();
      const context = await newContext(browser, contextOptions);
      const page = await context.newPage();
      return { server, browser, context, page };
    } catch (error) {
      await browser?.close();
      await server.stop();
      throw error;
    }
  };
  return {
    get() {
      started ??= start();
      return started;
    },
    async close() {
      if (!started) return;
      const running = await started.catch(() => null);
      if (running) {
        await running.browser.close();
        await running.server.stop();
      }
    },
  };
}
