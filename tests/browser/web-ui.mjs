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
// made of markup), CHROMIUM (default /usr/bin/chromium).
//
// Prints one JSON object a line, which tests/t/t5001-web-ui.sh turns into
// TAP: {"ok": true|false, "name", "diag"?} or {"skip": REASON, "name"}; the
// last line is {"done": true}.  Each step saves a screenshot NN-name.png.
// The answers the page shows are compared with the API's own, asked here.
import { readFile } from 'node:fs/promises';
import { CSP, check, emit, harness, launch, playwright, skip } from './lib.mjs';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
	console.error('usage: node web-ui.mjs URL SCREENSHOT_DIR');
	process.exit(2);
}
const URL_ = base.replace(/\/$/, '');

const pw = await playwright(['load', 'search', 'configuration', 'check', 'vendor', 'escaping'].map((s) => 'web UI: ' + s));
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

H.step = 'end';
const unexpected = consoleErrors.filter((e) => !(e.step === 'check-error' && /status of 400/.test(e.text)) &&
	!(e.step === 'vendor' && /status of 404/.test(e.text)));
check('no console errors or uncaught exceptions on any page (but the 400 and 404 asked for)', unexpected.length === 0,
	JSON.stringify(unexpected.slice(0, 5)));
check('no request left this server', foreign.length === 0, foreign.slice(0, 5).join(' '));
await browser.close();
emit({ done: true });
