// Reflow (WCAG 1.4.4 and 1.4.10): at 320 CSS pixels wide with the text at 200 %, the
// pages need no horizontal scrolling.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { andLoad, browserSession, heading, screenshotPath } from './support.mjs';

const LARGE_TEXT = 'html { font-size: 200% !important; }';

/** Sets the root font size to 200 % and measures the page's width against the viewport. */
async function measure(page) {
  await page.addStyleTag({ content: LARGE_TEXT });
  return page.evaluate(() => {
    const root = document.scrollingElement;
    const clientWidth = root.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > clientWidth + 1 && getComputedStyle(el).position !== 'absolute';
      })
      .slice(0, 10)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} right=${Math.round(el.getBoundingClientRect().right)}`);
    return {
      scrollWidth: root.scrollWidth,
      clientWidth,
      fontSize: getComputedStyle(document.documentElement).fontSize,
      wide,
    };
  });
}

function assertNoSideways(m, what) {
  assert.equal(m.fontSize, '32px', `${what}: the root font size is not 200 %`);
  assert.ok(
    m.scrollWidth <= m.clientWidth + 1,
    `${what} scrolls sideways: scrollWidth ${m.scrollWidth} > clientWidth ${m.clientWidth}; too wide:\n  ${m.wide.join('\n  ')}`,
  );
}

describe('large text on a narrow screen', () => {
  // The pages' Content-Security-Policy (style-src 'self') rightly refuses the injected
  // style; bypassCSP lets the test stand in for the reader's own text-size setting.
  const session = browserSession({ viewport: { width: 320, height: 640 }, deviceScaleFactor: 2, bypassCSP: true });
  let server;
  let page;
  const ready = async () => {
    ({ server, page } = await session.get());
  };

  after(() => session.close());

  test('at 320 px wide with 200 % text the first survey page does not scroll sideways', async () => {
    await ready();
    await page.goto(server.rounds.patient[0].link);
    assert.equal(await page.evaluate(() => window.innerWidth), 320);
    assertNoSideways(await measure(page), 'patient survey page 1');
    await page.screenshot({ path: screenshotPath('survey-320px-200pct.png') });
    await page.locator('fieldset').last().screenshot({ path: screenshotPath('survey-320px-200pct-choices.png') });
  });

  test('at 320 px wide with 200 % text the pages with scales, errors and numbers do not scroll sideways', async () => {
    await ready();
    const { link } = server.rounds.patient[0];
    await page.goto(`${link}?del=2`);
    assert.equal(await heading(page), 'Bemötande och delaktighet');
    assertNoSideways(await measure(page), 'patient survey page 2');

    await page.goto(link);
    const response = await andLoad(page, () => page.getByRole('button', { name: 'Nästa' }).click());
    assert.equal(response.status(), 422);
    assertNoSideways(await measure(page), 'patient survey page 1 with an error');
    await page.screenshot({ path: screenshotPath('survey-errors-320px-200pct.png') });

    await page.goto(`${server.rounds.nyckeltal[0].link}?del=2`);
    assert.equal(await heading(page), 'Inskrivna patienter');
    assertNoSideways(await measure(page), 'nyckeltal page 2');

    await page.goto(`${server.rounds.civilsamhalle[0].link}?del=2`);
    assertNoSideways(await measure(page), 'civilsamhalle page 2');

    await page.goto(server.codeUrl);
    assertNoSideways(await measure(page), 'code page');
  });

  test('at 320 px wide and any text size up to 200 % the example code in the code hint stays on one line', async () => {
    await ready();
    await page.goto(server.codeUrl);
    const example = page.locator('#kod-hint .nowrap');
    assert.equal(await example.textContent(), 'ABCDE-12345');
    // Some size in the range puts the line end inside the code, where it would break at
    // the hyphen; an inline element broken over two lines has two boxes.
    const wrapsAt = await example.evaluate((el) => {
      const sizes = [];
      for (let percent = 100; percent <= 200; percent += 5) {
        document.documentElement.style.fontSize = `${percent}%`;
        if (el.getClientRects().length !== 1) sizes.push(percent);
      }
      document.documentElement.style.fontSize = '';
      return sizes;
    });
    assert.deepEqual(wrapsAt, [], `the example code wraps at text sizes (%) ${wrapsAt.join(', ')}`);
  });
});
