// Issue #15's "Done when", through the pages only: a municipality makes a round, four
// patients answer (their free texts start with = + - @ and hold å ä ö), staff ask for an
// export with free text, press "Uppdatera" until it is ready and download the CSV files
// (saved to target/export-downloads/ for tests/office/run.sh, which opens them and
// Excel's codebook with LibreOffice). A wrong k comes back with the typed value and an error. The network
// then opens the comparison of its municipalities. axe (WCAG 2.1 A and AA) checks the
// export pages, the error form and the comparison.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { AxeAudit, REPO_ROOT, andLoad, browserSession, heading, newContext } from './support.mjs';

/** Where the downloaded files go, for tests/office/run.sh. */
export const DOWNLOAD_DIR = path.join(REPO_ROOT, 'target', 'export-downloads');

/** The free texts of the four patients: each starts a formula in a spreadsheet. */
const FREE_TEXTS = [
  '=SUMMA(1;2) bra bemötande åäö',
  '+46 betyder inget här, ÅÄÖ',
  '-väntetiden var lång, smörgås',
  '@hemtjänsten är snäll, blåbär',
];

async function signIn(page, server, organisation) {
  await page.goto(`${server.base}/admin/logga-in`);
  await page.locator('#key').fill(server.keys[organisation]);
  const response = await andLoad(page, () => page.getByRole('button', { name: 'Logga in' }).click());
  assert.equal(response.status(), 200, `signing in as ${organisation}`);
}

function isoDay(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

function linksOfCsv(text) {
  return [...text.matchAll(/https?:\/\/[^\s,;"]+\/s\/[0-9A-Za-z_-]+/g)].map((match) => match[0]);
}

/** A patient answers through a link, writing `text` in every free-text box on the way. */
async function answerAsPatient(browser, link, text) {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    let response = await page.goto(link);
    assert.equal(response.status(), 200, `the patient opens ${link}`);
    await page.getByRole('radio', { name: 'Jag är patienten och svarar själv' }).check();
    for (let pages = 0; ; pages += 1) {
      assert.ok(pages < 20, 'the survey ends within 20 pages');
      for (const box of await page.locator('textarea').all()) {
        await box.fill(text);
      }
      if ((await page.getByRole('button', { name: 'Nästa' }).count()) === 0) break;
      response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
      assert.equal(response.status(), 200, `Next from "${await heading(page)}"`);
    }
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka svaren' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');
  } finally {
    await context.close();
  }
}

/** Clicks a download button and saves the file under DOWNLOAD_DIR; returns its text. */
async function download(page, file) {
  const [event] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: `Ladda ner ${file}` }).click(),
  ]);
  // Saved under whose export and when it was asked for, then the file's own name.
  const pattern = new RegExp(`^ale-export-\\d{4}-\\d{2}-\\d{2}-\\d{4}-${file.replaceAll('.', '\\.')}$`);
  assert.match(event.suggestedFilename(), pattern);
  const target = path.join(DOWNLOAD_DIR, file);
  await event.saveAs(target);
  return readFileSync(target, 'utf8');
}

describe('issue #15 end to end: an export through the pages, and the network comparison', () => {
  const session = browserSession({ acceptDownloads: true });
  after(() => session.close());

  test('round, four answers, export with free text, Uppdatera until ready, CSV downloads; comparison', async () => {
    const { server, browser, page } = await session.get();
    const audit = new AxeAudit();
    // Files of an earlier run must not pass for this one's.
    rmSync(DOWNLOAD_DIR, { recursive: true, force: true });
    mkdirSync(DOWNLOAD_DIR, { recursive: true });

    // A round with ten invitations; four patients answer.
    await signIn(page, server, 'ale');
    let response = await page.goto(`${server.base}/admin/omgangar/ny`);
    assert.equal(response.status(), 200);
    await page.locator('#questionnaire').selectOption('patientupplevelse:1');
    await page.locator('#name').fill('Hemsjukvården åäö');
    await page.locator('#start').fill(isoDay(0));
    await page.locator('#end').fill(isoDay(30));
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa omgången' }).click());
    assert.equal(response.status(), 200);
    response = await andLoad(page, () => page.getByRole('button', { name: 'Öppna omgången' }).click());
    assert.equal(response.status(), 200);
    const roundId = new URL(page.url()).pathname.split('/').pop();
    response = await andLoad(page, () => page.getByRole('link', { name: 'Inbjudningar och brev' }).click());
    await page.locator('#antal').fill('10');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Skapa inbjudningar' }).click());
    assert.equal(response.status(), 200);
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Ladda ner CSV-fil' }).click(),
    ]);
    const links = linksOfCsv(await readFile(await csvDownload.path(), 'utf8'));
    assert.equal(links.length, 10);
    for (const [index, text] of FREE_TEXTS.entries()) {
      await answerAsPatient(browser, links[index], text);
    }

    // The export area: linked from the navigation.
    response = await andLoad(page, () => page.getByRole('link', { name: 'Exporter', exact: true }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Exporter');
    assert.equal(await page.locator('#k').inputValue(), '7', 'k is 7 unless changed');
    assert.equal(await page.locator('#free_text').isChecked(), false, 'free text is off by default');
    await audit.check(page, 'exports, none yet');

    // k = 2 is refused with the value kept and the error next to the field.
    await page.locator('#round').selectOption(roundId);
    await page.locator('#k').fill('2');
    await page.locator('#free_text').check();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Beställ exporten' }).click());
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('#k').inputValue(), '2');
    assert.ok((await page.locator('#k-error').textContent()).includes('från 3 till 100'));
    assert.equal(await page.locator('#round').inputValue(), roundId);
    assert.equal(await page.locator('#free_text').isChecked(), true);
    await audit.check(page, 'exports, k too small');

    // k = 3 with free text: the export's page, followed with "Uppdatera" until ready.
    await page.locator('#k').fill('3');
    response = await andLoad(page, () => page.getByRole('button', { name: 'Beställ exporten' }).click());
    assert.equal(response.status(), 200);
    assert.match(await heading(page), /^Export: Omgången Hemsjukvården åäö/);
    await audit.check(page, 'export, just asked for');
    for (let tries = 0; !(await page.locator('#state').textContent()).startsWith('Klar'); tries += 1) {
      const state = (await page.locator('#state').textContent()).trim();
      assert.ok(tries < 50, `the export is ready within 50 refreshes (now: ${state})`);
      assert.ok(!state.startsWith('Misslyckades'), state);
      await page.waitForTimeout(200);
      response = await andLoad(page, () => page.getByRole('link', { name: 'Uppdatera' }).click());
      assert.equal(response.status(), 200);
    }
    assert.equal((await page.locator('#state').textContent()).trim(), 'Klar: 4 rader');
    await audit.check(page, 'export, ready');

    // The files.
    const csv = await download(page, 'responses.csv');
    const lines = csv.trimEnd().split(/\r?\n/);
    assert.equal(lines.length, 5, `a header and four rows:\n${csv}`);
    assert.ok(lines[0].startsWith('rad,'), lines[0]);
    assert.ok(lines[0].includes('helhet_ovrigt'), 'free text was asked for');
    assert.ok(csv.includes("'=SUMMA(1;2) bra bemötande åäö"), `the formula is neutralised:\n${csv}`);
    const excel = await download(page, 'responses_excel.csv');
    assert.ok(excel.startsWith('\uFEFF'), 'the Excel file starts with a byte order mark');
    assert.ok(excel.split(/\r?\n/)[0].includes(';'), 'the Excel file uses semicolons');
    const codebook = await download(page, 'codebook.csv');
    assert.ok(codebook.includes('helhet_ovrigt'));
    const excelCodebook = await download(page, 'codebook_excel.csv');
    assert.ok(excelCodebook.startsWith('\uFEFFvariable;'), 'Excel\'s codebook: a byte order mark and semicolons');

    // The list shows it.
    response = await andLoad(page, () => page.getByRole('link', { name: 'Tillbaka till exporterna' }).click());
    assert.equal(response.status(), 200);
    assert.ok((await page.locator('table').textContent()).includes('Klar: 4 rader'));
    await audit.check(page, 'exports, one ready');

    // The network's comparison.
    const networkContext = await newContext(browser);
    try {
      const network = await networkContext.newPage();
      await signIn(network, server, 'gr');
      response = await andLoad(network, () => network.getByRole('link', { name: 'Jämförelse', exact: true }).click());
      assert.equal(response.status(), 200);
      await audit.check(network, 'comparison form');
      await network.locator('#questionnaire').selectOption('patientupplevelse');
      await network.locator('#from').fill(isoDay(-1));
      await network.locator('#to').fill(isoDay(1));
      await network.locator('#k').fill('3');
      response = await andLoad(network, () => network.getByRole('button', { name: 'Visa jämförelsen' }).click());
      assert.equal(response.status(), 200);
      assert.ok((await network.locator('table').count()) > 5, 'one table per question');
      const first = network.locator('table').first();
      assert.ok((await first.locator('caption').textContent()).length > 0);
      assert.ok(
        (await first.getByRole('rowheader', { name: 'Ale kommun' }).count()) === 1,
        'Ale is a row of the table',
      );
      await audit.check(network, 'comparison tables');
      response = await network.goto(`${server.base}/admin/exporter`);
      assert.equal(response.status(), 403, 'the network never sees exports');
    } finally {
      await networkContext.close();
    }

    audit.assertClean();
  });
});
