// web-ui.mjs - the web UI, end to end, in headless Chromium.
//
//   node tests/browser/web-ui.mjs URL SCREENSHOT_DIR
//
// URL is a running `covalid serve --web web` (seed catalog imported).  The
// environment may add: WEBUI_DESCRIPTOR (a descriptor the catalog
// validates: hyperv2008-rhel53), WEBUI_DESCRIPTOR_NEAR (one it does not:
// hyperv2008-rhel53-2vcpu), WEBUI_SUBMITTED and WEBUI_SUBMITTED_VENDOR (a
// configuration accepted from a real submission, and its vendor's id),
// WEBUI_HOSTILE (the id of tests/browser/hostile-configs.jsonl's record,
// made of markup), WEBUI_PLAN and WEBUI_PLAN2 (the descriptors the check
// form must make for RHEL 5.3 on Windows Server 2008 Hyper-V with 1 and 2
// vCPUs) with WEBUI_PLAN_CHECK and WEBUI_PLAN2_CHECK (`covalid check
// --json` of each), WEBUI_OWNER_TOKEN (the owner's token file, for the
// dashboard), CHROMIUM (default /usr/bin/chromium).
//
// Prints one JSON object a line, which tests/t/t5001-web-ui.sh turns into
// TAP: {"ok": true|false, "name", "diag"?} or {"skip": REASON, "name"}; the
// last line is {"done": true}.  Each step saves a screenshot NN-name.png;
// the last also saves each page at 1366 and 375 px wide as PAGE-WIDTH.png.
// The answers the page shows are compared with the API's own, asked here.
import { readFile } from 'node:fs/promises';
import { CSP, check, emit, harness, launch, playwright, skip } from './lib.mjs';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
	console.error('usage: node web-ui.mjs URL SCREENSHOT_DIR');
	process.exit(2);
}
const URL_ = base.replace(/\/$/, '');

const pw = await playwright(['load', 'search', 'configuration', 'check', 'vendor', 'escaping', 'sort', 'counts', 'csv', 'plan', 'dashboard', 'phone'].map((s) => 'web UI: ' + s));
if (!pw)
	process.exit(0);

async function apiGet(path) {
	const r = await fetch(URL_ + path);
	if (!r.ok)
		throw new Error('GET ' + path + ': ' + r.status);
	return r.json();
}

const browser = await launch(pw.chromium);
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
const page = await context.newPage();
// lib.mjs: settled(fragment part), shot(file), texts(selector),
// resume(hash, part, always) and step(name, file, fn), the console errors
// and foreign requests of every step.
const H = harness(page, URL_, shots);
const { settled, shot, texts, resume, consoleErrors, foreign } = H;
const step = H.run;

const CONFIG = 'ms-hv2008-hvs-rhel5.3-x86_64'; // RHEL 5.3 on Hyper-V Server 2008, validated in 2009

// ---- 1. load ----
await step('load', '01-load', async () => {
	const resp = await page.goto(URL_ + '/');
	const headers = resp.headers();
	check('load: GET / answers 200 text/html', resp.status() === 200 && /^text\/html/.test(headers['content-type'] || ''),
		resp.status() + ' ' + headers['content-type']);
	check('load: Content-Security-Policy header present and strict', headers['content-security-policy'] === CSP,
		headers['content-security-policy']);
	check('load: Referrer-Policy no-referrer', headers['referrer-policy'] === 'no-referrer', headers['referrer-policy']);
	const js = await page.request.get(URL_ + '/static/app.js');
	check('load: /static/app.js is JavaScript with the same CSP',
		js.status() === 200 && /javascript/.test(js.headers()['content-type']) && js.headers()['content-security-policy'] === CSP,
		js.status() + ' ' + js.headers()['content-type']);
	await settled('');
	const title = await page.title();
	check('load: page title names covalid', /covalid/.test(title), title);
	const rows = await page.locator('table.configs tbody tr').count();
	const all = await apiGet('/api/v1/configurations?limit=1');
	check('load: the catalog table has rows (' + rows + ')', rows > 0 && rows === Math.min(50, all.total), rows + ' vs total ' + all.total);
	const heading = await page.locator('#results-heading').textContent();
	check('load: the result count is the API total (' + all.total + ')', heading.trim() === all.total + ' configurations', heading);
	check('load: no console errors', consoleErrors.length === 0, JSON.stringify(consoleErrors));
	check('load: no request to another origin', foreign.length === 0, foreign.join(' '));
});

if (H.broken) {
	check('the steps after load: not run, the page did not load', false);
	await browser.close();
	emit({ done: true });
	process.exit(0);
}

// ---- 2. search, filters, paging, matrix ----
await step('search', '02-search', async () => {
	await resume('#/', '');
	await page.fill('#f-q', 'rhel');
	await page.press('#f-q', 'Enter');
	await settled('q=rhel');
	let api = await apiGet('/api/v1/configurations?q=rhel&limit=1');
	let head = (await page.locator('#results-heading').textContent()).trim();
	check('search "rhel": the count is the API\'s (' + api.total + ')', head === api.total + ' configurations', head);
	const rowText = async () => {
		const g = await texts('table.configs tbody td.guest');
		const h = await texts('table.configs tbody td.hypervisor');
		return g.map((x, i) => [x, h[i]]);
	};
	let rows = await rowText();
	let bad = rows.filter(([g, h]) => !/Red Hat Enterprise Linux|Red Hat/.test(g + ' ' + h));
	check('search "rhel": every row is RHEL (a Red Hat guest or hypervisor), ' + rows.length + ' rows', rows.length > 0 && bad.length === 0,
		JSON.stringify(bad.slice(0, 3)));

	await page.click('.pager a[rel="next"]');
	await settled('offset=50');
	const range = (await page.locator('#results-range').textContent()).trim();
	rows = await rowText();
	bad = rows.filter(([g, h]) => !/Red Hat/.test(g + ' ' + h));
	check('paging: Next shows rows 51-' + Math.min(100, api.total) + ', still RHEL',
		range === 'Showing 51–' + Math.min(100, api.total) + ' of ' + api.total && bad.length === 0 && rows.length > 0, range);

	await page.fill('#f-guest', 'rhel');
	await page.press('#f-guest', 'Enter');
	await settled('guest=rhel');
	check('filter guest=rhel: back to the first page', !(await page.evaluate(() => location.hash)).includes('offset'));
	rows = await rowText();
	bad = rows.filter(([g]) => !g.startsWith('Red Hat Enterprise Linux'));
	check('filter guest=rhel: every guest is Red Hat Enterprise Linux (' + rows.length + ' rows)', rows.length > 0 && bad.length === 0,
		JSON.stringify(bad.slice(0, 3)));

	await page.fill('#f-hypervisor', 'microsoft');
	await page.press('#f-hypervisor', 'Enter');
	await settled('hypervisor=microsoft');
	api = await apiGet('/api/v1/configurations?q=rhel&guest=rhel&hypervisor=microsoft&limit=1');
	head = (await page.locator('#results-heading').textContent()).trim();
	rows = await rowText();
	bad = rows.filter(([g, h]) => !g.startsWith('Red Hat Enterprise Linux') || !/Hyper-V/.test(h));
	check('filter hypervisor=microsoft: ' + api.total + ' configurations, every one RHEL on Hyper-V',
		head === api.total + ' configurations' && rows.length > 0 && bad.length === 0, head + ' ' + JSON.stringify(bad.slice(0, 3)));

	await page.selectOption('#f-status', 'validated');
	await settled('status=validated');
	const st = await texts('table.configs tbody td.status');
	check('filter status=validated (select applies at once): every status is Validated (' + st.length + ')',
		st.length > 0 && st.every((s) => s === 'Validated'), JSON.stringify([...new Set(st)]));
	await page.selectOption('#f-status', '');
	await page.waitForFunction(() => !location.hash.includes('status='));
	await settled('hypervisor=microsoft');
});

await step('matrix', '03-matrix', async () => {
	await resume('#/?q=rhel&guest=rhel&hypervisor=microsoft', 'hypervisor=microsoft');
	await page.click('#tab-matrix');
	await settled('view=matrix');
	const rowsH = await texts('#matrix tbody th');
	const colsH = await texts('#matrix thead th:not(.corner)');
	check('matrix: ' + rowsH.length + ' RHEL rows', rowsH.length > 0 && rowsH.every((r) => r.startsWith('Red Hat Enterprise Linux')),
		JSON.stringify(rowsH.slice(0, 5)));
	check('matrix: ' + colsH.length + ' Hyper-V columns', colsH.length > 0 && colsH.every((c) => /Hyper-V/.test(c)),
		JSON.stringify(colsH));
	const api = await apiGet('/api/v1/configurations?q=rhel&guest=rhel&hypervisor=microsoft&limit=500');
	const links = await page.locator('#matrix a.cell-link').count();
	check('matrix: a cell link for each of the ' + api.total + ' configurations', links === api.total, links);
	// RHEL 5.3 x Windows Server 2008 Hyper-V: the row and column headers
	// name the cell; it is green and links the configuration.
	const cell = await page.evaluate(() => {
		const t = document.getElementById('matrix');
		const cols = [...t.querySelectorAll('thead th')].map((th) => th.textContent);
		const col = cols.indexOf('Windows Server 2008 Hyper-V');
		const row = [...t.querySelectorAll('tbody tr')].find((tr) => tr.querySelector('th').textContent === 'Red Hat Enterprise Linux 5.3');
		if (col < 0 || !row)
			return null;
		const td = row.children[col];
		const a = td.querySelector('a.cell-link');
		return a ? { ids: [...td.querySelectorAll('a')].map((x) => x.dataset.id), status: a.dataset.status, text: a.textContent,
			bg: getComputedStyle(a).backgroundColor } : { ids: [] };
	});
	check('matrix: cell RHEL 5.3 x Windows Server 2008 Hyper-V holds ms-hv2008-ws-rhel5.3-x86_64, validated',
		cell && cell.ids.includes('ms-hv2008-ws-rhel5.3-x86_64') && cell.status === 'validated' && /Validated/.test(cell.text),
		JSON.stringify(cell));
	check('matrix: the cell is coloured (' + (cell && cell.bg) + ')',
		cell && cell.bg && cell.bg !== 'rgba(0, 0, 0, 0)' && cell.bg !== 'rgb(255, 255, 255)', cell && cell.bg);
	await page.click('#matrix a.cell-link[data-id="ms-hv2008-ws-rhel5.3-x86_64"]');
	await settled('#/config/ms-hv2008-ws-rhel5.3-x86_64');
	const g = await page.locator('#config-hypervisor').textContent();
	check('matrix: clicking the cell opens that configuration', g === 'Windows Server 2008 Hyper-V', g);
	await page.goBack();
	await settled('view=matrix');
	// Fewer colours: every mark is one of two looks, validated or not.
	const looks = await page.$$eval('#matrix a.cell-link', (as) => [...new Set(as.map((a) => {
		const cs = getComputedStyle(a);
		return (a.dataset.status === 'validated' ? 'v ' : 'o ') + cs.backgroundColor + ' ' + cs.borderTopStyle;
	}))]);
	check('matrix: two looks, validated and other (' + looks.join('; ') + ')',
		looks.length <= 2 && new Set(looks.map((l) => l[0])).size === looks.length, JSON.stringify(looks));
	// Validated only: the API's validated ones, and no row or column left empty.
	const apiV = await apiGet('/api/v1/configurations?q=rhel&guest=rhel&hypervisor=microsoft&status=validated&limit=500');
	await page.check('#matrix-validated-only');
	const m = await page.evaluate(() => {
		const t = document.getElementById('matrix');
		const trs = [...t.querySelectorAll('tbody tr')];
		const ncols = t.querySelectorAll('thead th').length - 1;
		const emptyCols = [...Array(ncols).keys()].filter((i) => trs.every((tr) => !tr.children[i + 1].querySelector('a')));
		return { links: t.querySelectorAll('a.cell-link').length, statuses: [...new Set([...t.querySelectorAll('a.cell-link')].map((a) => a.dataset.status))],
			emptyRows: trs.filter((tr) => !tr.querySelector('a')).length, emptyCols: emptyCols.length };
	});
	check('matrix: "validated only" shows the API\'s ' + apiV.total + ' validated ones, no row or column left empty',
		m.links === apiV.total && apiV.total > 0 && JSON.stringify(m.statuses) === '["validated"]' && m.emptyRows === 0 && m.emptyCols === 0,
		JSON.stringify(m));
	await page.uncheck('#matrix-validated-only');
});

// ---- 3. a configuration, and one with evidence ----
await step('configuration', '04-config', async () => {
	await resume('#/?q=rhel&guest=rhel&hypervisor=microsoft&view=matrix', 'view=matrix');
	await page.click('#tab-table');
	await settled('hypervisor=microsoft');
	const row = page.locator('table.configs tbody tr[data-id="' + CONFIG + '"]');
	check('configuration: ' + CONFIG + ' is among the results', await row.count() === 1);
	await row.locator('td.guest').click(); // the row, not its link
	await settled('#/config/' + CONFIG);
	const api = (await apiGet('/api/v1/configurations/' + CONFIG)).configuration;
	const guest = await page.locator('#config-guest').textContent();
	const hv = await page.locator('#config-hypervisor').textContent();
	check('configuration: clicking a row opens it; guest ' + guest, guest === api.guest.product + ' ' + api.guest.version, guest);
	check('configuration: hypervisor ' + hv, hv === api.hypervisor.product, hv);
	const body = await page.locator('main').textContent();
	check('configuration: limits, components, conditions, validated_by, status, source shown',
		body.includes('1 (uni-processor)') && body.includes('65536 MiB') && api.required_components.every((c) => body.includes(c)) &&
		body.includes(api.conditions[0]) && body.includes(api.source.split(' | ')[0]) && /Validated/.test(await page.locator('#config-status').textContent()),
		body.slice(0, 300));
	const vb = await texts('#config-validated-by a');
	check('configuration: validated_by links each vendor (' + vb.join(', ') + ')',
		JSON.stringify(vb) === JSON.stringify(api.validated_by));
	check('configuration: says it has no test log', await page.locator('#no-evidence').count() === 1);
	check('configuration: title names it', (await page.title()).includes(CONFIG), await page.title());
});

await step('evidence', '05-evidence', async () => {
	const id = process.env.WEBUI_SUBMITTED;
	if (!id) {
		skip('evidence: a submitted configuration shows its test log', process.env.WEBUI_SUBMITTED_WHY || 'no submission on this machine');
		return;
	}
	await resume('#/config/' + CONFIG, CONFIG);
	await page.click('.site-nav a[data-nav="catalog"]');
	await settled('');
	await page.fill('#f-q', id);
	await page.press('#f-q', 'Enter');
	await settled('q=');
	await page.locator('table.configs tbody tr[data-id="' + id + '"] td.hypervisor').click();
	await settled('#/config/' + encodeURIComponent(id)); // ids of submissions hold ':'
	const api = await apiGet('/api/v1/configurations/' + id);
	const log = api.test_logs[0];
	const sub = await texts('#evidence article.test-log h3');
	check('evidence: the submission is shown (' + log.submission + ')', sub.some((s) => s.includes(log.submission)), JSON.stringify(sub));
	const cells = await page.$$eval('#evidence article.test-log:first-of-type table.results-table tbody tr',
		(trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
	const want = log.results.map((r) => [r.id, r.status, r.reason || '—']);
	check('evidence: the check results table (' + cells.length + ' checks: id, status, reason) is the log\'s',
		cells.length > 3 && JSON.stringify(cells) === JSON.stringify(want), JSON.stringify(cells.slice(0, 3)));
	const art = await page.locator('#evidence article.test-log').first().textContent();
	check('evidence: vendor, kit mode and summary shown',
		art.includes(log.vendor) && art.includes(log.kit_mode) && art.includes(log.summary.pass + ' passed') && art.includes(log.summary.fail + ' failed'), art.slice(0, 300));
});

// ---- 4. check my machine ----
await step('check', '07-check-nearest', async () => {
	const file = process.env.WEBUI_DESCRIPTOR;
	if (!file) {
		skip('check: a validated descriptor', 'WEBUI_DESCRIPTOR not set');
		return;
	}
	const text = await readFile(file, 'utf8');
	await resume('#/', '');
	await page.click('.site-nav a[data-nav="check"]');
	await settled('#/check');
	check('check: the descriptor box has a label', await page.locator('label[for="descriptor"]').count() === 1);
	await page.fill('#descriptor', text);
	await page.click('#check-submit');
	await page.waitForSelector('#check-result[aria-busy="false"] #verdict-heading, #check-result[aria-busy="false"] .notice-error');
	const api = await (await fetch(URL_ + '/api/v1/check', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text })).json();
	const verdict = (await page.locator('#verdict-heading').textContent()).trim();
	check('check: verdict "validated" shown', verdict === 'validated' && api.verdict === 'validated', verdict);
	const ids = await page.$$eval('#matches tbody td.id a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
	check('check: the matched configurations (' + ids.map((x) => x[0]).join(', ') + ') are links',
		ids.some(([t]) => t === CONFIG) &&
		JSON.stringify(ids.map((x) => x[0])) === JSON.stringify(api.matches.map((m) => m.id)) &&
		ids.every(([t, href]) => href === '#/config/' + t), JSON.stringify(ids));
	const sup = await page.locator('#support').textContent();
	check('check: support vendors shown', api.support.vendors.every((v) => sup.includes(v)) && /yes/.test(sup), sup);
	await shot('06-check');

	const near = process.env.WEBUI_DESCRIPTOR_NEAR;
	if (near) {
		const t2 = await readFile(near, 'utf8');
		await page.fill('#descriptor', t2);
		await page.click('#check-submit');
		await page.waitForFunction(() => {
			const v = document.querySelector('#check-result[aria-busy="false"] #verdict-heading');
			return v && v.textContent === 'not-validated';
		});
		const a2 = await (await fetch(URL_ + '/api/v1/check', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: t2 })).json();
		const diffs = await texts('#nearest td.differences li');
		const want = a2.nearest.flatMap((n) => n.differences);
		check('check: not validated -> the nearest configurations with every difference (' + want.length + ')',
			want.length > 0 && JSON.stringify(diffs) === JSON.stringify(want), JSON.stringify(diffs));
	}
});

await step('check-error', '08-check-error', async () => {
	await resume('#/check', '#/check', !(await page.evaluate(() => location.hash)).startsWith('#/check'));
	await page.fill('#descriptor', 'this is not a descriptor {');
	await page.click('#check-submit');
	await page.waitForSelector('#check-result[aria-busy="false"] .notice-error');
	const msg = (await page.locator('#check-result .notice-error').innerText()).trim().replace(/\s*\n\s*/g, ' ');
	check('check: garbage -> a clear error message (' + msg + ')', /could not check/.test(msg) && /400/.test(msg) && /malformed_json/.test(msg), msg);
	check('check: ... and no verdict', await page.locator('#verdict-heading').count() === 0);
	check('check: the error is announced (role=alert)', await page.locator('#check-result [role="alert"]').count() === 1);
});

// ---- 5. a vendor ----
await step('vendor', '11-vendor-unknown', async () => {
	await page.goto(URL_ + '/#/config/' + CONFIG);
	await settled('#/config/' + CONFIG);
	await page.click('#config-validated-by a:text-is("Microsoft")');
	await settled('#/vendor/microsoft');
	const api = await apiGet('/api/v1/vendors/microsoft/configurations');
	const title = await page.locator('#vendor-title').textContent();
	const ids = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('vendor: Microsoft\'s page lists its ' + api.items.length + ' configurations',
		title === 'Microsoft' && ids.length > 0 && JSON.stringify(ids) === JSON.stringify(api.items.map((c) => c.id)), title + ' ' + ids.length);
	const atom = await page.getAttribute('#feed-atom', 'href');
	const json = await page.getAttribute('#feed-json', 'href');
	check('vendor: links its Atom feed', atom === '/api/v1/vendors/microsoft/configurations.atom', atom);
	check('vendor: ... and its JSON feed', json === '/api/v1/vendors/microsoft/configurations', json);
	const feed = await page.request.get(URL_ + atom);
	const xml = await feed.text();
	check('vendor: the Atom link answers an Atom feed', feed.status() === 200 && xml.includes('<feed xmlns="http://www.w3.org/2005/Atom">'),
		feed.status() + ' ' + xml.slice(0, 80));
	const roles = await page.$$eval('table.configs tbody tr', (trs) => trs.filter((tr) => tr.dataset.id.startsWith('rh-kvm5.4-'))
		.map((tr) => tr.querySelector('td.roles').textContent));
	check('vendor: Microsoft\'s page holds the Windows guests on RHEL KVM, as the vendor of their guest OS (' + roles.length + ')',
		roles.length === api.items.filter((c) => c.id.startsWith('rh-kvm5.4-')).length && roles.length > 0 &&
		roles.every((r) => r === 'its guest OS'), JSON.stringify(roles));
	await shot('09-vendor');
	await page.click('#feed-status a:text-is("Validated only")');
	await settled('#/vendor/microsoft?status=validated');
	const vapi = await apiGet('/api/v1/vendors/microsoft/configurations?status=validated');
	const vids = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('vendor: "Validated only" lists the ' + vapi.items.length + ' validated ones',
		vids.length > 0 && vids.length < ids.length && JSON.stringify(vids) === JSON.stringify(vapi.items.map((c) => c.id)), String(vids.length));
	const vatom = await page.getAttribute('#feed-atom', 'href');
	check('vendor: ... and its feed links follow', vatom === '/api/v1/vendors/microsoft/configurations.atom?status=validated' &&
		await page.getAttribute('#feed-json', 'href') === '/api/v1/vendors/microsoft/configurations?status=validated', vatom);
	const v = process.env.WEBUI_SUBMITTED_VENDOR;
	if (v && process.env.WEBUI_SUBMITTED) {
		await page.goto(URL_ + '/#/vendor/' + encodeURIComponent(v));
		await settled('#/vendor/');
		const mine = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
		check('vendor: the submitting vendor (' + v + ') lists its configuration',
			JSON.stringify(mine) === JSON.stringify([process.env.WEBUI_SUBMITTED]), JSON.stringify(mine));
		await shot('10-vendor-submitted');
	}
	await page.goto(URL_ + '/#/vendor/nobody');
	await settled('#/vendor/nobody');
	check('vendor: an unknown vendor is a clear message, not a blank page',
		/no vendor with this id/.test(await page.locator('main .notice-error').textContent()));
});

// ---- 6. data is text: a record made of markup shows as that markup ----
await step('escaping', '12-escaping', async () => {
	const id = process.env.WEBUI_HOSTILE;
	if (!id) {
		skip('escaping: a record made of markup shows as text', 'WEBUI_HOSTILE not set');
		return;
	}
	const api = (await apiGet('/api/v1/configurations/' + id)).configuration;
	await page.goto(URL_ + '/#/?q=' + encodeURIComponent('Evil'));
	await settled('q=Evil');
	const cell = await page.locator('table.configs tbody tr[data-id="' + id + '"] td.guest').textContent();
	check('escaping: the catalog row shows the guest\'s markup as text', cell.startsWith(api.guest.product), cell);
	await page.click('#tab-matrix');
	await settled('view=matrix');
	await page.click('#matrix a.cell-link[data-id="' + id + '"]');
	await settled('#/config/' + encodeURIComponent(id)); // ids of submissions hold ':'
	const title = await page.locator('#config-title').textContent();
	check('escaping: the configuration page shows its markup as text',
		title === api.guest.product + ' ' + api.guest.version + ' on ' + api.hypervisor.product + ' ' + api.hypervisor.version, title);
	const found = await page.evaluate(() => ({
		xss: window.__xss,
		elements: document.querySelectorAll('main img, main script, main svg, main iframe, main style, main b, main i').length,
		links: [...document.querySelectorAll('main a')].map((a) => a.getAttribute('href')).filter((h) => !/^(#\/|\/api\/v1\/|https?:\/\/)/.test(h)),
		hidden: getComputedStyle(document.body).display,
	}));
	check('escaping: no element, script, handler or javascript: link came from the data',
		found.xss === undefined && found.elements === 0 && found.links.length === 0 && found.hidden !== 'none', JSON.stringify(found));
	const body = await page.locator('main').textContent();
	check('escaping: entities stay as written', body.includes('<b>not bold</b> &amp; &lt;'), body.slice(0, 200));
});

// ---- 7. sorting: the order comes from the API's records, sorted here ----
// docs/catalog.md's statuses, best first (the order "Status" sorts by).
const STATUS_ORDER = ['validated', 'supported', 'supported_historical', 'supported_profile', 'supported_limited',
	'supported_product_level', 'announced_not_confirmed', 'not_supported', 'revoked'];
const coll = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const pv = (p, v) => (!v || v === 'unspecified' || (' ' + (p || '') + ' ').includes(' ' + v + ' ')) ? (p || '') : p + ' ' + v;
const gname = (c) => pv(c.guest.product, c.guest.version);

await step('sort', '13-sort', async () => {
	const filter = 'hypervisor=microsoft';
	const api = await apiGet('/api/v1/configurations?' + filter + '&limit=500');
	await page.goto(URL_ + '/#/?' + filter);
	await settled(filter);
	await page.click('#sort-guest');
	await settled('sort=guest');
	const byGuest = api.items.slice().sort((a, b) => coll.compare(gname(a), gname(b)) ||
		coll.compare((a.guest.arch || []).join(', '), (b.guest.arch || []).join(', ')) || coll.compare(a.id, b.id));
	let ids = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('sort: Guest OS ascending is the API\'s ' + api.total + ' records in natural order (first page of 50)',
		ids.length === Math.min(50, api.total) && JSON.stringify(ids) === JSON.stringify(byGuest.slice(0, 50).map((c) => c.id)),
		JSON.stringify(ids.slice(0, 4)) + ' vs ' + JSON.stringify(byGuest.slice(0, 4).map((c) => c.id)));
	check('sort: aria-sort="ascending" on Guest OS only',
		await page.getAttribute('th[data-sort="guest"]', 'aria-sort') === 'ascending' && await page.locator('th[aria-sort]').count() === 1);
	const firstGuest = (await texts('table.configs tbody td.guest a.product'))[0];
	check('sort: the first row names the guest product first (' + firstGuest + ')', firstGuest === gname(byGuest[0]), firstGuest);
	await page.click('#sort-guest');
	await settled('sort=-guest');
	ids = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	const desc = api.items.slice().sort((a, b) => -(coll.compare(gname(a), gname(b)) ||
		coll.compare((a.guest.arch || []).join(', '), (b.guest.arch || []).join(', ')) || coll.compare(a.id, b.id)));
	check('sort: a second click sorts descending (aria-sort="descending")',
		await page.getAttribute('th[data-sort="guest"]', 'aria-sort') === 'descending' &&
		JSON.stringify(ids) === JSON.stringify(desc.slice(0, 50).map((c) => c.id)), JSON.stringify(ids.slice(0, 3)));
	await page.click('#sort-status');
	await settled('sort=status');
	const st = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	const byStatus = api.items.slice().sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || coll.compare(a.id, b.id));
	check('sort: Status puts the validated first, then the statuses in docs/catalog.md\'s order',
		JSON.stringify(st) === JSON.stringify(byStatus.slice(0, 50).map((c) => c.id)), JSON.stringify(st.slice(0, 3)));
	await page.click('.pager a[rel="next"]');
	await settled('offset=50');
	const p2 = await page.$$eval('table.configs tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('sort: page 2 goes on in the same order', JSON.stringify(p2) === JSON.stringify(byStatus.slice(50, 100).map((c) => c.id)),
		JSON.stringify(p2.slice(0, 3)));
});

// ---- 8. counts per filter: each is the API's total for that choice ----
await step('counts', '14-counts', async () => {
	const filter = 'q=rhel';
	await page.goto(URL_ + '/#/?' + filter);
	await settled(filter);
	await page.waitForSelector('form.search[data-counted="true"]');
	const opts = await page.$$eval('#f-status option[data-count], #f-vendor option[data-count]',
		(os) => os.map((o) => [o.parentElement.name, o.value, Number(o.dataset.count), o.textContent]));
	const bad = [];
	for (const [k, v, n, text] of opts) {
		const t = (await apiGet('/api/v1/configurations?' + filter + '&' + k + '=' + encodeURIComponent(v) + '&limit=1')).total;
		if (t !== n || !text.endsWith('(' + t + ')'))
			bad.push([k, v, n, t, text]);
	}
	check('counts: every status and vendor choice shows the API\'s total for q=rhel and that choice (' + opts.length + ' choices)',
		opts.length >= 9 + 2 && bad.length === 0, JSON.stringify(bad.slice(0, 3)));
	// The coverage chart's numbers (its table) are the API's too.
	const rows = await page.$$eval('#coverage details.chart-table tbody tr', (trs) => trs.map((tr) =>
		[tr.dataset.row, ...[...tr.querySelectorAll('td')].map((td) => Number(td.textContent))]));
	const bad2 = [];
	for (const [vendor, validated, other, total] of rows) {
		const q = filter + (vendor ? '&vendor=' + vendor : '');
		const all = (await apiGet('/api/v1/configurations?' + q + '&limit=1')).total;
		const val = (await apiGet('/api/v1/configurations?' + q + '&status=validated&limit=1')).total;
		if (validated !== val || total !== all || other !== all - val)
			bad2.push([vendor, validated, other, total, val, all]);
	}
	check('counts: the coverage chart\'s table (' + rows.length + ' rows) holds the API\'s validated and other counts by vendor',
		rows.length >= 2 && bad2.length === 0, JSON.stringify(bad2));
	const svg = await page.evaluate(() => {
		const s = document.querySelector('#coverage svg');
		return s && { role: s.getAttribute('role'), title: s.querySelector('title').textContent, desc: s.querySelector('desc').textContent,
			labelled: s.getAttribute('aria-labelledby') };
	});
	check('counts: the chart is an img named by its title and described by its desc, which says the numbers',
		svg && svg.role === 'img' && svg.title.length > 10 && /validated/.test(svg.desc) && svg.labelled === 'coverage-chart-title', JSON.stringify(svg));
});

// ---- 9. CSV: what downloads is every match, one row each ----
function parseCsv(text) {
	const rows = [];
	let row = [], cell = '', q = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (q) {
			if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') q = false; else cell += ch;
		} else if (ch === '"') q = true;
		else if (ch === ',') { row.push(cell); cell = ''; }
		else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
		else cell += ch;
	}
	if (cell !== '' || row.length)
		throw new Error('the CSV does not end with CRLF');
	return rows;
}

await step('csv', '15-csv', async () => {
	const filter = 'guest=rhel';
	await page.goto(URL_ + '/#/?' + filter);
	await settled(filter);
	const api = await apiGet('/api/v1/configurations?' + filter + '&limit=500');
	const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
	const text = await readFile(await download.path(), 'utf8');
	const rows = parseCsv(text);
	const head = rows[0];
	const idCol = head.indexOf('id');
	check('csv: the download is named covalid-configurations.csv', download.suggestedFilename() === 'covalid-configurations.csv',
		download.suggestedFilename());
	check('csv: a header and one row per configuration the API counts (' + api.total + ')',
		rows.length === api.total + 1 && rows.every((r) => r.length === head.length), rows.length + ' rows');
	check('csv: the ids are the API\'s', idCol >= 0 &&
		JSON.stringify(rows.slice(1).map((r) => r[idCol]).sort()) === JSON.stringify(api.items.map((c) => c.id).sort()));
	const c0 = api.items.find((c) => c.id === rows[1][idCol]);
	check('csv: a row holds its record (guest, hypervisor, status)', c0 && rows[1][head.indexOf('guest')] === c0.guest.product &&
		rows[1][head.indexOf('hypervisor')] === c0.hypervisor.product && rows[1][head.indexOf('status')] === c0.status, JSON.stringify(rows[1]));
	check('csv: the link is the server\'s CSV of these filters', await page.getAttribute('#csv-export', 'href') ===
		'/api/v1/configurations?' + filter + '&format=csv', await page.getAttribute('#csv-export', 'href'));
});

// ---- 10. check a configuration without covalid: the CLI's verdict ----
await step('plan', '16-plan', async () => {
	if (!process.env.WEBUI_PLAN) {
		skip('plan: the form gives the CLI\'s verdict', 'WEBUI_PLAN not set');
		return;
	}
	const tries = [[process.env.WEBUI_PLAN, process.env.WEBUI_PLAN_CHECK], [process.env.WEBUI_PLAN2, process.env.WEBUI_PLAN2_CHECK]];
	await page.goto(URL_ + '/#/check');
	await settled('#/check');
	await page.waitForSelector('#plan-guest');
	for (const [file, cliFile] of tries) {
		const want = JSON.parse(await readFile(file, 'utf8'));
		const cli = JSON.parse(await readFile(cliFile, 'utf8'));
		await page.selectOption('#plan-guest', 'rhel-5.3');
		await page.selectOption('#plan-arch', want.guest.arch);
		await page.selectOption('#plan-hypervisor', 'hv-ws2008');
		await page.fill('#plan-vcpus', String(want.vm.vcpus));
		await page.fill('#plan-memory', String(want.vm.memory_mib));
		await page.fill('#plan-components', want.integration.present.join(', '));
		await page.evaluate(() => { document.getElementById('check-result').dataset.done = ''; });
		await page.click('#plan-submit');
		await page.waitForFunction(() => document.getElementById('check-result').dataset.done);
		const sent = JSON.parse(await page.locator('#sent-descriptor pre').textContent());
		check('plan (' + want.vm.vcpus + ' vCPU): the descriptor sent is the one built from the product records',
			JSON.stringify(sent) === JSON.stringify(want), JSON.stringify(sent));
		const verdict = (await page.locator('#verdict-heading').textContent()).trim();
		const reason = await page.locator('#verdict-reason').count() ? await page.getAttribute('#verdict-reason', 'data-reason') : 'none';
		const summary = (await page.locator('.verdict-summary').textContent()).trim();
		check('plan (' + want.vm.vcpus + ' vCPU): the verdict is the CLI\'s for the same descriptor (' + cli.verdict + ', ' + cli.reason + ')',
			verdict === cli.verdict && reason === cli.reason && summary === cli.summary, verdict + ' ' + reason + ' ' + summary);
	}
	await page.selectOption('#plan-guest', '');
	await page.click('#plan-submit');
	await page.waitForSelector('#check-result .notice-error');
	check('plan: no guest chosen -> says to choose one', /Choose the guest OS/.test(await page.locator('#check-result').textContent()));
	// Open a case with this machine: the draft, then the case form.
	await page.selectOption('#plan-guest', 'rhel-5.3');
	await page.evaluate(() => { document.getElementById('check-result').dataset.done = ''; });
	await page.click('#plan-submit');
	await page.waitForFunction(() => document.getElementById('check-result').dataset.done);
	await page.evaluate(() => {
		const set = Storage.prototype.setItem;
		window.__sets = [];
		Storage.prototype.setItem = function (k, v) {
			window.__sets.push([k, v]);
			return set.call(this, k, v);
		};
	});
	const sentText = await page.locator('#sent-descriptor pre').textContent();
	await page.click('#check-open-case');
	await page.waitForFunction(() => location.hash.startsWith('#/cases/new'));
	const hash = await page.evaluate(() => location.hash);
	const sets = await page.evaluate(() => window.__sets.filter((x) => x[0] === 'covalid.caseDraft').map((x) => JSON.parse(x[1])));
	check('open a case: goes to #/cases/new?from=check with the draft in sessionStorage covalid.caseDraft (descriptor and title)',
		hash === '#/cases/new?from=check' && sets.length === 1 && sets[0].descriptor === sentText &&
		/^rhel 5\.3 x86_64 on Windows Server 2008 Hyper-V \(/.test(sets[0].title), hash + ' ' + JSON.stringify(sets).slice(0, 200));
	await page.goto(URL_ + '/#/check');
	await settled('#/check');
});

// ---- 11. the owner's dashboard: the API's numbers, as charts ----
async function ownerToken() {
	return (await readFile(process.env.WEBUI_OWNER_TOKEN, 'utf8')).trim();
}

await step('dashboard', '17-dashboard', async () => {
	if (!process.env.WEBUI_OWNER_TOKEN) {
		skip('dashboard: the API\'s numbers', 'WEBUI_OWNER_TOKEN not set');
		return;
	}
	const token = await ownerToken();
	await page.goto(URL_ + '/#/dashboard');
	await settled('#/dashboard');
	check('dashboard: signed out, it asks to sign in', await page.locator('#sign-in-to-see').count() === 1);
	check('dashboard: signed out, no Dashboard in the navigation', await page.locator('#nav-dashboard').isHidden());
	await page.evaluate((t) => sessionStorage.setItem('covalid.token', t), token);
	await page.goto(URL_ + '/#/dashboard');
	await settled('#/dashboard');
	await page.reload();
	await settled('#/dashboard');
	const r = await fetch(URL_ + '/api/v1/admin/dashboard?days=30', { headers: { Authorization: 'Bearer ' + token } });
	const api = await r.json();
	check('dashboard: the owner sees the Dashboard entry', await page.locator('#nav-dashboard').isVisible());
	const totals = Object.fromEntries(await page.$$eval('#dash-totals li', (ls) => ls.map((l) => [l.dataset.total, Number(l.querySelector('.n').textContent)])));
	check('dashboard: the totals are the API\'s (' + api.cases.total + ' cases, ' + api.catalog.total + ' configurations)',
		totals.cases === api.cases.total && totals.cases >= 2 && totals['open-breached'] === api.sla.open_breached &&
		totals.configurations === api.catalog.total && totals.validated === api.catalog.by_status.validated, JSON.stringify(totals));
	const cases = await page.$$eval('#chart-cases rect', (rs) => rs.map((x) => [x.dataset.row, x.dataset.series, Number(x.dataset.value)]));
	const want = api.cases.by_vendor.flatMap((v) => Object.entries(v.states).map(([s, n]) => [v.vendor, s, n]));
	const key = (x) => JSON.stringify(x.slice().sort());
	check('dashboard: the cases chart has a bar segment for each vendor and state the API counts',
		cases.length > 0 && key(cases) === key(want), JSON.stringify(cases) + ' vs ' + JSON.stringify(want));
	const days = await page.$$eval('#dash-sla details.chart-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.row,
		...[...tr.querySelectorAll('td')].slice(0, 3).map((td) => Number(td.textContent))]));
	const slaRects = await page.$$eval('#chart-sla rect', (rs) => rs.map((x) => [x.dataset.row, x.dataset.series, Number(x.dataset.value)]));
	const slaWant = api.sla.breaches.flatMap((b) => ['first_response', 'next_update', 'collaboration'].filter((k) => b[k]).map((k) => [b.day, k, b[k]]));
	check('dashboard: the SLA chart draws each breach the API counts (' + slaWant.length + ', the test made at least one)',
		slaWant.length >= 1 && key(slaRects) === key(slaWant), JSON.stringify(slaRects) + ' vs ' + JSON.stringify(slaWant));
	check('dashboard: the SLA chart\'s table is the API\'s ' + api.sla.breaches.length + ' days',
		JSON.stringify(days) === JSON.stringify(api.sla.breaches.map((b) => [b.day, b.first_response, b.next_update, b.collaboration])),
		JSON.stringify(days.slice(-2)));
	const cov = await page.$$eval('#chart-coverage ~ details tbody tr, #dash-catalog details.chart-table:first-of-type tbody tr', (trs) =>
		trs.map((tr) => [tr.dataset.row, ...[...tr.querySelectorAll('td')].map((td) => Number(td.textContent))]));
	const ms = cov.find((x) => x[0] === 'microsoft');
	const msApi = api.catalog.by_vendor.find((v) => v.vendor === 'microsoft');
	check('dashboard: catalog coverage for Microsoft is the API\'s', ms && msApi && ms[1] === msApi.validated && ms[3] === msApi.total,
		JSON.stringify(ms) + ' ' + JSON.stringify(msApi));
	const svgs = await page.$$eval('main svg', (ss) => ss.map((s) => s.getAttribute('role') === 'img' && !!s.querySelector('title') && !!s.querySelector('desc')));
	check('dashboard: ' + svgs.length + ' charts, each an img with a title and a description', svgs.length === 4 && svgs.every(Boolean));
	await page.evaluate(() => sessionStorage.removeItem('covalid.token'));
});

// ---- 12. phone width: no sideways scrolling, tables as cards; screenshots at both widths ----
await step('phone', '18-phone', async () => {
	const token = process.env.WEBUI_OWNER_TOKEN ? await ownerToken() : null;
	const pages = [['catalog', '#/', ''], ['matrix', '#/?view=matrix', 'view=matrix'], ['configuration', '#/config/' + CONFIG, CONFIG],
		['check', '#/check', '#/check'], ['vendor', '#/vendor/microsoft', '#/vendor/microsoft'], ['vendors', '#/vendors', '#/vendors'],
		['dashboard', '#/dashboard', '#/dashboard']];
	const descriptor = process.env.WEBUI_DESCRIPTOR ? await readFile(process.env.WEBUI_DESCRIPTOR, 'utf8') : null;
	for (const width of [1366, 375]) {
		const ctx2 = await browser.newContext({ viewport: { width, height: width > 1000 ? 900 : 800 } });
		const p = await ctx2.newPage();
		p.setDefaultTimeout(20000);
		p.on('pageerror', (e) => consoleErrors.push({ step: 'phone', text: 'uncaught: ' + e.message }));
		if (token)
			await p.addInitScript((t) => sessionStorage.setItem('covalid.token', t), token);
		const wide = [];
		for (const [name, hash, part] of pages) {
			await p.goto(URL_ + '/' + hash);
			await p.waitForFunction((x) => {
				const m = document.querySelector('main');
				const f = location.hash || '#/';
				return m && m.getAttribute('aria-busy') === 'false' && m.dataset.rendered === f && f.includes(x);
			}, part);
			if (name === 'catalog')
				await p.waitForSelector('form.search[data-counted="true"]');
			if (name === 'check' && descriptor) {
				await p.fill('#descriptor', descriptor);
				await p.click('#check-submit');
				await p.waitForSelector('#check-result[aria-busy="false"] #verdict-heading');
			}
			const sw = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
			if (sw[0] > sw[1])
				wide.push(name + ' ' + sw[0]);
			// At 1366 px the catalog's table and the matrix fit without a scroll bar of their own.
			if (width === 1366 && (name === 'catalog' || name === 'matrix')) {
				const box = await p.evaluate(() => {
					const w = document.querySelector('table.configs, #matrix').closest('.table-wrap');
					return [w.scrollWidth, w.clientWidth];
				});
				if (box[0] > box[1])
					wide.push(name + '\'s table ' + box[0] + ' in ' + box[1]);
			}
			if (name !== 'vendors')
				await p.screenshot({ path: shots + '/' + name + '-' + width + '.png', fullPage: true });
		}
		check('phone: at ' + width + ' px no page scrolls sideways (scrollWidth <= innerWidth): ' + pages.map((x) => x[0]).join(', ') +
			(width === 1366 ? '; nor the catalog\'s table and the matrix in their boxes' : ''),
			wide.length === 0, wide.join('; '));
		if (width === 375) {
			await p.goto(URL_ + '/#/');
			await p.waitForSelector('table.configs tbody tr');
			const card = await p.evaluate(() => {
				const td = document.querySelector('table.configs tbody td.hypervisor');
				const tr = td.parentElement;
				return { display: getComputedStyle(td).display, before: getComputedStyle(td, '::before').content,
					head: getComputedStyle(document.querySelector('table.configs thead')).position, height: tr.getBoundingClientRect().height };
			});
			check('phone: at 375 px a catalog row is a card, each value labelled (' + card.before + ')',
				card.display === 'block' && card.before === '"Hypervisor: "' && card.head === 'absolute', JSON.stringify(card));
			const nav = await p.evaluate(() => {
				const n = document.querySelector('.site-nav');
				const r = n.getBoundingClientRect();
				return [r.left, r.right, window.innerWidth, [...n.querySelectorAll('a')].filter((a) => a.offsetParent)
					.every((a) => a.getBoundingClientRect().right <= window.innerWidth)];
			});
			check('phone: the navigation fits the width (every entry within 375 px)', nav[0] >= 0 && nav[1] <= nav[2] && nav[3], JSON.stringify(nav));
		}
		await ctx2.close();
	}
});

H.step = 'end';
const unexpected = consoleErrors.filter((e) => !(e.step === 'check-error' && /status of 400/.test(e.text)) &&
	!(e.step === 'vendor' && /status of 404/.test(e.text)));
check('no console errors or uncaught exceptions on any page (but the 400 and 404 asked for)', unexpected.length === 0,
	JSON.stringify(unexpected.slice(0, 5)));
check('no request left this server', foreign.length === 0, foreign.slice(0, 5).join(' '));
await browser.close();
emit({ done: true });
