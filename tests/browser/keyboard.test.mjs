// The patient survey can be answered with the keyboard alone: Tab, Shift+Tab, Space,
// arrow keys, Enter and typing. No click, fill or check is used on the pages; the
// page is only read (which element has focus, what is checked) to verify each step.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { andLoad, browserSession, heading } from './support.mjs';

/** What has focus: enough to tell elements apart and to check the focus indicator. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: el.getAttribute('name'),
      type: el.getAttribute('type'),
      value: el.getAttribute('value'),
      href: el.getAttribute('href'),
      className: el.className,
      text: el.textContent.trim(),
      checked: 'checked' in el ? el.checked : null,
      inErrorSummary: Boolean(el.closest('.error-summary')),
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth),
      left: box.left,
      right: box.right,
    };
  });
}

function describeFocus(f) {
  return f ? `<${f.tag} id="${f.id}" name="${f.name}" value="${f.value}" href="${f.href}"> "${f.text.slice(0, 40)}"` : 'nothing';
}

/** Presses `key` until the focused element satisfies `wanted`; fails after `max` presses. */
async function pressUntil(page, key, wanted, what, max = 60) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(key);
    const f = await focused(page);
    if (f && wanted(f)) return f;
    seen.push(describeFocus(f));
  }
  throw new Error(`${what} was not reached with ${key} in ${max} presses; focus went through:\n  ${seen.join('\n  ')}`);
}

const tabTo = (page, wanted, what) => pressUntil(page, 'Tab', wanted, what);
const isButton = (value) => (f) => f.tag === 'button' && f.value === value;
const isFirstOf = (name) => (f) => f.name === name && f.type === 'radio';

/** The value of the checked radio (or all checked boxes) of a question. */
function checkedValues(page, name) {
  return page.evaluate(
    (n) => [...document.querySelectorAll(`input[name="${n}"]`)].filter((i) => i.checked).map((i) => i.value),
    name,
  );
}

function assertFocusVisible(f, what) {
  assert.notEqual(f.outlineStyle, 'none', `${what} shows no focus outline (outline-style: none)`);
  assert.ok(f.outlineWidth > 0, `${what} has a zero-width focus outline`);
}

describe('keyboard only', () => {
  const session = browserSession();
  let server;
  let page;
  const ready = async () => {
    ({ server, page } = await session.get());
  };

  after(() => session.close());

  test('the skip link is the first Tab stop, shows on focus and moves focus to the main content', async () => {
    await ready();
    await page.goto(server.rounds.patient[2].link);
    await page.keyboard.press('Tab');
    const first = await focused(page);
    assert.ok(first, 'the first Tab focused nothing');
    assert.equal(first.tag, 'a', `the first Tab stop is ${describeFocus(first)}`);
    assert.equal(first.href, '#main');
    assert.equal(first.text, 'Hoppa till innehållet');
    assert.ok(first.left >= 0, `the focused skip link is off screen (left ${first.left})`);
    assertFocusVisible(first, 'the skip link');

    await page.keyboard.press('Enter');
    const target = await focused(page);
    assert.equal(target?.id, 'main', `after the skip link focus is on ${describeFocus(target)}`);
    const next = await pressUntil(page, 'Tab', () => true, 'the next element');
    assert.equal(next.name, 'vem_svarar', `Tab after the skip link goes to ${describeFocus(next)}`);
  });

  test('a patient answers the whole survey with the keyboard, corrects a mistake through the error summary, goes back and sends', async () => {
    await ready();
    const { link } = server.rounds.patient[0];
    await page.goto(link);
    assert.equal(await heading(page), 'Om dig som svarar');

    // Page 1: answer the age (Space, then arrows) but skip the required question.
    await tabTo(page, isFirstOf('alder'), 'the age question');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    const radio = await focused(page);
    assert.equal(radio.checked, true, 'ArrowDown checks the next option');
    assertFocusVisible(radio, 'a focused radio button');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await checkedValues(page, 'alder'), ['75_84']);
    const nextButton = await tabTo(page, isButton('next'), 'the Next button');
    assertFocusVisible(nextButton, 'the focused Next button');
    let response = await andLoad(page, () => page.keyboard.press('Enter'));

    // The mistake: the page comes back with an error summary.
    assert.equal(response.status(), 422);
    assert.match(await page.title(), /^Fel: /);
    assert.deepEqual(await checkedValues(page, 'alder'), ['75_84'], 'the age answer is kept on the error page');
    const summaryLink = await tabTo(page, (f) => f.inErrorSummary && f.tag === 'a', 'the link in the error summary');
    assert.equal(summaryLink.href, '#q-vem_svarar-0');
    assertFocusVisible(summaryLink, 'the error summary link');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'q-vem_svarar-0', null, { timeout: 5_000 }).catch(() => {});
    const field = await focused(page);
    assert.equal(field?.id, 'q-vem_svarar-0', `following the error link focused ${describeFocus(field)}`);

    // Fix it: "gets help to answer", so the helper page is shown at the end.
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await checkedValues(page, 'vem_svarar'), ['med_hjalp']);
    await tabTo(page, isButton('next'), 'the Next button');
    response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Bemötande och delaktighet');
    assert.equal((await page.locator('p.progress').nth(1).textContent()).trim(), 'Del 2 av 6');

    // Page 2: two answers, then Back (reached with Tab past Next, and Shift+Tab once).
    await tabTo(page, isFirstOf('bemotande_respekt'), 'the first question on page 2');
    await page.keyboard.press('Space');
    for (let i = 0; i < 3; i += 1) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).name, 'bemotande_lyssnar', 'Tab moves to the next radio group');
    await page.keyboard.press('Space');
    assert.deepEqual(await checkedValues(page, 'bemotande_respekt'), ['4']);
    assert.deepEqual(await checkedValues(page, 'bemotande_lyssnar'), ['1']);
    await tabTo(page, isButton('back'), 'the Back button');
    await page.keyboard.press('Shift+Tab');
    assert.equal((await focused(page)).value, 'next', 'Shift+Tab from Back goes to Next');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).value, 'back');
    response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(await heading(page), 'Om dig som svarar', 'Back goes to page 1');
    assert.deepEqual(await checkedValues(page, 'vem_svarar'), ['med_hjalp'], 'page 1 answers are kept');
    assert.deepEqual(await checkedValues(page, 'alder'), ['75_84'], 'page 1 answers are kept');

    // Next again: page 2 still has its answers.
    await tabTo(page, isButton('next'), 'the Next button');
    await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(await heading(page), 'Bemötande och delaktighet');
    assert.deepEqual(await checkedValues(page, 'bemotande_respekt'), ['4'], 'page 2 answers survive Back');
    assert.deepEqual(await checkedValues(page, 'bemotande_lyssnar'), ['1'], 'page 2 answers survive Back');
    await tabTo(page, isButton('next'), 'the Next button');
    await andLoad(page, () => page.keyboard.press('Enter'));

    // Page 3: a yes/no question.
    assert.equal(await heading(page), 'Information och samordning');
    await tabTo(page, isFirstOf('info_synpunkter'), 'the yes/no question');
    await page.keyboard.press('Space');
    assert.deepEqual(await checkedValues(page, 'info_synpunkter'), ['ja']);
    await tabTo(page, isButton('next'), 'the Next button');
    await andLoad(page, () => page.keyboard.press('Enter'));

    // Page 4: "don't know" at the end of a scale, reached with ArrowUp from the first option.
    assert.equal(await heading(page), 'Tillgänglighet och trygghet');
    await tabTo(page, isFirstOf('trygghet_trygg'), 'the last question on page 4');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowUp');
    assert.deepEqual(await checkedValues(page, 'trygghet_trygg'), ['vet_ej']);
    await tabTo(page, isButton('next'), 'the Next button');
    await andLoad(page, () => page.keyboard.press('Enter'));

    // Page 5: a rating, two check boxes and a typed comment.
    assert.equal(await heading(page), 'Helhetsintryck');
    await tabTo(page, isFirstOf('helhet_betyg'), 'the rating');
    await page.keyboard.press('Space');
    for (let i = 0; i < 4; i += 1) await page.keyboard.press('ArrowRight');
    await tabTo(page, (f) => f.name === 'helhet_forbattra' && f.value === 'mer_tid', 'the first check box');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await tabTo(page, (f) => f.tag === 'textarea', 'the comment field');
    await page.keyboard.type('Personalen är vänlig.');
    assert.deepEqual(await checkedValues(page, 'helhet_betyg'), ['5']);
    assert.deepEqual(await checkedValues(page, 'helhet_forbattra'), ['mer_tid', 'information']);
    assert.equal(await page.locator('textarea').inputValue(), 'Personalen är vänlig.');
    await tabTo(page, isButton('next'), 'the Next button');
    await andLoad(page, () => page.keyboard.press('Enter'));

    // Page 6, the helper page: a check box and a radio, then Send.
    assert.equal(await heading(page), 'Om hjälpen med enkäten');
    assert.equal((await page.locator('p.progress').nth(1).textContent()).trim(), 'Del 6 av 6');
    await tabTo(page, (f) => f.name === 'hjalp_hur', 'the first helper check box');
    await page.keyboard.press('Space');
    await tabTo(page, isFirstOf('hjalp_relation'), 'the relation question');
    await page.keyboard.press('Space');
    await tabTo(page, isButton('send'), 'the Send button');
    response = await andLoad(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 200);
    assert.equal(await heading(page), 'Tack för dina svar');

    // The link is now used up.
    response = await page.goto(link);
    assert.equal(await heading(page), 'Tack för dina svar');
  });
});
