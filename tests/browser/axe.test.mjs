// axe-core finds no WCAG 2.0/2.1 level A or AA violation on any respondent page.
// One server for the whole file; each test uses its own invitation where it changes one.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { AxeAudit, andLoad, axeViolations, browserSession, heading, screenshotPath } from './support.mjs';

const PATIENT_PAGES_SV = [
  'Om dig som svarar',
  'Bemötande och delaktighet',
  'Information och samordning',
  'Tillgänglighet och trygghet',
  'Helhetsintryck',
];

describe('axe (WCAG 2.1 A and AA) finds no violations', () => {
  const session = browserSession();
  let server;
  let context;
  let page;
  const ready = async () => {
    ({ server, context, page } = await session.get());
  };

  after(() => session.close());

  test('the home page has no violations', async () => {
    await ready();
    const audit = new AxeAudit();
    const response = await page.goto(`${server.base}/`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'home page');
    audit.assertClean();
  });

  test('the code page has no violations, empty and after a wrong code', async () => {
    await ready();
    const audit = new AxeAudit();
    const response = await page.goto(server.codeUrl);
    assert.equal(response.status(), 200);
    await audit.check(page, 'code page, empty');

    await page.locator('#kod').fill('ZZZZZ-ZZZZZ');
    const wrong = await andLoad(page, () => page.getByRole('button', { name: 'Öppna enkäten' }).click());
    assert.equal(wrong.status(), 422);
    assert.equal(await page.locator('.error-summary').count(), 1, 'a wrong code shows the error summary');
    await audit.check(page, 'code page after a wrong code');
    audit.assertClean();
  });

  test('every page of the patient survey in Swedish, walked with Next, then the thank-you and already-answered pages, have no violations', async () => {
    await ready();
    const audit = new AxeAudit();
    const { link } = server.rounds.patient[0];
    let response = await page.goto(link);
    assert.equal(response.status(), 200);

    for (const [index, title] of PATIENT_PAGES_SV.entries()) {
      assert.equal(await heading(page), title, `page ${index + 1} of the walk`);
      assert.equal(
        (await page.locator('p.progress').nth(1).textContent()).trim(),
        // Page 1 decides whether the helper page is shown: no total until it is answered.
        index === 0 ? 'Del 1' : `Del ${index + 1} av ${PATIENT_PAGES_SV.length}`,
      );
      await audit.check(page, `patient survey, page ${index + 1} (${title})`);
      if (index === 0) {
        await page.getByRole('radio', { name: 'Jag är patienten och svarar själv' }).check();
      }
      if (index < PATIENT_PAGES_SV.length - 1) {
        response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
        assert.equal(response.status(), 200, `Next from page ${index + 1}`);
      }
    }

    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka svaren' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');
    await audit.check(page, 'thank-you page');

    // The link opened again after Send: the same kind thanks page, not an error.
    response = await page.goto(link);
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');
    await audit.check(page, 'the link opened again after Send');
    audit.assertClean();
  });

  test('the first page in English, the page with validation errors and the helper section have no violations', async () => {
    await ready();
    const audit = new AxeAudit();
    const { link } = server.rounds.patient[1];
    let response = await page.goto(`${link}?lang=en`);
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'About you');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await audit.check(page, 'patient survey, page 1 in English');

    response = await page.goto(link);
    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 422, 'page 1 without the required answer');
    assert.match(await page.title(), /^Fel: /);
    assert.match(await page.locator('.error-summary').textContent(), /Vem svarar på enkäten\?/);
    await audit.check(page, 'patient survey, page 1 with a validation error');
    await page.screenshot({ path: screenshotPath('survey-errors.png'), fullPage: true });

    await page.getByRole('radio', { name: 'Jag är patienten och får hjälp att svara' }).check();
    for (let position = 1; position < 6; position += 1) {
      response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
      assert.equal(response.status(), 200, `Next from page ${position}`);
    }
    assert.equal(await heading(page), 'Om hjälpen med enkäten');
    assert.equal((await page.locator('p.progress').nth(1).textContent()).trim(), 'Del 6 av 6');
    await audit.check(page, 'patient survey, helper section (med_hjalp)');
    audit.assertClean();
  });

  test('the not-found page has no violations', async () => {
    await ready();
    const audit = new AxeAudit();
    let response = await page.goto(`${server.base}/s/${'a'.repeat(32)}`);
    assert.equal(response.status(), 404);
    await audit.check(page, 'not-found page for an unknown link');
    response = await page.goto(`${server.base}/finns-inte`);
    assert.equal(response.status(), 404);
    await audit.check(page, 'not-found page for an unknown address');
    audit.assertClean();
  });

  test('the first page of the civil society survey has no violations', async () => {
    await ready();
    const audit = new AxeAudit();
    const response = await page.goto(server.rounds.civilsamhalle[0].link);
    assert.equal(response.status(), 200);
    await audit.check(page, 'civilsamhalle, page 1');
    audit.assertClean();
  });

  test('the first page of the indicator report and its page with parts larger than the total have no violations', async () => {
    await ready();
    const audit = new AxeAudit();
    let response = await page.goto(server.rounds.nyckeltal[0].link);
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Period och kommun');
    await audit.check(page, 'nyckeltal, page 1');

    await page.getByRole('textbox', { name: /Vilken månad gäller rapporten/ }).fill('2026-03');
    await page.getByRole('radio', { name: 'Ale', exact: true }).check();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Inskrivna patienter');

    await page.getByRole('textbox', { name: /Hur många patienter var inskrivna/ }).fill('10');
    await page.getByRole('textbox', { name: /Varav i hemsjukvård/ }).fill('20');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 422, 'a part larger than the total');
    assert.match(await page.locator('.error-summary').textContent(), /totalen/);
    await audit.check(page, 'nyckeltal, page 2 with a part larger than the total');
    await page.screenshot({ path: screenshotPath('nyckeltal-parts-error.png'), fullPage: true });

    await page.getByRole('textbox', { name: /Varav i hemsjukvård/ }).fill('6');
    await page.getByRole('textbox', { name: /Varav på särskilt boende/ }).fill('6');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 422, 'parts that together are more than the total');
    assert.match(await page.locator('.error-summary').textContent(), /Delarna blir tillsammans 12/);
    await audit.check(page, 'nyckeltal, page 2 with parts that add up to more than the total');
    audit.assertClean();
  });

  test('axe itself reports violations on a page that is broken on purpose, so a clean result means something', async () => {
    await ready();
    await page.goto(`${server.base}/`);
    await page.evaluate(() => {
      document.documentElement.removeAttribute('lang');
      const input = document.createElement('input');
      input.type = 'text';
      document.querySelector('main').append(input);
    });
    const violations = await axeViolations(page);
    const rules = violations.map((v) => v.id);
    assert.ok(rules.includes('html-has-lang'), `expected html-has-lang among ${JSON.stringify(rules)}`);
    assert.ok(rules.includes('label'), `expected label among ${JSON.stringify(rules)}`);
  });

  test('the browser sent no request outside 127.0.0.1', async () => {
    await ready();
    assert.deepEqual(context.blockedRequests, []);
  });
});
