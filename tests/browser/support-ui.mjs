// support-ui.mjs - the web UI's support pages, end to end, in headless
// Chromium: signing in with a token, the cases, opening one, a case with
// its configuration, entitlement, collaborations, notes by visibility and
// timeline, and every change through the page; each user's header names
// it and its role, and each page offers only that user's actions.
//
//   node tests/browser/support-ui.mjs URL SCREENSHOT_DIR
//
// URL is a running `covalid serve --web web` set up as tests/t/t5002 does
// (Microsoft, Red Hat, the customer contoso with its agreements).  The
// environment gives: SUPPORT_TOKENS (a directory with customer.token,
// microsoft.token, manager.token (Microsoft's vendor-manager), red-hat.token
// and owner.token), SUPPORT_DESCRIPTOR (a machine the catalog validates:
// hyperv2008-rhel53), SUPPORT_DESCRIPTOR_REFUSED (one Red Hat's
// subscription does not cover), SUPPORT_BREACHED (the id of a case past its
// SLA), SUPPORT_UNVALIDATED (the id of a case with Microsoft for a machine
// the catalog does not validate), CHROMIUM (default /usr/bin/chromium).
//
// Prints one JSON result a line (lib.mjs), which t5002-support-ui.sh turns
// into TAP; each step saves a screenshot NN-name.png (20 to 32).  What the page shows
// is compared with the API's own answer to the same user, asked here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { check, emit, harness, launch, playwright, todo } from './lib.mjs';

const [base, shots] = process.argv.slice(2);
if (!base || !shots || !process.env.SUPPORT_TOKENS || !process.env.SUPPORT_DESCRIPTOR) {
	console.error('usage: SUPPORT_TOKENS=DIR SUPPORT_DESCRIPTOR=FILE ... node support-ui.mjs URL SCREENSHOT_DIR');
	process.exit(2);
}
const URL_ = base.replace(/\/$/, '');
const STEPS = ['sign-in', 'customer-cases', 'open-refused', 'open-case', 'vendor-queue', 'internal-note',
	'conflict-engage', 'engaged-vendor', 'screens', 'resolve', 'customer-view', 'owner-view', 'unvalidated', 'manager-close',
	'list', 'from-check'];

const pw = await playwright(STEPS.map((s) => 'support UI: ' + s));
if (!pw)
	process.exit(0);

const token = {};
for (const who of ['customer', 'microsoft', 'manager', 'red-hat', 'owner'])
	token[who] = (await readFile(join(process.env.SUPPORT_TOKENS, who + '.token'), 'utf8')).trim();
const DESCRIPTOR = await readFile(process.env.SUPPORT_DESCRIPTOR, 'utf8');
const REFUSED = process.env.SUPPORT_DESCRIPTOR_REFUSED;
const BREACHED = process.env.SUPPORT_BREACHED;
const UNVALIDATED = process.env.SUPPORT_UNVALIDATED;

// What each party writes; the checks look for these words on each page.
const TITLE = 'Guest clock drifts under load';
const DESCRIPTION = 'The RHEL 5.3 guest loses about a minute an hour when the host is busy.';
const INTERNAL = 'MS-INTERNAL: suspect the host TSC; do not tell the customer yet';
// The public note is also markup: it must show as written, and do nothing.
const PUBLIC = 'PUBLIC: we are looking into it with Red Hat <img src=x onerror="window.__xss=1"> <b>not bold</b>';
const REASON = 'ENGAGE-REASON: guest kernel timekeeping on 2.6.18';
const SHARED = 'RH-SHARED: boot the 5.3 guest with clock=pit, fixed in 5.4';
const RESOLUTION = 'RESOLUTION: add clock=pit to the kernel command line (Red Hat)';

// The API's own answer, to the same user.
async function apiAs(who, method, path, body) {
	const headers = { 'Accept': 'application/json', 'Authorization': 'Bearer ' + token[who] };
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const r = await fetch(URL_ + '/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	let j = null;
	try {
		j = await r.json();
	} catch (e) {
		j = null;
	}
	return { status: r.status, body: j };
}

async function caseAs(who, id) {
	const r = await apiAs(who, 'GET', '/cases/' + encodeURIComponent(id));
	if (r.status !== 200)
		throw new Error('GET /cases/' + id + ' as ' + who + ': ' + r.status);
	return r.body;
}

const browser = await launch(pw.chromium);
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
const page = await context.newPage();
const H = harness(page, URL_, shots, 4000); // a case page, down to its timeline and actions
const { settled, shot, texts } = H;
const requested = [];
page.on('request', (r) => requested.push(r.url()));

const text = async (sel) => ((await page.locator(sel).first().textContent()) || '').trim();
const mainText = async () => page.locator('main').innerText();
const store = async () => page.evaluate(() => ({
	session: sessionStorage.getItem('covalid.token'),
	sessionKeys: sessionStorage.length,
	local: localStorage.length,
	cookie: document.cookie,
}));
const version = async () => parseInt(await page.getAttribute('#case', 'data-version'), 10);
// The header's "as NAME (ROLE, VENDOR or CUSTOMER)", once /api/v1/me has answered.
const whoText = async () => {
	await page.waitForSelector('#session-who[data-role]');
	return { text: await text('#session-who'), role: await page.getAttribute('#session-who', 'data-role') };
};
// What a case page offers: note visibilities, moves, engaging, answering.
const offered = async () => ({
	visibilities: await page.$$eval('#note-visibility option', (o) => o.map((x) => x.value)),
	moves: await page.$$eval('#state-to option', (o) => o.map((x) => x.value)),
	engage: await page.locator('#engage-form').count(),
	engageStatement: await page.locator('#engage-statement').count(),
	answers: await page.locator('form.collab-form').count(),
});
// After a change: the case is drawn again at the next version.
const changed = async (v) => page.waitForSelector('#case[data-version="' + (v + 1) + '"]');

async function go(hash) {
	await page.goto(URL_ + '/' + hash);
	await settled(hash.replace(/\?.*$/, ''));
}

// Signs out if signed in, then in as WHO from the sign-in page, landing on NEXT.
async function signIn(who, next) {
	if (await page.locator('#sign-out').count()) {
		await page.click('#sign-out');
		await settled('#/signin');
	}
	await go('#/signin?next=' + encodeURIComponent(next));
	await page.fill('#signin-token', token[who]);
	await page.click('#signin-submit');
	await page.waitForSelector('#session-state');
	await settled(next);
}

let caseId = null;

// ---- 20. sign in: a refused token ----
await H.run('sign-in', '20-sign-in-refused', async () => {
	await page.goto(URL_ + '/#/cases');
	await settled('#/cases');
	check('sign in: #/cases without a token asks for one (a sign-in form, "Sign in" in the header)',
		await page.locator('#signin-token').count() === 1 && await page.locator('#sign-in-link').count() === 1 &&
		await page.locator('table.cases').count() === 0);
	check('sign in: the token field is a password field', await page.getAttribute('#signin-token', 'type') === 'password');
	const bogus = 'cv_' + 'A'.repeat(43);
	await page.fill('#signin-token', bogus);
	await page.click('#signin-submit');
	await page.waitForSelector('#signin-result .notice-error');
	const msg = (await page.locator('#signin-result .notice-error').innerText()).replace(/\s*\n\s*/g, ' ');
	check('sign in: a wrong token -> a clear error (' + msg + ')',
		/refused/.test(msg) && /401/.test(msg) && /unauthorized/.test(msg) && /unknown or revoked token/.test(msg), msg);
	check('sign in: ... announced (role=alert)', await page.locator('#signin-result [role="alert"]').count() === 1);
	const s = await store();
	check('sign in: ... and nothing kept (sessionStorage, localStorage, cookies empty)',
		s.sessionKeys === 0 && s.local === 0 && s.cookie === '', JSON.stringify(s));
	check('sign in: ... not signed in', await page.locator('#session-state').count() === 0);
	check('sign in: the token is not in the URL', !page.url().includes(bogus) && !page.url().includes('cv_'), page.url());
});

// ---- 21. the customer signs in and sees its cases ----
await H.run('customer-cases', '21-customer-cases', async () => {
	await H.resume('#/cases', '#/cases');
	await page.fill('#signin-token', token.customer);
	await page.click('#signin-submit');
	await page.waitForSelector('#session-state');
	await settled('#/cases');
	await page.waitForSelector('#cases-heading');
	check('customer: signed in ("Signed in" and a sign-out button in the header)',
		await text('#session-state') === 'Signed in' && await page.locator('#sign-out').count() === 1);
	const me = (await apiAs('customer', 'GET', '/me')).body;
	const w = await whoText();
	check('customer: the header says who: "as Ann Contoso (customer-admin, contoso)" (' + w.text + ')',
		w.text === 'as Ann Contoso (customer-admin, contoso)' && w.role === 'customer-admin' && me.role === 'customer-admin',
		JSON.stringify([w, me && me.role]));
	check('customer: a customer\'s administrator is offered "Open a case"', await page.locator('#open-case-link').count() === 1);
	const s = await store();
	check('customer: the token is in sessionStorage only (not localStorage, not a cookie)',
		s.session === token.customer && s.local === 0 && s.cookie === '', JSON.stringify({ local: s.local, cookie: s.cookie }));
	check('customer: the token is not in the URL', !page.url().includes('cv_'), page.url());
	const api = (await apiAs('customer', 'GET', '/cases?state=open,resolved')).body.items;
	const rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('customer: the cases are the API\'s, closed ones hidden (state=open,resolved: ' + api.length + ')',
		api.length > 0 && JSON.stringify(rows) === JSON.stringify(api.map((c) => c.id)) &&
		await page.isChecked('#cases-closed') === false, JSON.stringify(rows));
	const badges = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => [tr.dataset.id,
		!!tr.querySelector('td.sla .sla-breached') && tr.querySelector('td.sla .sla-breached').textContent]));
	check('customer: "SLA breached" shown exactly where the API says so',
		badges.every(([id, b]) => (b === 'SLA breached') === !!api.find((c) => c.id === id).sla.breached), JSON.stringify(badges));
	check('customer: the case past its SLA (' + BREACHED + ') shows "SLA breached"',
		badges.some(([id, b]) => id === BREACHED && b === 'SLA breached'), JSON.stringify(badges));
	const row = 'table.cases tbody tr[data-id="' + BREACHED + '"]';
	const cells = await texts(row + ' td');
	check('customer: a row says severity, state, vendor and verdict',
		/Sev 4/.test(cells[1]) && /New/.test(cells[2]) && /Microsoft/.test(cells[4]) && /validated/.test(cells[5]), JSON.stringify(cells));
});

// ---- 22. opening a case the customer is not entitled to ----
await H.run('open-refused', '22-open-refused', async () => {
	await H.resume('#/cases', '#/cases');
	const before = (await apiAs('customer', 'GET', '/cases')).body.items.length;
	await page.click('#open-case-link');
	await settled('#/cases/new');
	await page.selectOption('#oc-vendor', 'red-hat');
	await page.selectOption('#oc-severity', '3');
	await page.fill('#oc-title', 'RHEL 6.0 guest hangs at boot');
	await page.fill('#oc-description', 'It hangs after the storvsc driver loads.');
	await page.setInputFiles('#oc-descriptor-file', REFUSED);
	await page.waitForSelector('#oc-descriptor[data-loaded]');
	check('open: the descriptor is read from the chosen file',
		(await page.inputValue('#oc-descriptor')).includes('"version": "6.0"'));
	await page.click('#oc-submit');
	await page.waitForSelector('#open-result[aria-busy="false"] .notice-error');
	const msg = (await page.locator('#open-result .notice-error').innerText()).replace(/\s*\n\s*/g, ' ');
	const reasons = await texts('#open-reasons li');
	check('open: refused -> "not entitled", 422 not_entitled (' + msg + ')',
		/not entitled/.test(msg) && /422/.test(msg) && /not_entitled/.test(msg), msg);
	check('open: ... with each reason listed (' + reasons.join(' | ') + ')',
		reasons.length > 0 && reasons.some((r) => /subscription covering the guest or the host/.test(r) && /does not cover the guest rhel 6\.0/.test(r)),
		JSON.stringify(reasons));
	const refused = await apiAs('customer', 'POST', '/cases', { vendor: 'red-hat', severity: 3, title: 'x', description: 'x',
		descriptor: JSON.parse(await readFile(REFUSED, 'utf8')) });
	const apiReasons = refused.body && refused.body.error && refused.body.error.reasons;
	check('open: ... one line per reason of the server\'s error.reasons (' + (apiReasons || []).length + ')',
		refused.status === 422 && Array.isArray(apiReasons) && JSON.stringify(reasons) === JSON.stringify(apiReasons),
		JSON.stringify([refused.status, apiReasons]));
	check('open: ... announced (role=alert), the form kept', await page.locator('#open-result [role="alert"]').count() === 1 &&
		await page.inputValue('#oc-title') === 'RHEL 6.0 guest hangs at boot');
	const after = (await apiAs('customer', 'GET', '/cases')).body.items.length;
	check('open: ... and no case opened', after === before && (await page.evaluate(() => location.hash)) === '#/cases/new', before + ' -> ' + after);
});

// ---- 23. the customer opens a case with Microsoft ----
await H.run('open-case', '23-case-opened', async () => {
	await H.resume('#/cases/new', '#/cases/new');
	await page.selectOption('#oc-vendor', 'microsoft');
	await page.selectOption('#oc-severity', '2');
	await page.fill('#oc-title', TITLE);
	await page.fill('#oc-description', DESCRIPTION);
	await page.fill('#oc-descriptor', DESCRIPTOR);
	// The host's version as the catalog gives it for Windows Server 2008 Hyper-V
	// (ms-hv2008-*: host_version 6.0), and the customer's word on per-call support.
	await page.fill('#oc-host-version', '6.0');
	await page.check('#oc-per-call');
	await page.click('#oc-submit');
	await page.waitForFunction(() => location.hash.startsWith('#/case/'));
	await settled('#/case/');
	caseId = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#/case/'.length));
	const c = await caseAs('customer', caseId);
	check('open: the new case\'s page (' + caseId + '), saying it was opened',
		/opened with Microsoft/.test(await text('#case-flash')) && await text('#case-title') === TITLE && c.title === TITLE,
		await text('#case-flash'));
	check('open: state New, severity 2, opened with Microsoft',
		await text('#case-state') === 'New' && /Microsoft/.test(await text('#case-vendor')) && c.state === 'new' && c.severity === 2);
	check('open: the configuration is validated, with cooperative support',
		await text('#case-verdict') === 'validated' && c.configuration.verdict === 'validated' &&
		await text('#case-cooperative') === 'cooperative support' && c.configuration.cooperative === true);
	const statement = await text('#case-statement');
	check('open: ... and the statement says so (' + statement + ')',
		statement === c.configuration.statement && /cooperative support/.test(statement), statement);
	const matches = await texts('#case-matches a');
	check('open: the matching configurations are links (' + matches.join(', ') + ')',
		matches.includes('ms-hv2008-hvs-rhel5.3-x86_64') && JSON.stringify(matches) === JSON.stringify(c.configuration.matches));
	const charge = await text('#case-charge');
	check('open: the per-call charge is shown (' + charge + ')',
		!!c.per_call_charge && /per-call support from Microsoft/.test(charge) && /charged/.test(charge) && charge.includes(c.per_call_charge.agreement), charge);
	const ms = await texts('#case-entitlement tr[data-vendor="microsoft"] td');
	const rh = await texts('#case-entitlement tr[data-vendor="red-hat"] td');
	check('open: entitlement with Microsoft: per-call support, its agreement',
		ms[1] === 'entitled' && /per-call support/.test(ms[3]) && ms[2] === c.entitlement.microsoft.agreement, JSON.stringify(ms));
	check('open: entitlement with Red Hat: the subscription covering the guest or the host',
		rh[1] === 'entitled' && /subscription covering the guest or the host/.test(rh[3]) && rh[2] === c.entitlement['red-hat'].agreement,
		JSON.stringify(rh));
	const stated = await text('#case-host-version');
	check('open: the stated host version is recorded and shown (' + stated + ')',
		c.host_version === '6.0' && c.descriptor.hypervisor.version_source === 'stated' && /^6\.0\b/.test(stated) && /stated/.test(stated), stated);
	check('open: per-call said; the per-call agreement recorded in advance is what is charged',
		c.per_call === true && c.per_call_charge.stated === false && c.per_call_charge.agreement === c.entitlement.microsoft.agreement,
		JSON.stringify([c.per_call, c.per_call_charge]));
	check('open: the description and the machine are shown',
		await text('#case-description') === DESCRIPTION && /Red Hat Enterprise Linux Server release 5\.3/.test(await text('#case-guest')));
});

// ---- 24. Microsoft's engineer: the queue ----
await H.run('vendor-queue', '24-vendor-queue', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await page.click('#sign-out');
	await settled('#/signin');
	const s = await store();
	check('sign out: the token is forgotten', s.sessionKeys === 0 && await page.locator('#sign-in-link').count() === 1, JSON.stringify(s));
	await page.fill('#signin-token', token.microsoft);
	await page.click('#signin-submit');
	await page.waitForSelector('#session-state');
	await settled('#/cases');
	await page.waitForSelector('#cases-heading');
	const w = await whoText();
	check('queue: the header says "as Mike Microsoft (vendor-engineer, Microsoft)" (' + w.text + ')',
		w.text === 'as Mike Microsoft (vendor-engineer, Microsoft)' && w.role === 'vendor-engineer', w.text);
	check('queue: a vendor is not offered "Open a case"', await page.locator('#open-case-link').count() === 0);
	const api = (await apiAs('microsoft', 'GET', '/cases?state=open,resolved')).body.items;
	const rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('queue: Microsoft\'s queue is the API\'s (' + api.length + '), with the new case',
		rows.includes(caseId) && JSON.stringify(rows) === JSON.stringify(api.map((c) => c.id)), JSON.stringify(rows));
	await page.selectOption('#cases-state', 'resolved');
	await settled('state=resolved');
	check('queue: filter state=resolved: none', await page.locator('table.cases tbody tr').count() === 0 &&
		/No case in this state/.test(await mainText()));
	await page.selectOption('#cases-state', 'new');
	await settled('state=new');
	const states = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.state));
	const apiNew = (await apiAs('microsoft', 'GET', '/cases?state=new')).body.items;
	check('queue: filter state=new: the API\'s ' + apiNew.length + ', all new, the case among them',
		states.length === apiNew.length && states.every((x) => x === 'new') &&
		await page.locator('table.cases tbody tr[data-id="' + caseId + '"]').count() === 1, JSON.stringify(states));
});

// ---- 25. Microsoft writes an internal note ----
await H.run('internal-note', '25-internal-note', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	if (H.broken)
		await signIn('microsoft', '#/cases?state=new');
	await page.click('table.cases tbody tr[data-id="' + caseId + '"] td.case-title a');
	await settled('#/case/' + caseId);
	check('case: Microsoft may note, move and engage',
		await page.locator('#note-form').count() === 1 && await page.locator('#state-form').count() === 1 &&
		await page.locator('#engage-vendor').count() === 1);
	const o = await offered();
	check('case: ... notes of any visibility, internal first; a new case moves to in progress or resolved; no collaboration to answer',
		JSON.stringify(o.visibilities) === '["internal","shared","public"]' && JSON.stringify(o.moves) === '["in-progress","resolved"]' &&
		o.engage === 1 && o.engageStatement === 0 && o.answers === 0, JSON.stringify(o));
	const labels = await page.$$eval('#note-visibility option', (x) => x.map((e) => e.textContent));
	check('note: a vendor\'s note is internal unless it chooses otherwise (the selected choice, the button says so)',
		await page.inputValue('#note-visibility') === 'internal' && await text('#note-submit') === 'Add the internal note',
		JSON.stringify([await page.inputValue('#note-visibility'), await text('#note-submit')]));
	check('note: each choice says whom it reaches (' + labels.join(' | ') + ')',
		labels[0] === 'Internal — Microsoft\'s engineers only' && /^Shared — .*not the customer/.test(labels[1]) &&
		labels[2] === 'Public — the customer too (Contoso) and Microsoft\'s engineers', JSON.stringify(labels));
	await page.selectOption('#note-visibility', 'public');
	check('note: choosing public says the customer reads it', /The customer reads this note/.test(await text('#note-visibility-hint')) &&
		await text('#note-submit') === 'Add the public note', await text('#note-visibility-hint'));
	await page.selectOption('#note-visibility', 'internal');
	const v = await version();
	await page.fill('#note-body', INTERNAL);
	await page.click('#note-submit');
	await changed(v);
	const c = await caseAs('microsoft', caseId);
	const note = page.locator('li.note[data-visibility="internal"]');
	check('note: the internal note is shown, labelled Internal',
		await note.count() === 1 && (await note.locator('.note-body').textContent()) === INTERNAL &&
		(await note.locator('.badge.vis').textContent()) === 'Internal' && c.notes.some((n) => n.visibility === 'internal' && n.body === INTERNAL));
	check('note: ... the change sent the version read (' + v + ' -> ' + c.version + ')', c.version === v + 1 && await version() === c.version);
	check('note: ... and the page says so', /Internal note added/.test(await text('#case-flash')));
});

// ---- 26. a stale page is refused (409); then Microsoft engages Red Hat ----
await H.run('conflict-engage', '26-engaged', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	if (H.broken)
		await signIn('microsoft', '#/case/' + caseId);
	const v = await version();
	const r = await apiAs('microsoft', 'POST', '/cases/' + caseId + '/notes', { visibility: 'public', body: PUBLIC });
	check('conflict: meanwhile, a public note through the API (200)', r.status === 200, r.status);
	const can = (await caseAs('microsoft', caseId)).engageable;
	const choices = await page.$$eval('#engage-vendor option', (o) => o.map((x) => x.value));
	check('engage: the choices are the vendors the API says can be engaged (' + choices.join(', ') + ')',
		Array.isArray(can) && can.length === 1 && JSON.stringify(choices) === JSON.stringify(can) && !choices.includes('microsoft'),
		JSON.stringify([choices, can]));
	await page.selectOption('#engage-vendor', 'red-hat');
	await page.fill('#engage-reason', REASON);
	await page.click('#engage-submit');
	await page.waitForSelector('#engage-result[aria-busy="false"] .notice-error');
	const msg = (await page.locator('#engage-result .notice-error').innerText()).replace(/\s*\n\s*/g, ' ');
	check('conflict: the stale change -> "the case changed: reload", 409 conflict (' + msg + ')',
		/case changed/.test(msg) && /reload/i.test(msg) && /409/.test(msg) && /conflict/.test(msg), msg);
	check('conflict: ... announced (role=alert), nothing changed on the page',
		await page.locator('#engage-result [role="alert"]').count() === 1 && await version() === v &&
		(await caseAs('microsoft', caseId)).collaborations.length === 0);
	await shot('26-conflict');
	await page.click('#conflict-reload');
	await page.waitForSelector('#case[data-version="' + (v + 1) + '"]');
	check('conflict: reloading shows the change made meanwhile',
		(await texts('li.note[data-visibility="public"] .note-body')).includes(PUBLIC));
	await page.selectOption('#engage-vendor', 'red-hat');
	await page.fill('#engage-reason', REASON);
	await page.click('#engage-submit');
	await changed(v + 1);
	const c = await caseAs('microsoft', caseId);
	const col = c.collaborations[0];
	const row = '#case-collaborations tr[data-id="' + (col && col.id) + '"]';
	const cells = await texts(row + ' td');
	check('engage: Red Hat engaged: the collaboration request, requested, with its due time',
		col && col.vendor === 'red-hat' && col.state === 'requested' && /Red Hat/.test(cells[1]) && cells[3] === 'requested' &&
		await page.getAttribute(row + ' td.due time', 'datetime') === col.due_at, JSON.stringify(cells));
	check('engage: the case is Engaged', await text('#case-state') === 'Engaged (vendors collaborating)' && c.state === 'engaged');
	check('engage: once engaged, the engage form is gone (the API: nobody left to engage), and the page says who is engaged',
		await page.locator('#engage-form').count() === 0 && JSON.stringify(c.engageable) === '[]' &&
		/Red Hat is engaged \(requested\)/.test(await text('#engage-done')), await text('#engage-done'));
	const shared = await page.$$eval('#note-visibility option', (x) => x.map((e) => e.textContent));
	check('engage: ... and a shared note now says it reaches Red Hat (' + shared[1] + ')',
		shared[1] === 'Shared with Red Hat — both vendors\' engineers, not the customer', JSON.stringify(shared));
});

// ---- 27. Red Hat's engineer: sees the case, not Microsoft's internal note; accepts, answers ----
await H.run('engaged-vendor', '27-engaged-vendor', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('red-hat', '#/cases');
	await page.waitForSelector('#cases-heading');
	const api = (await apiAs('red-hat', 'GET', '/cases')).body.items;
	const rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('engaged: Red Hat\'s queue is the API\'s: the engaged case only',
		JSON.stringify(rows) === JSON.stringify(api.map((c) => c.id)) && rows.includes(caseId) && !rows.includes(BREACHED),
		JSON.stringify(rows));
	const w = await whoText();
	check('engaged: the header says "as Rita Red Hat (vendor-engineer, Red Hat)" (' + w.text + ')',
		w.text === 'as Rita Red Hat (vendor-engineer, Red Hat)' && w.role === 'vendor-engineer', w.text);
	await page.click('table.cases tbody tr[data-id="' + caseId + '"] td.case-title a');
	await settled('#/case/' + caseId);
	const o = await offered();
	check('engaged: offered shared or internal notes and its request to answer; no public note, no engaging, no move before it accepts',
		JSON.stringify(o.visibilities) === '["internal","shared"]' && o.engage === 0 && o.engageStatement === 0 &&
		o.moves.length === 0 && o.answers === 1 && await page.locator('#engage-vendor').count() === 0, JSON.stringify(o));
	check('engaged: the summary: title, description, vendor',
		await text('#case-title') === TITLE && await text('#case-description') === DESCRIPTION && /Microsoft/.test(await text('#case-vendor')));
	check('engaged: the descriptor: guest and hypervisor',
		/Red Hat Enterprise Linux Server release 5\.3/.test(await text('#case-guest')) &&
		(await page.locator('#case-descriptor').textContent()).includes('Windows Server 2008 Hyper-V'));
	const body = await mainText();
	const all = await page.locator('main').textContent();
	check('engaged: Microsoft\'s internal note is nowhere on the page',
		!body.includes('MS-INTERNAL') && !all.includes('MS-INTERNAL') && await page.locator('li.note[data-visibility="internal"]').count() === 0);
	check('engaged: its own entitlement only', JSON.stringify(await page.$$eval('#case-entitlement tbody tr', (t) => t.map((x) => x.dataset.vendor))) === '["red-hat"]');
	let v = await version();
	await page.click('form.collab-form button[data-action="accept"]');
	await changed(v);
	let c = await caseAs('red-hat', caseId);
	check('engaged: accepting the request: accepted',
		c.collaborations[0].state === 'accepted' && (await texts('#case-collaborations td.collab-state'))[0] === 'accepted');
	const o2 = await offered();
	check('engaged: once accepted, it may resolve the case (and only that), and mark its work',
		JSON.stringify(o2.moves) === '["resolved"]' && o2.engage === 0 && o2.answers === 1 &&
		JSON.stringify(await page.$$eval('form.collab-form button', (b) => b.map((x) => x.value))) === '["working","done"]', JSON.stringify(o2));
	const options = await page.$$eval('#note-visibility option', (o) => o.map((x) => x.value));
	check('engaged: notes are internal (by default) or shared (it speaks to the customer through Microsoft)',
		JSON.stringify(options) === '["internal","shared"]' && await page.inputValue('#note-visibility') === 'internal', JSON.stringify(options));
	v = await version();
	await page.selectOption('#note-visibility', 'shared');
	await page.fill('#note-body', SHARED);
	await page.click('#note-submit');
	await changed(v);
	c = await caseAs('red-hat', caseId);
	const note = page.locator('li.note[data-visibility="shared"]');
	check('engaged: its answer, a shared note, labelled Shared',
		await note.count() === 1 && (await note.locator('.note-body').textContent()) === SHARED &&
		(await note.locator('.badge.vis').textContent()) === 'Shared' && c.notes.some((n) => n.body === SHARED && n.visibility === 'shared'));
});


// ---- the pages at 1366 and 375 px: the layout, and a phone's page never wider than the screen ----
const WIDTHS = [[1366, 900], [375, 800]];
// No horizontal scroll: the page is no wider than the window.
const fits = async () => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
async function atWidths(name, fn) {
	for (const [w, hgt] of WIDTHS) {
		await page.setViewportSize({ width: w, height: hgt });
		await page.waitForFunction((x) => window.innerWidth === x, w);
		if (fn)
			await fn(w);
		const f = await fits();
		check(name + ' at ' + w + ' px: no horizontal scroll (' + f.scroll + ' <= ' + f.inner + ')', f.scroll <= f.inner, JSON.stringify(f));
		await shot(name + '-' + w);
	}
	await page.setViewportSize({ width: 1366, height: 900 });
}

await H.run('screens', '33-screens', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('customer', '#/cases');
	await page.waitForSelector('#cases-heading');
	await atWidths('case-list', async (w) => {
		const display = await page.$eval('table.cases tbody tr', (tr) => getComputedStyle(tr).display);
		if (w === 375)
			check('case list at 375 px: the cases are cards (a row is a block, its cells labelled)', display === 'block' &&
				await page.$eval('table.cases tbody td.state', (td) => getComputedStyle(td, '::before').content) === '"State: "', display);
		else
			check('case list at 1366 px: a table', display === 'table-row', display);
	});
	await go('#/case/' + encodeURIComponent(caseId));
	await atWidths('case-customer', async (w) => {
		if (w === 375) {
			const y = await page.evaluate(() => ['#note-form', '#case-actions', '#case-summary'].map((s) => document.querySelector(s).getBoundingClientRect().top));
			check('case at 375 px: one column, the actions right after the reply box, the details after them',
				y[0] < y[1] && y[1] < y[2], JSON.stringify(y));
			return;
		}
		// The reply box right under the latest note; the actions beside the notes, not below the page.
		const box = await page.evaluate(() => {
			const r = (s) => { const e = document.querySelector(s); return e ? e.getBoundingClientRect() : null; };
			const notes = r('#case-notes'), reply = r('#note-form'), side = r('#case-actions');
			return { notesBottom: notes && notes.bottom + scrollY, replyTop: reply && reply.top + scrollY, sideTop: side && side.top + scrollY,
				sideLeft: side && side.left, notesRight: notes && notes.right, height: document.documentElement.scrollHeight };
		});
		check('case at 1366 px: the reply box right under the notes, the actions in a side panel beside them',
			box.replyTop - box.notesBottom >= 0 && box.replyTop - box.notesBottom < 40 && box.sideLeft >= box.notesRight &&
			box.sideTop < box.replyTop, JSON.stringify(box));
	});
	// The history of who sees a case: '#/case' as its own vendor, engaged on it.
	await signIn('microsoft', '#/case/' + caseId);
	await atWidths('case-vendor', async (w) => {
		if (w !== 1366)
			return;
		const pos = await page.evaluate(() => getComputedStyle(document.querySelector('.case-side')).position);
		check('case at 1366 px: the side panel stays in view (sticky)', pos === 'sticky', pos);
		const c = await caseAs('microsoft', caseId);
		const next = c.sla && c.sla.next;
		const line = await text('#case-countdown');
		const want = next && (next.clock === 'collaboration' ? 'Red Hat\'s answer' : next.clock.replace('_', ' '));
		check('case: the SLA countdown is the API\'s clock due first (' + line + ')',
			!!next && line.startsWith(want + ' ' + (next.state === 'breached' ? 'breached' : 'due')) &&
			await page.getAttribute('#case-countdown .sla-countdown', 'data-due') === next.due, JSON.stringify([line, next]));
		const t = page.locator('#case-notes li.note time').first();
		check('case: times are relative ("… ago"), the absolute time in datetime and title',
			/(ago|just now)$/.test((await t.textContent()).trim()) && !!Date.parse(await t.getAttribute('datetime')) &&
			/UTC$/.test(await t.getAttribute('title')), await t.textContent());
	});
	await signIn('customer', '#/cases/new');
	await atWidths('case-new');
});

// ---- 28. Microsoft resolves the case ----
await H.run('resolve', '28-resolved', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('microsoft', '#/case/' + caseId);
	const shared = page.locator('li.note[data-visibility="shared"]');
	check('resolve: Microsoft sees Red Hat\'s shared note, its own internal one and the public one',
		(await shared.locator('.note-body').textContent()) === SHARED &&
		(await texts('li.note[data-visibility="internal"] .note-body')).includes(INTERNAL) &&
		(await texts('li.note[data-visibility="public"] .note-body')).includes(PUBLIC));
	check('resolve: notes are visibly different by visibility (their labels)',
		JSON.stringify([...new Set(await texts('li.note .badge.vis'))].sort()) === '["Internal","Public","Shared"]');
	const v = await version();
	const before = await page.isVisible('#state-resolution');
	await page.selectOption('#state-to', 'resolved');
	check('resolve: resolving (only) asks for the resolution', !before && await page.isVisible('#state-resolution'));
	await page.fill('#state-resolution', RESOLUTION);
	await page.click('#state-submit');
	await changed(v);
	const c = await caseAs('microsoft', caseId);
	check('resolve: the case is Resolved', await text('#case-state') === 'Resolved' && c.state === 'resolved');
	check('resolve: ... with its resolution', (await text('#case-resolution .resolution-text')) === RESOLUTION && c.resolution.text === RESOLUTION);
	const seqs = await page.$$eval('ol.timeline li', (l) => l.map((x) => Number(x.dataset.seq)));
	check('resolve: the timeline is the API\'s events (' + c.events.length + ')',
		JSON.stringify(seqs) === JSON.stringify(c.events.map((e) => e.seq)), JSON.stringify(seqs));
	const actions = await page.$$eval('ol.timeline li', (l) => l.map((x) => x.dataset.action + (x.dataset.to ? ':' + x.dataset.to : '')));
	const want = ['opened', 'note', 'engage', 'state:engaged', 'collaboration', 'state:resolved'];
	check('resolve: ... opened, notes, engaged, collaboration, resolved (' + actions.join(' ') + ')',
		want.every((a) => actions.includes(a)) && actions.filter((a) => a === 'note').length === 3, JSON.stringify(actions));
	const line = await text('ol.timeline li[data-to="resolved"]');
	check('resolve: ... each event in words, with its author', /Mike Microsoft/.test(line) && /to Resolved/.test(line), line);
	const o = await offered();
	check('resolve: Microsoft\'s engineer may reopen the resolved case, not close it (its manager does); a resolved case engages no one',
		JSON.stringify(o.moves) === '["reopened"]' && o.engage === 0 && o.engageStatement === 0, JSON.stringify(o));
});

// ---- 29. the customer sees public notes only ----
await H.run('customer-view', '29-customer-view', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('customer', '#/case/' + caseId);
	const c = await caseAs('customer', caseId);
	check('customer: the case is Resolved, with its resolution',
		await text('#case-state') === 'Resolved' && (await text('#case-resolution .resolution-text')) === RESOLUTION);
	const vis = await page.$$eval('li.note', (l) => l.map((x) => x.dataset.visibility));
	check('customer: public notes only (' + vis.length + '), the API\'s',
		vis.length > 0 && vis.length === c.notes.length && vis.every((x) => x === 'public') &&
		(await texts('li.note .note-body')).includes(PUBLIC), JSON.stringify(vis));
	const all = await page.locator('main').textContent();
	check('customer: no shared or internal note text anywhere on the page',
		!all.includes('MS-INTERNAL') && !all.includes('RH-SHARED'), all.slice(0, 300));
	check('customer: the engage reason (written for the vendors) is not on the page', !all.includes('ENGAGE-REASON'),
		all.slice(0, 300));
	const found = await page.evaluate(() => ({ xss: window.__xss, elements: document.querySelectorAll('main img, main b, main script').length }));
	check('customer: the note made of markup shows as text, and did nothing', found.xss === undefined && found.elements === 0,
		JSON.stringify(found));
	const seqs = await page.$$eval('ol.timeline li', (l) => l.map((x) => Number(x.dataset.seq)));
	const vises = await page.$$eval('ol.timeline li', (l) => l.map((x) => x.className));
	check('customer: the timeline is the API\'s public events (' + c.events.length + ')',
		JSON.stringify(seqs) === JSON.stringify(c.events.map((e) => e.seq)) && vises.every((x) => /vis-edge-public/.test(x)),
		JSON.stringify(seqs));
	check('customer: no actions a customer cannot take: no collaboration answers',
		await page.locator('form.collab-form').count() === 0);
	const o = await offered();
	check('customer: public notes only (no shared or internal option), no engaging; the resolved case it may close or reopen',
		JSON.stringify(o.visibilities) === '["public"]' && o.engage === 0 && o.engageStatement === 0 &&
		await page.locator('#engage-vendor').count() === 0 && JSON.stringify(o.moves) === '["closed","reopened"]', JSON.stringify(o));
	check('customer: the header still says who', (await whoText()).role === 'customer-admin');
	const shown = await mainText();
	check('customer: no internal numbers: not the case\'s version (nor does the API send it), no note ids',
		!('version' in c) && c.notes.every((n) => !('id' in n)) && await page.locator('#case-version, .note-id').count() === 0 &&
		!/\bversion \d/i.test(shown) && !/note_\d/.test(shown) && await page.getAttribute('#case', 'data-version') === null,
		JSON.stringify(['version' in c, shown.match(/.{0,20}(version|note_\d).{0,20}/i)]));
});

// ---- 30. the program's owner: summaries only ----
await H.run('owner-view', '30-owner-view', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('owner', '#/cases');
	await page.waitForSelector('#cases-heading');
	const me = (await apiAs('owner', 'GET', '/me')).body;
	const w = await whoText();
	check('owner: the header says the role, owner (' + w.text + ')',
		w.role === 'owner' && /\(owner\)$/.test(w.text) && w.text.startsWith('as ' + (me.name || me.token)), JSON.stringify([w, me]));
	check('owner: not offered "Open a case"', await page.locator('#open-case-link').count() === 0);
	const api = (await apiAs('owner', 'GET', '/cases')).body.items;
	const rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('owner: every case (' + api.length + '), the API\'s', rows.length === 3 && JSON.stringify(rows) === JSON.stringify(api.map((c) => c.id)),
		JSON.stringify(rows));
	await page.click('table.cases tbody tr[data-id="' + caseId + '"] td.case-title a');
	await settled('#/case/' + caseId);
	const all = await page.locator('main').textContent();
	check('owner: the case\'s summary and SLA only: no notes, no description, no actions',
		await text('#case-state') === 'Resolved' && /summary and SLA state only/.test(all) && !all.includes(DESCRIPTION) &&
		!all.includes('PUBLIC:') && await page.locator('#case-actions, #case-notes, #case-configuration').count() === 0);
});

// ---- 31. an unvalidated configuration: Microsoft alone, nobody to engage ----
await H.run('unvalidated', '31-unvalidated', async () => {
	if (!UNVALIDATED)
		throw new Error('no unvalidated case was opened');
	await signIn('microsoft', '#/cases');
	await go('#/cases/new');
	check('unvalidated: the open-a-case page offers a vendor no form, and says who opens cases',
		await page.locator('#oc-submit').count() === 0 && /customer's administrator/.test(await text('#open-not-offered')));
	await go('#/case/' + encodeURIComponent(UNVALIDATED));
	const c = await caseAs('microsoft', UNVALIDATED);
	check('unvalidated: the 2-vCPU case is not validated, with no cooperative support',
		await text('#case-verdict') === 'not-validated' && c.configuration.verdict === 'not-validated' &&
		c.configuration.cooperative === false && await page.locator('#case-cooperative').count() === 0);
	const o = await offered();
	const statement = await text('#engage-statement');
	check('unvalidated: instead of the engage form, the server\'s plain statement (' + statement + ')',
		o.engage === 0 && await page.locator('#engage-vendor').count() === 0 && o.engageStatement === 1 &&
		statement === c.configuration.statement && /alone/.test(statement), JSON.stringify(o));
	check('unvalidated: ... Microsoft still notes and moves it',
		JSON.stringify(o.visibilities) === '["internal","shared","public"]' && JSON.stringify(o.moves) === '["in-progress","resolved"]',
		JSON.stringify(o));
});

// ---- 32. Microsoft's manager closes the resolved case ----
await H.run('manager-close', '32-manager-close', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('manager', '#/case/' + caseId);
	const w = await whoText();
	check('manager: the header says "as Max Microsoft (vendor-manager, Microsoft)" (' + w.text + ')',
		w.text === 'as Max Microsoft (vendor-manager, Microsoft)' && w.role === 'vendor-manager', w.text);
	const o = await offered();
	check('manager: the resolved case may be closed (or reopened) by Microsoft\'s manager',
		JSON.stringify(o.moves) === '["closed","reopened"]' && o.engage === 0, JSON.stringify(o));
	const v = await version();
	await page.selectOption('#state-to', 'closed');
	check('manager: closing asks for no resolution', !await page.isVisible('#state-resolution'));
	await page.click('#state-submit');
	await changed(v);
	const c = await caseAs('manager', caseId);
	check('manager: the case is Closed', await text('#case-state') === 'Closed' && c.state === 'closed');
	const line = await text('ol.timeline li[data-to="closed"]');
	check('manager: ... in the timeline, by its manager (' + line + ')', /Max Microsoft/.test(line) && /vendor-manager/.test(line) &&
		/to Closed/.test(line), line);
	check('manager: a closed case may only be reopened', JSON.stringify((await offered()).moves) === '["reopened"]');
});

// ---- 34. the list: search, SLA order, my queue, closed cases shown by a toggle ----
await H.run('list', '34-list', async () => {
	if (!caseId)
		throw new Error('no case was opened');
	await signIn('customer', '#/cases');
	await page.waitForSelector('#cases-heading');
	let rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	check('list: the closed case is hidden by default', !rows.includes(caseId) && rows.length > 0, JSON.stringify(rows));
	await page.check('#cases-closed');
	await settled('closed=1');
	rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	const all = (await apiAs('customer', 'GET', '/cases')).body.items.map((c) => c.id);
	check('list: "Show closed cases" shows it, and every case (the API\'s ' + all.length + ')',
		rows.includes(caseId) && JSON.stringify(rows) === JSON.stringify(all), JSON.stringify(rows));
	await page.fill('#cases-q', 'clock DRIFTS');
	await page.press('#cases-q', 'Enter');
	await settled('q=clock');
	rows = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	const found = (await apiAs('customer', 'GET', '/cases?q=' + encodeURIComponent('clock DRIFTS'))).body.items.map((c) => c.id);
	check('list: search by title finds the case (case-insensitive), the API\'s answer',
		JSON.stringify(rows) === JSON.stringify([caseId]) && JSON.stringify(found) === JSON.stringify([caseId]), JSON.stringify(rows));
	await page.fill('#cases-q', 'no such words anywhere');
	await page.press('#cases-q', 'Enter');
	await settled('q=no');
	check('list: a search finding nothing says so', await page.locator('table.cases tbody tr').count() === 0 &&
		/No case matches this search/.test(await mainText()));

	await signIn('microsoft', '#/cases?sort=sla');
	await page.waitForSelector('#cases-heading');
	const dues = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.slaDue || null]));
	const api = (await apiAs('microsoft', 'GET', '/cases?state=open,resolved&sort=sla')).body.items;
	const apiDues = api.map((c) => [c.id, (c.sla && c.sla.next && c.sla.next.due) || null]);
	const known = apiDues.filter((x) => x[1]).map((x) => x[1]);
	check('list: "SLA urgency" orders by the API\'s due times, the first due first, cases with no clock last (' + dues.length + ')',
		dues.length >= 2 && JSON.stringify(dues) === JSON.stringify(apiDues) && JSON.stringify(known) === JSON.stringify([...known].sort()) &&
		apiDues.findIndex((x) => !x[1]) === (apiDues.some((x) => !x[1]) ? known.length : -1) &&
		await page.inputValue('#cases-sort') === 'sla', JSON.stringify([dues, apiDues]));
	const first = await text('table.cases tbody tr:first-child td.sla .sla-countdown');
	check('list: the most urgent case says its countdown (' + first + ')', /(due in|due now|breached) ?/.test(first) && /(min|h|s|day|days|ago|now)/.test(first), first);
	await page.check('#cases-mine');
	await settled('mine=1');
	const mine = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
	const apiMine = (await apiAs('microsoft', 'GET', '/cases?state=open,resolved&mine=1&sort=sla')).body.items.map((c) => c.id);
	const states = await page.$$eval('table.cases tbody tr', (trs) => trs.map((tr) => tr.dataset.state));
	check('list: "My queue" is the API\'s mine=1: Microsoft\'s new, in-progress or engaged cases (' + mine.length + ')',
		mine.length > 0 && JSON.stringify(mine) === JSON.stringify(apiMine) && states.every((x) => ['new', 'in-progress', 'engaged'].includes(x)),
		JSON.stringify([mine, states]));
});

// ---- 35. check -> case: the check page's draft fills the form, through sign-in ----
await H.run('from-check', '35-from-check', async () => {
	const draft = { descriptor: DESCRIPTOR, title: 'From the check: RHEL 5.3 on Hyper-V' };
	await page.click('#sign-out');
	await settled('#/signin');
	await page.evaluate((d) => sessionStorage.setItem('covalid.caseDraft', JSON.stringify(d)), draft);
	await go('#/cases/new?from=check');
	check('from check: signed out, the page asks to sign in and keeps the draft',
		await page.locator('#signin-token').count() === 1 &&
		await page.evaluate(() => sessionStorage.getItem('covalid.caseDraft')) !== null);
	await page.fill('#signin-token', token.customer);
	await page.click('#signin-submit');
	await page.waitForSelector('#oc-title');
	check('from check: after signing in, the form is filled from the check: title and descriptor',
		await page.inputValue('#oc-title') === draft.title && await page.inputValue('#oc-descriptor') === DESCRIPTOR &&
		/From your check/.test(await text('#oc-from-check')), await page.inputValue('#oc-title'));
	check('from check: ... and the draft is removed', await page.evaluate(() => sessionStorage.getItem('covalid.caseDraft')) === null);
	await go('#/cases');
	await go('#/cases/new?from=check');
	check('from check: without a draft (used once), the form is the plain one', await page.locator('#oc-from-check').count() === 0);
	await page.evaluate(() => sessionStorage.setItem('covalid.caseDraft', '{not json'));
	await go('#/cases');
	await go('#/cases/new?from=check');
	check('from check: an unreadable draft is dropped, the plain form shown',
		await page.locator('#oc-from-check').count() === 0 && await page.locator('#oc-submit').count() === 1 &&
		await page.evaluate(() => sessionStorage.getItem('covalid.caseDraft')) === null);
});

H.step = 'end';
const expected = { 'sign-in': 401, 'open-refused': 422, 'conflict-engage': 409 };
const unexpected = H.consoleErrors.filter((e) => !(expected[e.step] && e.text.includes('status of ' + expected[e.step])));
check('no console errors or uncaught exceptions (but the 401, 422 and 409 asked for)', unexpected.length === 0,
	JSON.stringify(unexpected.slice(0, 5)));
check('no request left this server', H.foreign.length === 0, H.foreign.slice(0, 5).join(' '));
const leaked = requested.filter((u) => /cv_[A-Za-z0-9_-]{10}/.test(u) || Object.values(token).some((t) => u.includes(t)));
check('no token in any URL the page asked for (' + requested.length + ' requests)', leaked.length === 0, leaked.join(' '));
const s = await store();
check('nothing in localStorage, no cookie, at the end', s.local === 0 && s.cookie === '', JSON.stringify({ local: s.local, cookie: s.cookie }));
await browser.close();
emit({ done: true });
