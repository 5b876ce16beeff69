// lib.mjs - what the browser tests share (web-ui.mjs, support-ui.mjs):
// the result lines their shell scripts turn into TAP, the browser, and the
// steps with their screenshots.
//
// Results are one JSON object a line on stdout: {"ok": true|false, "name",
// "diag"?}, {"skip": REASON, "name"}, or with "todo": REASON a known bug
// (TAP's "# TODO": reported, not counted as a failure); the last line is
// {"done": true}.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
export const TIMEOUT = 20000; // per action: the ASan server is slower

export function emit(o) {
	process.stdout.write(JSON.stringify(o) + '\n');
}

export function check(name, cond, diag) {
	emit(cond ? { ok: true, name } : { ok: false, name, diag: diag === undefined ? '' : String(diag) });
	return !!cond;
}

// A check that fails while a known bug stands (TAP TODO): its failure is
// shown but does not fail the test; once it passes, prove says so.
export function todo(name, reason, cond, diag) {
	emit(cond ? { ok: true, name, todo: reason } : { ok: false, name, todo: reason, diag: diag === undefined ? '' : String(diag) });
	return !!cond;
}

export function skip(name, reason) {
	emit({ skip: reason, name });
}

// playwright-core, or null after every step was reported failed: the
// set-up make check runs installs it, so its absence is a failure.
export async function playwright(steps) {
	try {
		return await import('playwright-core');
	} catch (e) {
		for (const s of steps)
			emit({ name: s, ok: false, diag: 'playwright-core is not installed (npm ci in tests/browser): ' + e.message });
		emit({ done: true });
		return null;
	}
}

export async function launch(chromium) {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		timeout: 60000,
	});
}

// The steps of one page: console errors and foreign requests collected by
// step, settled() for a rendered fragment, a screenshot per step, and a
// step that throws (a time-out) reported once, with a "-failed" screenshot,
// the next step starting afresh from its own page (resume).  Screenshots
// are the whole page down to maxHeight pixels.
export function harness(page, base, shots, maxHeight = 2400) {
	const h = {
		step: 'load',
		broken: false,
		consoleErrors: [],
		foreign: [],
	};
	mkdirSync(shots, { recursive: true });
	page.setDefaultTimeout(TIMEOUT);
	page.setDefaultNavigationTimeout(TIMEOUT);
	page.on('console', (m) => {
		if (m.type() === 'error')
			h.consoleErrors.push({ step: h.step, text: m.text() });
	});
	page.on('pageerror', (e) => h.consoleErrors.push({ step: h.step, text: 'uncaught: ' + e.message }));
	page.on('request', (r) => {
		const u = r.url();
		if (!u.startsWith(base + '/') && !u.startsWith('data:'))
			h.foreign.push(u);
	});

	// The page is complete when main says so for the fragment now shown.
	h.settled = async (part) => {
		await page.waitForFunction((p) => {
			const m = document.querySelector('main');
			const f = location.hash || '#/';
			return m && m.getAttribute('aria-busy') === 'false' && m.dataset.rendered === f && f.includes(p);
		}, part || '');
	};
	// The whole page, down to maxHeight (a catalog page of 50 rows is longer).
	h.shot = async (name) => {
		const height = await page.evaluate(() => document.documentElement.scrollHeight);
		await page.screenshot({ path: join(shots, name + '.png'), fullPage: true,
			clip: { x: 0, y: 0, width: page.viewportSize().width, height: Math.min(height, maxHeight) } });
	};
	h.texts = async (selector) => page.locator(selector).allTextContents();
	h.resume = async (hash, part, always) => {
		if (!h.broken && !always)
			return;
		await page.goto(base + '/' + hash);
		await h.settled(part);
	};
	h.run = async (name, file, fn) => {
		h.step = name;
		try {
			await fn();
			h.broken = false;
		} catch (e) {
			const msg = (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)).replace(/\u001b\[[0-9;]*m/g, '');
			check(name + ': completed', false, msg);
			file += '-failed';
			h.broken = true;
		}
		try {
			await h.shot(file);
		} catch (e) {
			check(name + ': screenshot ' + file + '.png', false, e.message);
		}
	};
	return h;
}
