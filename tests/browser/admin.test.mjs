// The workspace's pages (/admin): axe-core finds no WCAG 2.1 A/AA violation on any of
// them, and a municipality can sign in, create a round and open it with the keyboard
// alone (Tab, typing, arrow keys, Enter; no click, fill or select on the pages).

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { AxeAudit, andLoad, browserSession, heading, screenshotPath } from './support.mjs';

/** What has focus, enough to tell elements apart. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: el.getAttribute('name'),
      href: el.getAttribute('href'),
      text: el.textContent.trim(),
      value: 'value' in el ? el.value : null,
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth),
    };
  });
}

const describeFocus = (f) => (f ? `<${f.tag} id="${f.id}" name="${f.name}" href="${f.href}"> "${f.text.slice(0, 40)}"` : 'nothing');

/** Presses Tab until the focused element satisfies `wanted`. */
async function tabTo(page, wanted, what, max = 40) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f && wanted(f)) {
      assert.notEqual(f.outlineStyle, 'none', `${what} shows no focus outline`);
      assert.ok(f.outlineWidth > 0, `${what} has a zero-width focus outline`);
      return f;
    }
    seen.push(describeFocus(f));
  }
  throw new Error(`${what} was not reached with Tab in ${max} presses; focus went through:\n  ${seen.join('\n  ')}`);
}

async function signIn(page, server, organisation) {
  await page.goto(`${server.base}/admin/logga-in`);
  await page.locator('#key').fill(server.keys[organisation]);
  const response = await andLoad(page, () => page.getByRole('button', { name: 'Logga in' }).click());
  assert.equal(response.status(), 200);
}

describe('the workspace: axe (WCAG 2.1 A and AA) finds no violations', () => {
  const session = browserSession();
  after(() => session.close());

  test('sign-in, overview, keys, rounds (list, new, detail) and the audit trail have no violations', async () => {
    const { server, page } = await session.get();
    const audit = new AxeAudit();

    let response = await page.goto(`${server.base}/admin/logga-in`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'sign-in');
    await page.locator('#key').fill('svar_00000000000000000000000000000000');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Logga in' }).click());
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary').count(), 1);
    await audit.check(page, 'sign-in after a wrong key');

    await signIn(page, server, 'ale');
    assert.equal(await heading(page), 'Ale kommun');
    await audit.check(page, 'overview, no rounds');

    response = await page.goto(`${server.base}/admin/nycklar`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'keys');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa nyckeln' }).click());
    assert.equal(response.status(), 422, 'an empty label');
    await audit.check(page, 'keys after an empty label');
    await page.locator('#label').fill('Anna, enhetschef');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa nyckeln' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Nyckeln är skapad');
    await audit.check(page, 'a new key, shown once');

    response = await page.goto(`${server.base}/admin/omgangar/ny`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'new round, empty');
    await page.locator('#name').fill('Hemsjukvården våren');
    await page.locator('#start').fill('2026-03-31');
    await page.locator('#end').fill('2026-03-01');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa omgången' }).click());
    assert.equal(response.status(), 422);
    await audit.check(page, 'new round after an error');
    await page.locator('#questionnaire').selectOption('patientupplevelse:1');
    await page.locator('#start').fill('2026-03-01');
    await page.locator('#end').fill('2026-03-31');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa omgången' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Hemsjukvården våren');
    await audit.check(page, 'round detail, planned');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Öppna omgången' }).click());
    assert.equal(response.status(), 200);
    await audit.check(page, 'round detail, open');

    response = await page.goto(`${server.base}/admin/omgangar`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'rounds list');
    response = await page.goto(`${server.base}/admin`);
    await audit.check(page, 'overview with a round');
    response = await page.goto(`${server.base}/admin/logg`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'audit trail');
    await page.screenshot({ path: screenshotPath('admin-audit.png'), fullPage: true });

    await signIn(page, server, 'gr');
    await audit.check(page, 'overview of the network');
    audit.assertClean();
  });
});

describe('the workspace by keyboard only', () => {
  const session = browserSession();
  after(() => session.close());

  test('sign in, create a round and open it, with the keyboard alone', async () => {
    const { server, page } = await session.get();
    await page.goto(`${server.base}/admin/logga-in`);

    // The skip link comes first, then the key field.
    let f = await tabTo(page, (x) => x.tag === 'a' && x.href === '#main', 'the skip link');
    f = await tabTo(page, (x) => x.id === 'key', 'the key field');
    await page.keyboard.type(server.keys.kungsbacka);
    let response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Kungsbacka kommun');

    await tabTo(page, (x) => x.tag === 'a' && x.href === '/admin/omgangar/ny', 'the link to a new round');
    response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Ny omgång');

    await tabTo(page, (x) => x.id === 'questionnaire', 'the questionnaire list');
    await page.keyboard.press('ArrowDown');
    f = await focused(page);
    assert.equal(f.value, 'patientupplevelse:1', 'the arrow key chose the questionnaire');
    await tabTo(page, (x) => x.id === 'name', 'the name field');
    await page.keyboard.type('Korttidsboende hösten');
    await tabTo(page, (x) => x.id === 'start', 'the start date');
    await page.keyboard.type('2026-09-01');
    await tabTo(page, (x) => x.id === 'end', 'the end date');
    await page.keyboard.type('2026-11-30');
    await tabTo(page, (x) => x.id === 'unit', 'the unit field');
    await page.keyboard.type('Korttidsboende');
    await tabTo(page, (x) => x.tag === 'button' && x.text === 'Skapa omgången', 'the create button');
    response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Korttidsboende hösten');
    assert.match(await page.locator('main').textContent(), /Planerad/);

    await tabTo(page, (x) => x.tag === 'button' && x.text === 'Öppna omgången', 'the open button');
    response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 200);
    assert.match(await page.locator('main').textContent(), /Öppen/);
    assert.match(await page.locator('main').textContent(), /2026-09-01 till 2026-11-30/);
  });
});

describe('the workspace with large text on a narrow screen', () => {
  // As in large-text.test.mjs: bypassCSP lets the injected style stand in for the
  // reader's own text size.
  const session = browserSession({ viewport: { width: 320, height: 640 }, deviceScaleFactor: 2, bypassCSP: true });
  after(() => session.close());

  test('at 320 px wide with 200 % text no workspace page scrolls sideways (tables scroll in their own box)', async () => {
    const { server, page } = await session.get();
    const measure = async () => {
      await page.addStyleTag({ content: 'html { font-size: 200% !important; }' });
      return page.evaluate(() => {
        const root = document.scrollingElement;
        const wide = [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && !el.closest('.table-scroll'))
          .slice(0, 8)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`);
        return {
          scrollWidth: root.scrollWidth,
          clientWidth: root.clientWidth,
          fontSize: getComputedStyle(document.documentElement).fontSize,
          wide,
        };
      });
    };
    const check = async (what) => {
      const m = await measure();
      assert.equal(m.fontSize, '32px', `${what}: the text is not at 200 %`);
      assert.ok(m.scrollWidth <= m.clientWidth + 1, `${what} scrolls sideways: ${m.scrollWidth} > ${m.clientWidth}; too wide:\n  ${m.wide.join('\n  ')}`);
    };
    await page.goto(`${server.base}/admin/logga-in`);
    await check('sign-in');
    await signIn(page, server, 'lerum');
    await page.goto(`${server.base}/admin/omgangar/ny`);
    await page.locator('#questionnaire').selectOption('patientupplevelse:1');
    await page.locator('#name').fill('Hemsjukvården, en omgång med ett långt namn som bryts');
    await page.locator('#start').fill('2026-03-01');
    await page.locator('#end').fill('2026-03-31');
    await andLoad(page, () => page.getByRole('button', { name: 'Skapa omgången' }).click());
    await check('round detail');
    for (const [path, what] of [
      ['/admin', 'overview'],
      ['/admin/omgangar', 'rounds list'],
      ['/admin/omgangar/ny', 'new round'],
      ['/admin/nycklar', 'keys'],
      ['/admin/logg', 'audit trail'],
      ['/admin/exporter', 'exports'],
    ]) {
      await page.goto(`${server.base}${path}`);
      await check(what);
    }
    // The network's comparison, with its tables.
    await page.context().clearCookies();
    await signIn(page, server, 'gr');
    const year = new Date().getUTCFullYear();
    await page.goto(`${server.base}/admin/jamforelse?questionnaire=patientupplevelse&from=${year}-01-01&to=${year}-12-31&k=3`);
    assert.ok((await page.locator('table').count()) > 0, 'the comparison shows tables');
    await check('comparison');
    await page.screenshot({ path: screenshotPath('admin-rounds-320px-200pct.png'), fullPage: true });
  });
});
