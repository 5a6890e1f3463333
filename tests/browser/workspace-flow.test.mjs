// Issue #14's "Done when", end to end through the pages only: a municipality signs in
// with its printed key, creates and opens a round, generates 100 invitations, opens the
// first part of the letters (screenshot and PDF), two patients answer, the rate page says
// 2,0 %, reminders give 98 letters; then the network sends the mapping to three
// municipalities and the report to all, a municipality's staff answers the mapping once
// through its multi-use link, and the network's overview shows the new status. axe
// (WCAG 2.1 A and AA) checks every workspace page the flow passes.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, describe, test } from 'node:test';

import { AxeAudit, andLoad, browserSession, heading, newContext, screenshotPath } from './support.mjs';

async function signIn(page, server, organisation) {
  await page.goto(`${server.base}/admin/logga-in`);
  await page.locator('#key').fill(server.keys[organisation]);
  const response = await andLoad(page, () => page.getByRole('button', { name: 'Logga in' }).click());
  assert.equal(response.status(), 200, `signing in as ${organisation}`);
}

/** `YYYY-MM-DD` of today plus `days`, as the date fields take it. */
function isoDay(days) {
  const day = new Date(Date.now() + days * 86_400_000);
  return day.toISOString().slice(0, 10);
}

/** The survey links of a batch's CSV file (the columns: number, link, code). */
function linksOfCsv(text) {
  return [...text.matchAll(/https?:\/\/[^\s,;"]+\/s\/[0-9A-Za-z_-]+/g)].map((match) => match[0]);
}

/** A patient answers the patient questionnaire through a link, in a browser of their own. */
async function answerAsPatient(browser, link) {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    let response = await page.goto(link);
    assert.equal(response.status(), 200, `the patient opens ${link}`);
    await page.getByRole('radio', { name: 'Jag är patienten och svarar själv' }).check();
    for (let pages = 0; (await page.getByRole('button', { name: 'Nästa' }).count()) > 0; pages += 1) {
      assert.ok(pages < 20, 'the survey ends within 20 pages');
      response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
      assert.equal(response.status(), 200, `Next from "${await heading(page)}"`);
    }
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka svaren' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');
    assert.deepEqual(context.blockedRequests, []);
  } finally {
    await context.close();
  }
}

/** A staff member answers the mapping through the municipality's multi-use link. */
async function answerMapping(browser, link) {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    let response = await page.goto(link);
    assert.equal(response.status(), 200, 'the mapping link opens a form of their own');
    await page.getByRole('radio', { name: 'Ale', exact: true }).check();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 200);
    for (const textarea of await page.locator('textarea').all()) {
      await textarea.fill('Idrottsföreningar och pensionärsföreningar.');
    }
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka svaren' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');
  } finally {
    await context.close();
  }
}

/** The send form, filled in and sent; the send's status page is shown. */
async function send(page, server, { kind, questionnaire, name, municipalities }) {
  let response = await page.goto(`${server.base}/admin/natverk/skicka`);
  assert.equal(response.status(), 200);
  await page.locator(`#kind-${kind}`).check();
  await page.locator('#questionnaire').selectOption(questionnaire);
  await page.locator('#name').fill(name);
  await page.locator('#start').fill(isoDay(0));
  await page.locator('#end').fill(isoDay(60));
  if (municipalities === 'all') {
    for (const box of await page.locator('input[name="municipalities"]').all()) {
      await box.check();
    }
  } else {
    for (const label of municipalities) {
      await page.getByLabel(label, { exact: true }).check();
    }
  }
  response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka' }).click());
  assert.equal(response.status(), 200, `sending ${name}`);
  assert.equal(await heading(page), name);
}

/** The status cell of `municipality`'s row on a send's status page. */
async function statusOf(page, municipality) {
  const row = page.locator('tr').filter({ has: page.getByRole('rowheader', { name: municipality, exact: true }) });
  return (await row.locator('td').nth(0).textContent()).trim();
}

describe('issue #14 end to end: a municipality and the network through the pages', () => {
  const session = browserSession({ acceptDownloads: true });
  after(() => session.close());

  test('round, 100 invitations, letters, two answers, 2,0 %, 98 reminders; mapping and report sent, mapping answered', async () => {
    const { server, browser, page } = await session.get();
    const audit = new AxeAudit();

    // A municipality signs in with the key the server printed.
    let response = await page.goto(`${server.base}/admin/logga-in`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'sign-in');
    await signIn(page, server, 'kungalv');
    await audit.check(page, 'overview');

    // A round, created and opened.
    response = await page.goto(`${server.base}/admin/omgangar/ny`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'new round');
    await page.locator('#questionnaire').selectOption('patientupplevelse:1');
    await page.locator('#name').fill('Hemsjukvården');
    await page.locator('#start').fill(isoDay(0));
    await page.locator('#end').fill(isoDay(30));
    await page.locator('#unit').fill('Hemsjukvård');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa omgången' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Hemsjukvården');
    await audit.check(page, 'round, planned');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Öppna omgången' }).click());
    assert.equal(response.status(), 200);
    await audit.check(page, 'round, open');
    const roundUrl = page.url();

    // 100 invitations.
    response = await andLoad(page, () => page.getByRole('link', { name: 'Inbjudningar och brev' }).click());
    assert.equal(response.status(), 200);
    await audit.check(page, 'invitations, none yet');
    await page.locator('#antal').fill('100');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa inbjudningar' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), '100 inbjudningar skapade');
    await audit.check(page, 'invitations made, downloads');

    // The CSV: the links to answer with (the page stays).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Ladda ner CSV-fil' }).click(),
    ]);
    const links = linksOfCsv(await readFile(await download.path(), 'utf8'));
    assert.equal(links.length, 100, 'one link per invitation in the CSV');
    assert.equal(new Set(links).size, 100, 'every link differs');
    for (const link of links) assert.ok(link.startsWith(`${server.base}/s/`), `${link} is on the server`);

    // The letters, first part: a page per letter; a screenshot and a PDF.
    response = await andLoad(page, () => page.getByRole('button', { name: 'Brev 1–100' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('article.letter').count(), 100);
    assert.equal((await page.locator('article.letter .link').first().textContent()).trim(), links[0]);
    await audit.check(page, 'letters, part 1');
    await page.screenshot({ path: screenshotPath('letters.png'), fullPage: true });
    const pdf = await page.pdf({ path: screenshotPath('letters.pdf'), format: 'A4', printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');

    // Two patients answer.
    await answerAsPatient(browser, links[0]);
    await answerAsPatient(browser, links[57]);

    // The rate: 2 of 100.
    response = await page.goto(roundUrl);
    assert.equal(response.status(), 200);
    response = await andLoad(page, () => page.getByRole('link', { name: 'Svarsfrekvens' }).click());
    assert.equal(response.status(), 200);
    const rateText = await page.locator('main').textContent();
    assert.ok(rateText.includes('2,0\u00a0%'), `the rate page says 2,0 %:\n${rateText}`);
    await audit.check(page, 'response rate');

    // Reminders for the 98 who have not answered.
    response = await page.goto(`${roundUrl}/inbjudningar`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'invitations, one batch');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skriv ut påminnelser (98 st)' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), '98 påminnelser skapade');
    await audit.check(page, 'reminders made, downloads');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Brev 1–98' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('article.letter').count(), 98, '98 reminder letters');
    await audit.check(page, 'reminder letters');

    // The network: the mapping to three municipalities, the report to all thirteen.
    await signIn(page, server, 'gr');
    await send(page, server, {
      kind: 'mapping',
      questionnaire: 'civilsamhalle:1',
      name: 'Kartläggning civilsamhället',
      municipalities: ['Ale kommun', 'Lerums kommun', 'Tjörns kommun'],
    });
    await audit.check(page, 'mapping sent, status per municipality');
    const mappingUrl = page.url();
    assert.equal(await page.locator('tbody tr').count(), 3);
    assert.equal(await statusOf(page, 'Ale kommun'), 'Inte påbörjad');
    await send(page, server, { kind: 'report', questionnaire: 'nyckeltal:1', name: 'Nyckeltal', municipalities: 'all' });
    assert.equal(await page.locator('tbody tr').count(), 13);
    await audit.check(page, 'report sent to all');
    response = await page.goto(`${server.base}/admin/natverk`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'the network’s sends');

    // Ale makes its multi-use link; one staff member answers through it.
    await signIn(page, server, 'ale');
    response = await page.goto(`${server.base}/admin/natverk`);
    assert.equal(response.status(), 200);
    await audit.check(page, 'Ale: from the network');
    response = await andLoad(page, () => page.getByRole('link', { name: 'Kartläggning civilsamhället' }).click());
    assert.equal(response.status(), 200);
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa länken' }).click());
    assert.equal(response.status(), 200);
    const mappingLink = await page.locator('#link').inputValue();
    assert.match(mappingLink, /\/m\/[0-9a-z]+$/);
    await audit.check(page, 'Ale: the mapping link');
    await answerMapping(browser, mappingLink);

    // The network sees the new status.
    await signIn(page, server, 'gr');
    response = await page.goto(mappingUrl);
    assert.equal(response.status(), 200);
    assert.equal(await statusOf(page, 'Ale kommun'), 'Har svar');
    assert.equal(await statusOf(page, 'Lerums kommun'), 'Inte påbörjad');
    await audit.check(page, 'mapping status after an answer');

    assert.deepEqual(page.context().blockedRequests, []);
    audit.assertClean();
  });
});
