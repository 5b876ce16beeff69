// screens.mjs - full-page screenshots of the catalog, matrix, a
// configuration, check with a result and a vendor, at 1366 and 375 px.
//
//   node tests/browser/screens.mjs URL DIR DESCRIPTOR.json
//
// Used for the before/after pictures; web-ui.mjs takes the same
// names on every run.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, playwright } from './lib.mjs';

const [base, dir, desc] = process.argv.slice(2);
const pw = await playwright([]);
const browser = await launch(pw.chromium);
const text = desc ? await readFile(desc, 'utf8') : null;
for (const width of [1366, 375]) {
	const ctx = await browser.newContext({ viewport: { width, height: width > 1000 ? 900 : 800 } });
	const page = await ctx.newPage();
	const settled = (p) => page.waitForFunction((part) => {
		const m = document.querySelector('main');
		const f = location.hash || '#/';
		return m && m.getAttribute('aria-busy') === 'false' && m.dataset.rendered === f && f.includes(part);
	}, p, { timeout: 20000 });
	const shot = (name) => page.screenshot({ path: join(dir, name + '-' + width + '.png'), fullPage: true });
	for (const [name, hash] of [['catalog', '#/'], ['matrix', '#/?view=matrix'],
		['configuration', '#/config/ms-hv2008-hvs-rhel5.3-x86_64'], ['vendor', '#/vendor/microsoft']]) {
		await page.goto(base + '/' + hash);
		await settled(hash.slice(1));
		await page.waitForTimeout(200);
		await shot(name);
	}
	await page.goto(base + '/#/check');
	await settled('#/check');
	if (text) {
		await page.fill('#descriptor', text);
		await page.click('#check-submit');
		await page.waitForSelector('#check-result .verdict, #check-result .notice-error');
	}
	await shot('check');
	await ctx.close();
}
await browser.close();
