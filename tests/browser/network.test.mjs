// The network area (/admin/natverk): axe-core finds no WCAG 2.1 A/AA violation on the
// network's pages (sends, the send form with and without an error, a send's status, the
// answers, the upload form with the loader's errors) nor on a municipality's (its rounds
// from the network, the mapping link shown once, the report form with and without an error).

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { AxeAudit, andLoad, browserSession, heading } from './support.mjs';

async function signIn(page, server, organisation) {
  await page.goto(`${server.base}/admin/logga-in`);
  await page.locator('#key').fill(server.keys[organisation]);
  const response = await andLoad(page, () => page.getByRole('button', { name: 'Logga in' }).click());
  assert.equal(response.status(), 200);
}

describe('the network area: axe (WCAG 2.1 A and AA) finds no violations', () => {
  const session = browserSession();
  after(() => session.close());

  test('the network sends a mapping and a report; a municipality makes its link and fills in its report', async () => {
    const { server, page } = await session.get();
    const audit = new AxeAudit();

    await signIn(page, server, 'gr');
    let response = await page.goto(`${server.base}/admin/natverk`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'sends, none yet');

    response = await page.goto(`${server.base}/admin/natverk/skicka`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'send form');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka' }).click());
    assert.equal(response.status(), 422);
    await audit.check(page, 'send form after an error');
    await page.locator('#kind-mapping').check();
    await page.locator('#questionnaire').selectOption('civilsamhalle:1');
    await page.locator('#name').fill('Kartläggning 2026');
    await page.locator('#start').fill('2026-03-01');
    await page.locator('#end').fill('2026-05-31');
    for (const name of ['Ale kommun', 'Lerums kommun', 'Tjörns kommun']) {
      await page.getByLabel(name, { exact: true }).check();
    }
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Kartläggning 2026');
    await audit.check(page, 'a send, status per municipality');
    response = await andLoad(page, () => page.getByRole('link', { name: 'Läs alla svar' }).click());
    assert.equal(response.status(), 200);
    await audit.check(page, 'answers, none yet');

    await page.goto(`${server.base}/admin/natverk/skicka`);
    await page.locator('#kind-report').check();
    await page.locator('#questionnaire').selectOption('nyckeltal:1');
    await page.locator('#name').fill('Nyckeltal mars');
    await page.locator('#start').fill('2026-03-01');
    await page.locator('#end').fill('2026-03-31');
    await page.getByLabel('Ale kommun', { exact: true }).check();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka' }).click());
    assert.equal(response.status(), 200);

    response = await page.goto(`${server.base}/admin/natverk/enkater`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'upload form');
    await page.locator('#definition').fill('id = "egen"\nversion = 1\n');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Kontrollera och publicera' }).click());
    assert.equal(response.status(), 422);
    await audit.check(page, 'upload form with the loader’s errors');

    await signIn(page, server, 'ale');
    response = await page.goto(`${server.base}/admin/natverk`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'a municipality’s rounds from the network');
    response = await andLoad(page, () => page.getByRole('link', { name: 'Kartläggning 2026' }).click());
    assert.equal(response.status(), 200);
    await audit.check(page, 'a mapping round, no link yet');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa länken' }).click());
    assert.equal(response.status(), 200);
    assert.match(await page.locator('#link').inputValue(), /\/m\/[0-9a-z]+$/);
    await audit.check(page, 'the link, shown once');

    await page.goto(`${server.base}/admin/natverk`);
    response = await andLoad(page, () => page.getByRole('link', { name: 'Nyckeltal mars' }).click());
    assert.equal(response.status(), 200);
    await audit.check(page, 'the report form');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka rapporten' }).click());
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary').count(), 1);
    await audit.check(page, 'the report form after an error');
    audit.assertClean();
  });
});
