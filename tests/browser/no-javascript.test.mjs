// Every step works with JavaScript turned off in the browser: plain links and form posts.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { andLoad, browserSession, heading } from './support.mjs';

/** The radio or check box with this label inside the question whose legend matches. */
function option(page, question, label) {
  return page.getByRole('group', { name: question }).getByLabel(label, { exact: true });
}

function checkedValues(page, name) {
  return page.locator(`input[name="${name}"]:checked`).evaluateAll((inputs) => inputs.map((i) => i.value));
}

describe('without JavaScript', () => {
  const session = browserSession({ javaScriptEnabled: false });
  let server;
  let context;
  let page;
  const ready = async () => {
    ({ server, context, page } = await session.get());
  };

  after(() => session.close());

  test('JavaScript is really off in this browser context', async () => {
    await ready();
    await page.goto(`${server.base}/`);
    await page.setContent('<p id="p">off</p><script>document.getElementById("p").textContent = "on"</script>');
    assert.equal(await page.locator('#p').textContent(), 'off');
  });

  test('a patient answers with clicks and typing, goes back without losing answers, sends, and the link then says thanks again', async () => {
    await ready();
    const { link } = server.rounds.patient[0];
    let response = await page.goto(link);
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Om dig som svarar');

    await option(page, /Vem svarar på enkäten/, 'Jag svarar för patientens räkning').click();
    await option(page, /Hur gammal är patienten/, '85–94 år').click();
    await option(page, /Vilket kön har patienten/, 'Kvinna').click();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Bemötande och delaktighet');
    assert.equal((await page.locator('p.progress').nth(1).textContent()).trim(), 'Del 2 av 6');

    await option(page, /Personalen bemöter mig med respekt/, 'Stämmer helt').click();
    await option(page, /Personalen lyssnar på mig/, 'Vet ej').click();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Tillbaka' }).click());
    assert.equal(await heading(page), 'Om dig som svarar', 'Back goes to page 1');
    assert.deepEqual(await checkedValues(page, 'vem_svarar'), ['ombud']);
    assert.deepEqual(await checkedValues(page, 'alder'), ['85_94']);
    assert.deepEqual(await checkedValues(page, 'kon'), ['kvinna']);

    response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(await heading(page), 'Bemötande och delaktighet');
    assert.deepEqual(await checkedValues(page, 'bemotande_respekt'), ['5'], 'page 2 answers are kept after Back');
    assert.deepEqual(await checkedValues(page, 'bemotande_lyssnar'), ['vet_ej'], 'page 2 answers are kept after Back');
    await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());

    assert.equal(await heading(page), 'Information och samordning');
    await option(page, /Vet du hur du kan lämna synpunkter/, 'Nej').click();
    await option(page, /Jag vet vad mina läkemedel är till för/, 'Ej aktuellt').click();
    await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());

    assert.equal(await heading(page), 'Tillgänglighet och trygghet');
    await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());

    assert.equal(await heading(page), 'Helhetsintryck');
    await option(page, /Vad tycker du om den hälso- och sjukvård/, 'Ganska bra').click();
    await option(page, /Vad skulle göra vården bättre/, 'Bättre information').click();
    await option(page, /Vad skulle göra vården bättre/, 'Att jag träffar samma personal').click();
    await page.getByRole('textbox', { name: /Vill du berätta något mer/ }).fill('Tryggt och bra.');
    await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());

    assert.equal(await heading(page), 'Om hjälpen med enkäten');
    await option(page, /Hur har du hjälpt till/, 'Jag läste upp frågorna').click();
    await option(page, /Vem är du för patienten/, 'Anhörig eller närstående').click();
    response = await andLoad(page, () => page.getByRole('button', { name: 'Tillbaka' }).click());
    assert.equal(await heading(page), 'Helhetsintryck');
    assert.deepEqual(await checkedValues(page, 'helhet_forbattra'), ['samma_personal', 'information']);
    assert.equal(await page.getByRole('textbox', { name: /Vill du berätta något mer/ }).inputValue(), 'Tryggt och bra.');
    await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.deepEqual(await checkedValues(page, 'hjalp_hur'), ['last_upp']);

    response = await andLoad(page, () => page.getByRole('button', { name: 'Skicka svaren' }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');

    response = await page.goto(link);
    assert.equal(response.status(), 200);
    // Opened again, the used link says thanks in a kind tone (README, Choices).
    assert.equal(await heading(page), 'Tack för dina svar');
  });

  test('the short code typed in lower case with a space instead of the dash opens the survey', async () => {
    await ready();
    const { code } = server.rounds.patient[1];
    const typed = code.toLowerCase().replace('-', ' ');
    assert.notEqual(typed, code);
    let response = await page.goto(`${server.base}/`);
    response = await andLoad(page, () => page.getByRole('link', { name: /Svara med kod/ }).click());
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Svara med kod');
    await page.getByRole('textbox', { name: /kod/i }).fill(typed);
    response = await andLoad(page, () => page.getByRole('button', { name: 'Öppna enkäten' }).click());
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/s\/[^/?]+\?lang=sv$/, "the code page sends the respondent on to the survey");
    assert.equal(await heading(page), 'Om dig som svarar');
    assert.equal(await page.locator('p.progress').first().textContent(), 'Patientupplevelse i kommunal primärvård');
  });

  test('a wrong code gives the code page again with an error summary', async () => {
    await ready();
    await page.goto(server.codeUrl);
    await page.getByRole('textbox', { name: /kod/i }).fill('abcde fghjk');
    const response = await andLoad(page, () => page.getByRole('button', { name: 'Öppna enkäten' }).click());
    assert.equal(response.status(), 422);
    assert.match(await page.title(), /^Fel: /);
    assert.equal(await page.locator('#kod').inputValue(), 'abcde fghjk', 'the typed code is kept');
    assert.equal(await page.locator('#kod').getAttribute('aria-invalid'), 'true');
  });

  test('the browser sent no request outside 127.0.0.1', async () => {
    await ready();
    assert.deepEqual(context.blockedRequests, []);
  });
});
