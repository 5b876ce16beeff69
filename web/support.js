/*
 * support.js - cooperative support cases: signing in with a token, the
 * cases, opening one, and one case with its notes, collaborations,
 * timeline and the actions docs/support.md gives this user's role and
 * relation to the case (GET /api/v1/me says who it is); the server decides
 * all the same.
 */

import { collator, api, query, vendors, sessionToken, setSessionToken, readMe, whoAmI, bearer, authApi } from './api.js';
import { main, h, append, clear, list, code, dl, notice, errorNotice, mib, breadcrumbs, render } from './dom.js';

/* ---- support: signing in ---- */

const CASES_PAGE = 50;

/* "Ann Contoso (customer-admin, contoso)", "Mike Microsoft (vendor-engineer, Microsoft)". */
function meText(me, names) {
	const org = me.vendor ? vendorName(me.vendor, names) : me.customer;
	return (me.name || me.token || 'this token') + ' (' + [me.role, org].filter(Boolean).join(', ') + ')';
}

/* The header says whether this tab is signed in, as whom, with its way out. */
export function showSession() {
	const box = document.getElementById('session');
	if (!box)
		return;
	clear(box);
	const token = sessionToken();
	if (token) {
		const who = h('span', { class: 'session-who', id: 'session-who' });
		box.appendChild(h('span', { class: 'session-line' },
			h('span', { class: 'session-state', id: 'session-state' }, 'Signed in'), ' ', who));
		Promise.all([whoAmI(), vendorNames()]).then(([me, names]) => {
			if (sessionToken() !== token || !who.isConnected || !me)
				return;
			who.textContent = 'as ' + meText(me, names);
			who.dataset.role = me.role;
		}, () => {
			if (sessionToken() === token && who.isConnected)
				who.dataset.role = '';
		});
		box.appendChild(h('button', { type: 'button', id: 'sign-out', class: 'session-button', onclick: () => {
			setSessionToken(null);
			if (location.hash === '#/signin')
				render(true);
			else
				location.hash = '#/signin';
		} }, 'Sign out'));
	} else {
		box.appendChild(h('a', { href: '#/signin', id: 'sign-in-link', class: 'session-button' }, 'Sign in'));
	}
}
/* Only a page of this UI, never the sign-in page itself, is a place to go back to. */
function safeNext(next) {
	return typeof next === 'string' && /^#\/[^\s]*$/.test(next) && !next.startsWith('#/signin') ? next : '#/cases';
}

/*
 * The sign-in form.  It checks the token with GET /api/v1/me before
 * keeping it (and keeps the answer); done() runs once it is kept.  The
 * form is POST and handled here, so even a failed script never puts
 * the token in a URL.
 */
function signInForm(done) {
	const input = h('input', { type: 'password', id: 'signin-token', name: 'token', autocomplete: 'off',
		spellcheck: 'false', required: true, placeholder: 'cv_…', 'aria-describedby': 'signin-hint' });
	const submit = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, 'Sign in');
	const out = h('div', { id: 'signin-result', 'aria-live': 'polite' });
	const form = h('form', { class: 'signin-form card', method: 'post', action: '#', 'aria-label': 'Sign in' },
		h('div', { class: 'field' },
			h('label', { for: 'signin-token' }, 'Your token'),
			input,
			h('span', { class: 'hint', id: 'signin-hint' },
				'The token you were given (', code('covalid admin user add'), '). ',
				'It is kept in this tab only (sessionStorage) until you sign out or close it, and sent only to this server.')),
		h('div', { class: 'field field-actions' }, submit),
		out);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const token = input.value.trim();
		clear(out);
		if (!token || !/^[\x21-\x7e]+$/.test(token)) {
			out.appendChild(notice('error', h('p', { class: 'notice-title' }, 'That is not a token.'),
				h('p', null, 'A token is one word of printable characters, like ', code('cv_…'), '.')));
			input.focus();
			return;
		}
		submit.disabled = true;
		let me;
		try {
			me = readMe(await api('/me', { headers: bearer(token), cache: 'no-store' }));
		} catch (e) {
			submit.disabled = false;
			out.appendChild(errorNotice(e, e.status === 401
				? 'This token was refused: it is wrong, unknown or revoked. You are not signed in.'
				: 'Could not sign in.'));
			input.select();
			return;
		}
		input.value = '';
		setSessionToken(token, me);
		done();
	});
	return form;
}

export async function viewSignIn(params, ctx) {
	const page = ctx.page;
	clear(page);
	ctx.title('Sign in');
	page.appendChild(h('h1', null, 'Sign in'));
	if (sessionToken())
		page.appendChild(notice('info', h('p', null, 'This tab is signed in already. Signing in again replaces its token. ',
			h('a', { href: '#/cases' }, 'Your cases'))));
	page.appendChild(h('p', { class: 'lead' },
		'Support cases are shown to their customer and to the vendors working them. Sign in with your token to see yours.'));
	page.appendChild(signInForm(() => {
		location.hash = safeNext(params.get('next'));
	}));
}

/* A support page without a token: say so, and sign in right here. */
function needSignIn(ctx, heading, err) {
	const page = ctx.page;
	clear(page);
	ctx.title(heading);
	page.appendChild(h('h1', null, heading));
	if (err)
		page.appendChild(errorNotice(err, err.status === 401
			? 'Your token was refused (wrong, unknown or revoked): sign in again.'
			: 'You are not signed in.'));
	else
		page.appendChild(notice('info', h('p', null, 'Support cases need you to sign in with your token.')));
	page.appendChild(signInForm(() => render(true)));
}

/* ---- support: words and badges ---- */

const CASE_STATES = [
	['new', 'New'],
	['in-progress', 'In progress'],
	['waiting-on-customer', 'Waiting on customer'],
	['engaged', 'Engaged (vendors collaborating)'],
	['resolved', 'Resolved'],
	['closed', 'Closed'],
];
const CASE_STATE_LABEL = new Map(CASE_STATES);
const OPEN_STATES = new Set(['new', 'in-progress', 'waiting-on-customer', 'engaged']);
const SEVERITIES = [
	[1, '1 – critical: production down'],
	[2, '2 – high: production impaired'],
	[3, '3 – medium: a problem with a workaround'],
	[4, '4 – low: a question'],
];
/* Where a case may go from each state (docs/support.md); the server decides who may. */
const MOVES = {
	'new': ['in-progress', 'resolved'],
	'in-progress': ['waiting-on-customer', 'resolved'],
	'waiting-on-customer': ['in-progress', 'resolved'],
	'engaged': ['in-progress', 'waiting-on-customer', 'resolved'],
	'resolved': ['closed', 'reopened'],
	'closed': ['reopened'],
};
const MOVE_LABEL = {
	'in-progress': 'In progress',
	'waiting-on-customer': 'Waiting on customer',
	'resolved': 'Resolved (say how)',
	'closed': 'Closed',
	'reopened': 'Reopened',
};
const VISIBILITIES = [
	['public', 'Public', 'the customer and the vendor the case was opened with'],
	['shared', 'Shared', 'the vendors on the case, not the customer'],
	['internal', 'Internal', 'your organisation only'],
];
const VISIBILITY = new Map(VISIBILITIES.map((v) => [v[0], v]));

function cls(s) {
	return String(s).replace(/[^a-z0-9_-]/g, '');
}

function stateBadge(state) {
	return h('span', { class: 'badge case-state state-' + cls(state), 'data-state': state },
		CASE_STATE_LABEL.get(state) || String(state));
}

function severityBadge(sev) {
	return h('span', { class: 'badge severity sev-' + cls(sev), title: (SEVERITIES.find((s) => s[0] === sev) || [0, ''])[1] },
		'Sev ' + sev);
}

function visibilityBadge(vis) {
	const v = VISIBILITY.get(vis);
	return h('span', { class: 'badge vis vis-' + cls(vis), title: v ? 'Seen by ' + v[2] : null }, v ? v[1] : String(vis));
}

function verdictBadge(verdict) {
	return h('span', { class: 'badge verdict-badge verdict-' + cls(verdict || 'unknown') }, verdict || 'unknown');
}

function clockBadge(clock) {
	const st = clock && clock.state;
	return h('span', { class: 'badge clock clock-' + cls(st || 'none') }, st || '—');
}

/* "Mike Engineer (vendor:microsoft, vendor-engineer)"; never the token id. */
function actor(a) {
	if (!a)
		return h('span', { class: 'muted' }, 'someone');
	const org = a.org ? String(a.org) : '';
	return h('span', { class: 'actor' }, a.name ? String(a.name) : org || 'someone',
		h('span', { class: 'actor-org' }, ' (' + [org, a.role].filter(Boolean).join(', ') + ')'));
}

async function vendorNames() {
	try {
		return new Map((await vendors()).map((v) => [v.id, v.name]));
	} catch (e) {
		return new Map();
	}
}

function vendorName(id, names) {
	return names.get(id) || id;
}

/* "2 h 10 min", "40 min", "3 days 4 h", "12 s": a span of seconds, two units at most. */
export function spanText(s) {
	s = Math.max(0, Math.round(Math.abs(s)));
	if (s < 60)
		return s + ' s';
	const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), min = Math.floor((s % 3600) / 60);
	if (d)
		return d + (d === 1 ? ' day' : ' days') + (hr ? ' ' + hr + ' h' : '');
	if (hr)
		return hr + ' h' + (min ? ' ' + min + ' min' : '');
	return min + ' min';
}

/* "3 h ago" / "in 2 h", the absolute time in its title and datetime. */
function relTime(iso, now) {
	const t = Date.parse(iso);
	if (!iso || isNaN(t))
		return iso ? String(iso) : null;
	const s = ((now === undefined ? Date.now() : now) - t) / 1000;
	const abs = new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
	return h('time', { datetime: iso, title: abs, class: 'rel-time' }, Math.abs(s) < 30 ? 'just now' : s > 0 ? spanText(s) + ' ago' : 'in ' + spanText(s));
}

/* A time something happened: "3 h ago"; never "in 1 min" (the server's
 * clock may run a little ahead of this one): "just now". */
function agoTime(iso) {
	const t = Date.parse(iso);
	return relTime(iso, isNaN(t) ? undefined : Math.max(Date.now(), t));
}

const CLOCK_LABEL = { first_response: 'first response', next_update: 'next update' };

/*
 * The SLA clock due first (sla.next, the server's): "first response due
 * in 2 h 10 min", "Red Hat's answer breached 40 min ago".  The state is
 * the server's (its clock decides a breach); the browser's clock only
 * says how long.
 */
function slaCountdown(next, names, now) {
	if (!next || !next.due)
		return null;
	const what = next.clock === 'collaboration' ? vendorName(next.vendor, names || new Map()) + '\'s answer' : CLOCK_LABEL[next.clock] || next.clock;
	const left = (Date.parse(next.due) - (now === undefined ? Date.now() : now)) / 1000;
	const breached = next.state === 'breached';
	const text = breached ? what + ' breached ' + (left < 0 ? spanText(left) + ' ago' : 'just now')
		: what + ' due ' + (left > 0 ? 'in ' + spanText(left) : 'now');
	return h('span', { class: 'sla-countdown ' + (breached ? 'sla-late' : left < 3600 ? 'sla-soon' : 'sla-pending'),
		'data-due': next.due, 'data-clock': next.clock },
	h('time', { datetime: next.due, title: new Date(Date.parse(next.due)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') }, text));
}

/* The one-line SLA state of a case: breached, or what is due next. */
function slaSummary(sla, names) {
	sla = sla || {};
	const out = [];
	if (sla.breached)
		out.push(h('span', { class: 'badge sla-breached' }, 'SLA breached'));
	const next = slaCountdown(sla.next, names);
	if (next)
		out.push(h('span', { class: 'sub' }, next));
	else if (!sla.breached)
		out.push(h('span', { class: 'badge sla-ok' }, 'within SLA'));
	return out;
}

/* ---- support: the cases ---- */

/*
 * The list's question, from the page's address: a state (or any), a
 * search, "my queue", the order, and whether closed cases show; what it
 * asks the API (closed cases hidden: state=open,resolved).
 */
function casesQuery(params) {
	const state = CASE_STATE_LABEL.has(params.get('state')) ? params.get('state') : '';
	const q = (params.get('q') || '').slice(0, 200);
	const mine = params.get('mine') === '1';
	const sort = params.get('sort') === 'sla' ? 'sla' : '';
	const closed = params.get('closed') === '1';
	let offset = parseInt(params.get('offset') || '0', 10);
	if (!Number.isFinite(offset) || offset < 0)
		offset = 0;
	return { state, q, mine, sort, closed, offset,
		hash: (o) => '#/cases' + query(Object.assign({ state, q, mine: mine ? '1' : '', sort, closed: closed ? '1' : '' }, o)),
		api: () => '/cases' + query({ state: state || (closed ? '' : 'open,resolved'), q, mine: mine ? '1' : '', sort,
			limit: CASES_PAGE, offset: offset || '' }) };
}

export async function viewCases(params, ctx) {
	if (!sessionToken())
		return needSignIn(ctx, 'Support cases');
	const page = ctx.page;
	const cq = casesQuery(params);
	const { state, q, mine, sort, closed, offset } = cq;
	let body, me;
	try {
		[body, me] = await Promise.all([
			authApi(cq.api()),
			whoAmI().catch((e) => {
				if (e.status === 401)
					throw e;
				return null; /* then no "Open a case" link: the page itself still works */
			}),
		]);
	} catch (e) {
		if (!ctx.current())
			return;
		if (e.status === 401 || e.code === 'signed_out')
			return needSignIn(ctx, 'Support cases', e);
		throw e;
	}
	const names = await vendorNames();
	if (!ctx.current())
		return;
	const items = body.items || [];
	clear(page);
	ctx.title('Support cases');
	/* A case is opened by a customer's administrator (docs/support.md). */
	page.appendChild(h('div', { class: 'title-row' },
		h('h1', null, 'Support cases'),
		me && me.role === 'customer-admin'
			? h('a', { href: '#/cases/new', class: 'button primary-link', id: 'open-case-link' }, 'Open a case') : null));
	page.appendChild(h('p', { class: 'lead' },
		'The cases you may see: a customer\'s own, or a vendor\'s queue (opened with it, or engaging it to collaborate).'));

	const sel = h('select', { id: 'cases-state', name: 'state' },
		h('option', { value: '' }, 'any state'),
		CASE_STATES.map(([v, label]) => h('option', { value: v, selected: v === state }, label)));
	const search = h('input', { type: 'search', id: 'cases-q', name: 'q', value: q, maxlength: '200', autocomplete: 'off',
		placeholder: 'title, description or case id' });
	const mineBox = h('input', { type: 'checkbox', id: 'cases-mine', name: 'mine', checked: mine });
	const sortSel = h('select', { id: 'cases-sort', name: 'sort' },
		h('option', { value: '' }, 'last change first'),
		h('option', { value: 'sla', selected: sort === 'sla' }, 'SLA urgency (due first)'));
	const closedBox = h('input', { type: 'checkbox', id: 'cases-closed', name: 'closed', checked: closed, disabled: !!state });
	const go = () => {
		location.hash = cq.hash({ state: sel.value, q: search.value.trim(), mine: mineBox.checked ? '1' : '', sort: sortSel.value,
			closed: closedBox.checked ? '1' : '', offset: '' });
	};
	for (const c of [sel, mineBox, sortSel, closedBox])
		c.addEventListener('change', go);
	const form = h('form', { class: 'search cases-filter', role: 'search', 'aria-label': 'Cases', method: 'get', action: '#' },
		h('div', { class: 'field cases-q-field' }, h('label', { for: 'cases-q' }, 'Search'), search),
		h('div', { class: 'field' }, h('label', { for: 'cases-state' }, 'State'), sel),
		h('div', { class: 'field' }, h('label', { for: 'cases-sort' }, 'Order'), sortSel),
		h('div', { class: 'field field-check' }, h('label', { for: 'cases-mine' }, mineBox, ' My queue'),
			h('span', { class: 'hint' }, me && me.customer ? 'waiting on you' : 'waiting on your organisation')),
		h('div', { class: 'field field-check' }, h('label', { for: 'cases-closed' }, closedBox, ' Show closed cases')),
		h('button', { type: 'submit', class: 'visually-hidden', tabindex: '-1' }, 'Search'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		go();
	});
	page.appendChild(form);

	const total = typeof body.total === 'number' ? body.total : null;
	const what = [state ? (CASE_STATE_LABEL.get(state) || state).toLowerCase() : closed ? '' : 'not closed',
		mine ? 'in your queue' : '', q ? 'matching “' + q + '”' : ''].filter(Boolean).join(', ');
	const count = total !== null && total !== items.length ? items.length + ' of ' + total : String(items.length);
	page.appendChild(h('h2', { id: 'cases-heading' },
		(count === '1' ? '1 case' : count + ' cases') + (what ? ' ' + what : '') +
		(sort === 'sla' ? ', most urgent first' : '') + (offset ? ' (from ' + (offset + 1) + ')' : '')));
	if (!items.length) {
		page.appendChild(notice('info', h('p', { id: 'cases-none' }, state ? 'No case in this state.' : q ? 'No case matches this search.'
			: mine ? 'Nothing waits on you.' : closed ? 'No case yet.' : 'No open case. Closed ones show with "Show closed cases".')));
		return;
	}
	const COLS = ['Case', 'Severity', 'State', 'Customer', 'Vendor', 'Configuration', 'SLA', 'Updated'];
	const table = h('table', { class: 'data cases' },
		h('caption', { class: 'visually-hidden' }, 'Support cases'),
		h('thead', null, h('tr', null, COLS.map((c) => h('th', { scope: 'col' }, c)))));
	const tbody = h('tbody');
	for (const c of items) {
		const href = '#/case/' + encodeURIComponent(c.id);
		const next = c.sla && c.sla.next;
		const tr = h('tr', { class: 'clickable', 'data-id': c.id, 'data-state': c.state, 'data-sla-due': next ? next.due : null },
			h('td', { class: 'case-title', 'data-label': COLS[0] }, h('a', { href }, c.title || c.id), h('span', { class: 'sub id' }, c.id)),
			h('td', { class: 'severity', 'data-label': COLS[1] }, severityBadge(c.severity)),
			h('td', { class: 'state', 'data-label': COLS[2] }, stateBadge(c.state)),
			h('td', { class: 'customer', 'data-label': COLS[3] }, c.customer_name || c.customer || ''),
			h('td', { class: 'vendor', 'data-label': COLS[4] }, vendorName(c.vendor, names),
				(c.collaborations || []).map((col) => h('span', { class: 'sub' },
					'with ' + vendorName(col.vendor, names) + ' (' + col.state + ')'))),
			h('td', { class: 'case-verdict', 'data-label': COLS[5] }, verdictBadge(c.verdict)),
			h('td', { class: 'sla' + (c.sla && c.sla.breached ? ' breached' : ''), 'data-label': COLS[6] }, slaSummary(c.sla, names)),
			h('td', { class: 'updated', 'data-label': COLS[7] }, agoTime(c.updated_at)));
		tr.addEventListener('click', (ev) => {
			if (!ev.target.closest('a'))
				location.hash = href;
		});
		tbody.appendChild(tr);
	}
	table.appendChild(tbody);
	page.appendChild(h('div', { class: 'table-wrap cases-wrap' }, table));
	const more = total !== null ? offset + items.length < total : items.length === CASES_PAGE;
	if (offset > 0 || more) {
		const link = (to, text, rel) => to === null
			? h('span', { class: 'button disabled', 'aria-disabled': 'true' }, text)
			: h('a', { class: 'button', rel, href: cq.hash({ offset: to || '' }) }, text);
		page.appendChild(h('nav', { class: 'pager', 'aria-label': 'Pages' },
			link(offset > 0 ? Math.max(0, offset - CASES_PAGE) : null, '← Previous', 'prev'),
			link(more ? offset + CASES_PAGE : null, 'Next →', 'next')));
	}
}

/* ---- support: opening a case ---- */

const OPEN_DRAFT = { vendor: '', severity: '3', title: '', description: '', descriptor: '', hostVersion: '', perCall: false,
	machine: '', machineName: '', machineVerdict: '' };
let openDraft = { ...OPEN_DRAFT };

/*
 * A refused case.  A 422 not_entitled lists every reason in
 * error.reasons (one line each here); without them, the message.
 */
function openRefused(e) {
	if (e.code !== 'not_entitled' || !e.reasons || !e.reasons.length)
		return errorNotice(e, 'The case was not opened.');
	const m = /^(not entitled to .*?'s support)/.exec(e.message || '');
	return notice('error', h('p', { class: 'notice-title' }, 'The case was not opened: you are not entitled to this vendor\'s support.'),
		h('p', null, 'The server answered ' + e.status + ' ', code(e.code), ': ' + (m ? m[1] : 'not entitled') + ', because:'),
		h('ul', { class: 'plain reasons', id: 'open-reasons' }, e.reasons.map((x) => h('li', null, x))),
		h('p', { class: 'muted' }, 'An agreement with the vendor that covers this machine entitles you; ask the program\'s owner.'));
}

/*
 * "Open a case with this machine" (#/cases/new?machine=ID): the form
 * prefilled from the machine (GET /api/v1/machines/ID) - its
 * descriptor, a title from its verdict and differences, and a vendor
 * that supports or validated the nearest configuration - and the case
 * opened with "machine": ID, so that the case records the machine and
 * its vendors may see it (docs/monitor.md).
 */
function machineTitle(m) {
	const diffs = (Array.isArray(m.differences) ? m.differences : []).map(String);
	const t = String(m.name || m.id) + ' (' + String(m.verdict || 'unknown') + ')' + (diffs.length ? ': ' + diffs.join('; ') : '');
	return t.length > 200 ? t.slice(0, 199) + '…' : t;
}

function machineVendor(m, list) {
	const byName = new Map(list.map((v) => [v.name, v.id]));
	const check = m.check || {};
	const names = [].concat((check.support && check.support.vendors) || [],
		...(check.matches || []).map((c) => c.validated_by || []),
		...(check.nearest || []).slice(0, 1).map((c) => c.validated_by || []));
	for (const n of names)
		if (byName.has(n))
			return byName.get(n);
	return '';
}

function machineDraft(m, list) {
	return { ...OPEN_DRAFT, machine: String(m.id), machineName: String(m.name || m.id), machineVerdict: String(m.verdict || 'unknown'),
		vendor: machineVendor(m, list), title: machineTitle(m),
		descriptor: m.descriptor && typeof m.descriptor === 'object' ? JSON.stringify(m.descriptor, null, 2) : '' };
}

/*
 * The check page's "open a case with this machine" (web/check.js) leaves
 * sessionStorage['covalid.caseDraft'] = {descriptor, title} and comes to
 * #/cases/new?from=check.  The draft is read and removed when the form
 * is drawn for a signed-in user: a signed-out one signs in first, here,
 * and the draft waits.  Unreadable: nothing (the form as usual).
 */
const CASE_DRAFT_KEY = 'covalid.caseDraft';
function takeCheckDraft() {
	let raw = null;
	try {
		raw = sessionStorage.getItem(CASE_DRAFT_KEY);
		sessionStorage.removeItem(CASE_DRAFT_KEY);
	} catch (e) {
		return null;
	}
	let d;
	try {
		d = JSON.parse(raw);
	} catch (e) {
		return null;
	}
	if (!d || typeof d !== 'object')
		return null;
	const descriptor = typeof d.descriptor === 'string' ? d.descriptor
		: d.descriptor && typeof d.descriptor === 'object' ? JSON.stringify(d.descriptor, null, 2) : '';
	const title = typeof d.title === 'string' ? d.title.slice(0, 200) : '';
	return descriptor || title ? { descriptor, title } : null;
}

export async function viewOpenCase(ctx, params) {
	if (!sessionToken())
		return needSignIn(ctx, 'Open a support case');
	const page = ctx.page;
	const machineId = params ? params.get('machine') : null;
	let me = null;
	let machine = null;
	let machineError = null;
	try {
		[me, machine] = await Promise.all([
			whoAmI().catch((e) => {
				if (e.status === 401)
					throw e;
				return null; /* otherwise the form, and the server decides */
			}),
			machineId ? authApi('/machines/' + encodeURIComponent(machineId)).catch((e) => {
				if (e.status === 401)
					throw e;
				machineError = e;
				return null;
			}) : null,
		]);
	} catch (e) {
		if (!ctx.current())
			return;
		if (e.status === 401 || e.code === 'signed_out')
			return needSignIn(ctx, 'Open a support case', e);
	}
	const list = (await vendors().catch(() => [])).filter((v) => v.admitted);
	const names = new Map(list.map((v) => [v.id, v.name]));
	if (!ctx.current())
		return;
	/* A machine's form starts from the machine (and keeps what is typed
	 * after); the plain form is a case without one. */
	if (machine && openDraft.machine !== String(machine.id))
		openDraft = machineDraft(machine, list);
	else if (!machineId && openDraft.machine)
		openDraft = { ...openDraft, machine: '', machineName: '', machineVerdict: '' };
	clear(page);
	ctx.title('Open a case');
	page.appendChild(breadcrumbs([['Cases', '#/cases'], ['Open a case']]));
	page.appendChild(h('h1', null, 'Open a support case'));
	if (me && me.role !== 'customer-admin') {
		page.appendChild(notice('info', h('p', { id: 'open-not-offered' }, 'A case is opened by the customer\'s administrator; you are signed in as ',
			meText(me, names), '. ', h('a', { href: '#/cases' }, 'Your cases'))));
		return;
	}
	let fromCheck = null;
	if (params && params.get('from') === 'check') {
		fromCheck = takeCheckDraft();
		if (fromCheck)
			openDraft = { ...OPEN_DRAFT, descriptor: fromCheck.descriptor, title: fromCheck.title };
	}
	if (fromCheck)
		page.appendChild(notice('info', h('p', { id: 'oc-from-check' },
			'From your check: the machine\'s descriptor and a title are filled in below. Choose the vendor, say what happens, and open the case.')));
	page.appendChild(h('p', { class: 'lead' },
		'For your organisation\'s administrator. Open it with either vendor: the server checks the machine against the catalog ',
		'(a validated configuration gets cooperative support: the vendor can engage the other) and your entitlement with that vendor.'));

	if (machineError)
		page.appendChild(errorNotice(machineError, 'The machine ' + machineId + ' could not be read: the case is opened without it.'));
	const d = openDraft;
	if (d.machine)
		page.appendChild(notice('info', h('p', { id: 'oc-machine' }, 'With the machine ',
			h('a', { href: '#/machine/' + encodeURIComponent(d.machine) }, d.machineName), ' (', code(d.machine), ', ', d.machineVerdict, '): ',
			'its descriptor is below, and the case records the machine, so the vendors on the case may see it. ',
			h('a', { href: '#/cases/new', id: 'oc-without-machine' }, 'Open a case without it'))));
	const vendor = h('select', { id: 'oc-vendor', name: 'vendor', required: true },
		h('option', { value: '' }, 'choose a vendor'),
		list.map((v) => h('option', { value: v.id, selected: v.id === d.vendor }, v.name)));
	const severity = h('select', { id: 'oc-severity', name: 'severity' },
		SEVERITIES.map(([v, label]) => h('option', { value: String(v), selected: String(v) === d.severity }, label)));
	const title = h('input', { type: 'text', id: 'oc-title', name: 'title', maxlength: '200', required: true, value: d.title,
		autocomplete: 'off' });
	const description = h('textarea', { id: 'oc-description', name: 'description', rows: '5', class: 'prose', required: true });
	description.value = d.description;
	const descriptor = h('textarea', { id: 'oc-descriptor', name: 'descriptor', rows: '10', spellcheck: 'false',
		autocomplete: 'off', placeholder: '{"schema": "covalid.descriptor/1", …}', 'aria-describedby': 'oc-descriptor-hint' });
	descriptor.value = d.descriptor;
	const file = h('input', { type: 'file', id: 'oc-descriptor-file', accept: '.json,application/json' });
	/* What a guest cannot see of its host, and the customer's word on per-call support (docs/support.md). */
	const hostVersion = h('input', { type: 'text', id: 'oc-host-version', name: 'host_version', maxlength: '64',
		value: d.hostVersion, autocomplete: 'off', placeholder: 'e.g. 5.4', 'aria-describedby': 'oc-host-version-hint' });
	const perCall = h('input', { type: 'checkbox', id: 'oc-per-call', name: 'per_call', checked: d.perCall,
		'aria-describedby': 'oc-per-call-hint' });
	const submit = h('button', { type: 'submit', class: 'primary', id: 'oc-submit' }, 'Open the case');
	const out = h('div', { id: 'open-result', 'aria-live': 'polite' });
	const field = (id, label, control, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), control,
		hint ? h('span', { class: 'hint', id: id + '-hint' }, hint) : null);
	const form = h('form', { class: 'case-form card', 'aria-label': 'Open a case', method: 'post', action: '#' },
		h('div', { class: 'form-grid' },
			field('oc-vendor', 'Vendor', vendor),
			field('oc-severity', 'Severity', severity)),
		field('oc-title', 'Title', title),
		field('oc-description', 'What happens', description),
		field('oc-descriptor', ['The machine (', code('covalid probe --json'), ')'], descriptor,
			'Paste the descriptor of the machine, or read it from its file.'),
		h('div', { class: 'field-row' },
			h('div', { class: 'field' }, h('label', { for: 'oc-descriptor-file' }, 'or read it from a file'), file)),
		field('oc-host-version', 'Host version (optional)', hostVersion,
			'The release of the host, where the guest cannot see it (Red Hat Enterprise Linux KVM 5.4). Both vendors see what you state.'),
		h('div', { class: 'field' },
			h('label', { for: 'oc-per-call' }, perCall, ' I will buy per-call support'),
			h('span', { class: 'hint', id: 'oc-per-call-hint' },
				'Where no agreement is in place, with a vendor that sells support per call: the case records the charge.')),
		h('div', { class: 'field-row' }, h('div', { class: 'field field-actions' }, submit)),
		out);
	const keep = () => {
		openDraft = { vendor: vendor.value, severity: severity.value, title: title.value,
			description: description.value, descriptor: descriptor.value, hostVersion: hostVersion.value, perCall: perCall.checked,
			machine: d.machine, machineName: d.machineName, machineVerdict: d.machineVerdict };
	};
	form.addEventListener('input', keep);
	form.addEventListener('change', keep);
	file.addEventListener('change', () => {
		const f = file.files && file.files[0];
		if (!f)
			return;
		f.text().then((t) => {
			descriptor.value = t;
			keep();
			descriptor.dataset.loaded = f.name;
		}, (e) => {
			clear(out);
			out.appendChild(errorNotice(e, 'The file could not be read.'));
		});
	});
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		keep();
		clear(out);
		let desc;
		try {
			desc = JSON.parse(descriptor.value);
		} catch (e) {
			out.appendChild(notice('error', h('p', { class: 'notice-title' }, 'The descriptor is not JSON.'),
				h('p', null, e.message, '. Paste the output of ', code('covalid probe --json'), '.')));
			descriptor.focus();
			return;
		}
		submit.disabled = true;
		out.setAttribute('aria-busy', 'true');
		try {
			const body = { vendor: vendor.value, severity: parseInt(severity.value, 10), title: title.value,
				description: description.value, descriptor: desc };
			if (hostVersion.value.trim())
				body.host_version = hostVersion.value.trim();
			if (perCall.checked)
				body.per_call = true;
			if (d.machine)
				body.machine = d.machine;
			const c = await authApi('/cases', { method: 'POST', body: JSON.stringify(body) });
			openDraft = { ...OPEN_DRAFT };
			flash = { hash: '#/case/' + encodeURIComponent(c.id), text: 'Case ' + c.id + ' opened with ' + vendorName(c.vendor, names) + '.' };
			location.hash = flash.hash;
		} catch (e) {
			out.appendChild(openRefused(e));
			if (e.status === 401)
				out.appendChild(h('p', null, h('a', { href: '#/signin?next=' + encodeURIComponent('#/cases/new') }, 'Sign in again')));
		} finally {
			submit.disabled = false;
			out.setAttribute('aria-busy', 'false');
			out.dataset.done = String(Date.now());
		}
	});
	page.appendChild(form);
}

/* ---- support: a case ---- */

let flash = null; /* {hash, text}: said once on the next page at hash */

export async function viewCase(id, ctx) {
	if (!sessionToken())
		return needSignIn(ctx, 'Case ' + id);
	let c;
	try {
		[c, ctx.me] = await Promise.all([
			authApi('/cases/' + encodeURIComponent(id)),
			whoAmI().catch((e) => {
				if (e.status === 401)
					throw e;
				ctx.meError = e; /* the case without actions, saying why */
				return null;
			}),
		]);
	} catch (e) {
		if (!ctx.current())
			return;
		if (e.status === 401 || e.code === 'signed_out')
			return needSignIn(ctx, 'Case ' + id, e);
		clear(ctx.page);
		ctx.title(id);
		ctx.page.appendChild(breadcrumbs([['Cases', '#/cases'], [id]]));
		ctx.page.appendChild(h('h1', null, 'Case ', code(id)));
		ctx.page.appendChild(errorNotice(e, e.status === 404 ? 'There is no case with this id that you may see.' : 'This case could not be loaded.'));
		return;
	}
	const names = await vendorNames();
	if (!ctx.current())
		return;
	let said = null;
	if (flash && flash.hash === location.hash)
		said = flash.text;
	flash = null;
	drawCase(ctx, c, names, said);
}

/*
 * What this user is to the case (docs/support.md, "Visibility"), from
 * who it is (GET /api/v1/me) and the case: the owner (a summary only),
 * the customer, the vendor the case was opened with, or a vendor
 * engaged on it (me.vendor is a collaboration's vendor).  "unknown"
 * when /me could not be read: the case is shown, without actions.
 */
function relationOf(c, me) {
	if (!('description' in c) || (me && me.role === 'owner'))
		return { kind: 'summary' };
	if (!me)
		return { kind: 'unknown' };
	if (me.customer && me.customer === c.customer)
		return { kind: 'customer' };
	if (me.vendor && me.vendor === c.vendor)
		return { kind: 'opened', vendor: me.vendor, manager: me.role === 'vendor-manager' };
	if (me.vendor && (c.collaborations || []).some((col) => col.vendor === me.vendor))
		return { kind: 'engaged', vendor: me.vendor };
	return { kind: 'none' };
}

function drawCase(ctx, c, names, said) {
	const page = ctx.page;
	const rel = relationOf(c, ctx.me);
	clear(page);
	ctx.title(c.title || c.id);
	const box = h('div', { id: 'case', 'data-id': c.id, 'data-version': typeof c.version === 'number' ? String(c.version) : null, 'data-state': c.state });
	page.appendChild(box);
	box.appendChild(breadcrumbs([['Cases', '#/cases'], [c.id]]));
	box.appendChild(h('div', { class: 'title-row' },
		h('h1', { id: 'case-title' }, c.title || c.id),
		h('span', { id: 'case-state' }, stateBadge(c.state)),
		severityBadge(c.severity),
		c.sla && c.sla.breached ? h('span', { class: 'badge sla-breached', id: 'case-breached' }, 'SLA breached') : null));
	/* The version counts every party's changes: the customer is not told it (nor does the API tell it). */
	box.appendChild(h('p', { class: 'muted id-line' }, 'Case ', code(c.id),
		typeof c.version === 'number' ? h('span', { id: 'case-version' }, ' · version ' + c.version) : null,
		' · opened ', agoTime(c.created_at), ' · updated ', agoTime(c.updated_at), ' · ',
		h('button', { type: 'button', class: 'link-button', id: 'case-refresh', onclick: () => render(false) }, 'Reload')));
	const countdown = slaCountdown((c.sla || {}).next, names);
	if (countdown)
		box.appendChild(h('p', { class: 'sla-line', id: 'case-countdown' }, countdown));
	if (said) {
		/* What was done, announced, and where the keyboard goes on from. */
		const n = notice('info', h('p', { id: 'case-flash' }, said));
		n.setAttribute('tabindex', '-1');
		box.appendChild(n);
		if (ctx.current() && main.getAttribute('aria-busy') === 'false')
			n.focus({ preventScroll: true });
	}

	if (rel.kind === 'summary') {
		box.appendChild(caseSummary(c, names));
		box.appendChild(notice('info', h('p', null, 'You see this case\'s summary and SLA state only: the program\'s owner takes no part in cases.')));
		return;
	}
	/* Two columns on a wide screen: the conversation (notes, the reply
	 * box right under the latest, then the details) and, beside it, a
	 * side panel that stays in view with the moves and engaging; one
	 * column on a phone, the panel after the reply box. */
	const conv = h('div', { class: 'case-main' });
	const side = h('aside', { class: 'case-side', 'aria-label': 'Act on the case' });
	if ('description' in c)
		conv.appendChild(h('section', { class: 'card case-opening', 'aria-labelledby': 'sec-case-description' },
			h('h2', { id: 'sec-case-description' }, 'What happens'),
			h('p', { class: 'case-description', id: 'case-description' }, c.description || '')));
	conv.appendChild(caseNotes(c, names, rel));
	const reply = rel.kind === 'unknown' || rel.kind === 'none' ? null : replyForm(ctx, c, names, rel);
	if (reply)
		conv.appendChild(reply);
	conv.appendChild(caseSummary(c, names));
	conv.appendChild(caseCollaborations(ctx, c, names, rel));
	conv.appendChild(caseConfiguration(c));
	conv.appendChild(caseEntitlement(c, names));
	conv.appendChild(caseTimeline(c, names));
	const actions = caseActions(ctx, c, names, rel);
	if (actions)
		side.appendChild(actions);
	box.appendChild(h('div', { class: 'case-layout' + (actions ? '' : ' no-side') }, conv, actions ? side : null));
}

function caseSummary(c, names) {
	const sla = c.sla || {};
	const fr = sla.first_response || {};
	const nu = sla.next_update;
	const res = c.resolution;
	const charge = c.per_call_charge;
	return h('section', { class: 'card', 'aria-labelledby': 'sec-case-summary', id: 'case-summary' },
		h('h2', { id: 'sec-case-summary' }, 'Summary'),
		dl([
			['Customer', c.customer_name ? [c.customer_name, ' ', h('span', { class: 'muted' }, '(' + c.customer + ')')] : c.customer],
			['Opened with', h('span', { id: 'case-vendor' }, vendorName(c.vendor, names))],
			['Severity', SEVERITIES.some((s) => s[0] === c.severity) ? SEVERITIES.find((s) => s[0] === c.severity)[1] : String(c.severity)],
			['State', stateBadge(c.state)],
			['Opened', agoTime(c.created_at)],
			['Updated', agoTime(c.updated_at)],
			['Support level', sla.level],
			['First response', [clockBadge(fr), ' due ', relTime(fr.due), fr.met_at ? [' · met ', agoTime(fr.met_at)] : null]],
			['Next update', nu ? [clockBadge(nu), ' due ', relTime(nu.due)] : null],
			['SLA', h('span', { id: 'case-sla' }, sla.breached ? h('span', { class: 'badge sla-breached' }, 'SLA breached') : h('span', { class: 'badge sla-ok' }, 'within SLA'))],
			['Per-call charge', charge ? h('span', { id: 'case-charge' }, 'per-call support from ' + vendorName(charge.vendor, names) +
				': this case is charged ', charge.agreement ? ['(agreement ', code(charge.agreement), ')']
					: '(the customer said so when opening the case)') : null],
			['Resolution', res ? h('div', { id: 'case-resolution' }, h('p', { class: 'resolution-text' }, res.text),
				h('span', { class: 'sub' }, 'by ', actor(res.by), ', ', agoTime(res.at))) : null],
		]));
}

function caseConfiguration(c) {
	const conf = c.configuration || {};
	const d = c.descriptor || {};
	const hv = d.hypervisor || {};
	const os = (d.guest && d.guest.os) || {};
	const vm = d.vm || {};
	const integ = d.integration || {};
	const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-config', id: 'case-configuration' },
		h('h2', { id: 'sec-case-config' }, 'Configuration'),
		h('div', { class: 'statement statement-' + (conf.cooperative ? 'cooperative' : 'alone') },
			h('p', null, h('span', { id: 'case-verdict' }, verdictBadge(conf.verdict)),
				conf.cooperative ? h('span', { class: 'badge cooperative', id: 'case-cooperative' }, 'cooperative support') : null),
			h('p', { id: 'case-statement' }, conf.statement || ''),
			conf.summary ? h('p', { class: 'muted' }, conf.summary) : null),
		dl([
			['Matching configurations', (conf.matches || []).length
				? h('ul', { class: 'plain', id: 'case-matches' }, conf.matches.map((m) => h('li', null, h('a', { href: '#/config/' + encodeURIComponent(m) }, m))))
				: h('span', { class: 'muted' }, 'none')],
			['Hypervisor', [hv.id ? code(hv.id) : null, ' ', [hv.product, hv.version, hv.build ? 'build ' + hv.build : null].filter(Boolean).join(' ')]],
			/* A case opened with a monitored machine (docs/monitor.md): its page, for whoever may see it. */
			['Monitored machine', typeof c.machine === 'string' && c.machine
				? h('a', { href: '#/machine/' + encodeURIComponent(c.machine), id: 'case-machine' }, c.machine) : null],
			['Host version', c.host_version ? h('span', { id: 'case-host-version' }, c.host_version + ', as the customer stated it') : null],
			['Guest OS', h('span', { id: 'case-guest' }, os.pretty || [os.id, os.version].filter(Boolean).join(' ') || 'unknown',
				d.guest && d.guest.arch ? ' (' + d.guest.arch + ')' : '')],
			['Kernel', d.guest && d.guest.kernel ? code(d.guest.kernel) : null],
			['VM', [typeof vm.vcpus === 'number' ? vm.vcpus + (vm.vcpus === 1 ? ' vCPU' : ' vCPUs') : null, mib(vm.memory_mib), vm.firmware]
				.filter(Boolean).join(', ') || null],
			['Integration components', integ.present ? [integ.present.length ? integ.present.join(', ') : 'none',
				integ.missing && integ.missing.length ? h('span', { class: 'sub' }, 'missing: ' + integ.missing.join(', ')) : null] : null],
		]));
	sec.appendChild(h('details', { class: 'descriptor' },
		h('summary', null, 'The descriptor as sent (JSON)'),
		h('pre', { class: 'json', id: 'case-descriptor' }, JSON.stringify(d, null, 2))));
	return sec;
}

function caseEntitlement(c, names) {
	const ent = c.entitlement || {};
	const ids = Object.keys(ent).sort((a, b) => (a === c.vendor ? -1 : b === c.vendor ? 1 : collator.compare(a, b)));
	const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-ent', id: 'case-entitlement' },
		h('h2', { id: 'sec-case-ent' }, 'Entitlement'),
		h('p', { class: 'muted' }, 'The customer\'s entitlement to each vendor\'s support for this machine, as computed when the case was opened.'));
	if (!ids.length) {
		sec.appendChild(h('p', { class: 'muted' }, 'None shown.'));
		return sec;
	}
	sec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data entitlement' },
		h('caption', { class: 'visually-hidden' }, 'Entitlement by vendor'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Vendor'),
			h('th', { scope: 'col' }, 'Entitled'),
			h('th', { scope: 'col' }, 'Agreement'),
			h('th', { scope: 'col' }, 'Rule'),
			h('th', { scope: 'col' }, 'Level'),
			h('th', { scope: 'col' }, 'Reasons'))),
		h('tbody', null, ids.map((v) => {
			const e = ent[v] || {};
			return h('tr', { 'data-vendor': v, class: e.entitled ? 'entitled' : 'not-entitled' },
				h('td', null, vendorName(v, names), v === c.vendor ? h('span', { class: 'sub' }, 'opened with') : null),
				h('td', { class: 'entitled-cell' }, h('span', { class: 'badge ' + (e.entitled ? 'ent-yes' : 'ent-no') }, e.entitled ? 'entitled' : 'not entitled')),
				h('td', null, e.agreement ? code(e.agreement) : e.per_call_stated ? h('span', { class: 'sub' }, 'per-call, said when opening')
					: h('span', { class: 'muted' }, '—')),
				h('td', null, e.rule || h('span', { class: 'muted' }, '—'), e.charge ? h('span', { class: 'sub charge' }, 'charged per call') : null),
				h('td', null, e.level || h('span', { class: 'muted' }, '—')),
				h('td', { class: 'reasons' }, (e.reasons || []).length ? h('ul', { class: 'plain' }, e.reasons.map((r) => h('li', null, r)))
					: h('span', { class: 'muted' }, '—')));
		})))));
	return sec;
}

function caseCollaborations(ctx, c, names, rel) {
	const cols = c.collaborations || [];
	const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-collab', id: 'case-collaborations' },
		h('h2', { id: 'sec-case-collab' }, 'Collaborations (' + cols.length + ')'));
	if (!cols.length) {
		sec.appendChild(h('p', { class: 'muted' }, 'No other vendor has been engaged on this case.'));
		return sec;
	}
	sec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data collaborations' },
		h('caption', { class: 'visually-hidden' }, 'Collaboration requests'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Request'),
			h('th', { scope: 'col' }, 'Vendor engaged'),
			h('th', { scope: 'col' }, 'Asked by'),
			h('th', { scope: 'col' }, 'State'),
			h('th', { scope: 'col' }, 'Requested'),
			h('th', { scope: 'col' }, 'Answer due'),
			h('th', { scope: 'col' }, 'Answered'),
			h('th', { scope: 'col' }, 'Reason'))),
		h('tbody', null, cols.map((col) => h('tr', { 'data-id': col.id, 'data-state': col.state },
			h('td', null, code(col.id)),
			h('td', null, vendorName(col.vendor, names), col.per_call_charge ? h('span', { class: 'sub charge' }, 'charged per call') : null),
			h('td', null, vendorName(col.by, names)),
			h('td', { class: 'collab-state' }, h('span', { class: 'badge collab collab-' + cls(col.state) }, col.state)),
			h('td', null, agoTime(col.requested_at)),
			h('td', { class: 'due' }, relTime(col.due_at)),
			h('td', null, col.responded_at ? agoTime(col.responded_at) : h('span', { class: 'muted' }, 'not yet')),
			h('td', null, col.reason || '', col.decline_reason ? h('span', { class: 'sub' }, 'declined: ' + col.decline_reason) : null)))))));
	/* The engaged vendor answers its own request. */
	if (rel.kind === 'engaged') {
		for (const col of cols) {
			if (col.vendor !== rel.vendor)
				continue;
			const form = collaborationForm(ctx, c, names, col);
			if (form)
				sec.appendChild(form);
		}
	}
	return sec;
}

function collaborationForm(ctx, c, names, col) {
	const actions = {
		requested: [['accept', 'Accept'], ['decline', 'Decline']],
		accepted: [['working', 'Working on it'], ['done', 'Done']],
		working: [['done', 'Done']],
	}[col.state];
	if (!actions)
		return null;
	const reason = h('input', { type: 'text', id: 'collab-reason-' + cls(col.id), name: 'reason', autocomplete: 'off',
		placeholder: col.state === 'requested' ? 'to decline, say what information is missing' : 'optional' });
	const out = h('div', { class: 'action-result', 'aria-live': 'polite' });
	const form = h('form', { class: 'action collab-form', 'data-collaboration': col.id, 'aria-label': 'Answer ' + col.id, method: 'post', action: '#' },
		h('h3', null, 'Answer the request ', code(col.id)),
		h('div', { class: 'field' }, h('label', { for: 'collab-reason-' + cls(col.id) }, 'Reason'), reason),
		h('div', { class: 'field field-actions' }, actions.map(([a, label]) =>
			h('button', { type: 'submit', value: a, 'data-action': a, class: a === 'accept' || a === 'done' ? 'primary' : null }, label))),
		out);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const a = ev.submitter ? ev.submitter.value : actions[0][0];
		const body = { action: a };
		if (a === 'decline' && !reason.value.trim()) {
			clear(out);
			out.appendChild(notice('error', h('p', null, 'Say what information is missing: the vendor that asked needs it to go on.')));
			reason.focus();
			return;
		}
		if (reason.value.trim())
			body.reason = reason.value.trim();
		act(ctx, c, names, form, out, '/collaborations/' + encodeURIComponent(col.id), body,
			'Collaboration ' + col.id + ': ' + a + '.');
	});
	return form;
}

/* A case's view holds its first page of notes (notes_total says how
 * many there are); "Show more notes" reads the next page. */
function caseNotes(c, names, rel) {
	const notes = c.notes || [];
	const total = typeof c.notes_total === 'number' ? c.notes_total : notes.length;
	const counts = new Map();
	for (const n of notes)
		counts.set(n.visibility, (counts.get(n.visibility) || 0) + 1);
	const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-notes', id: 'case-notes' },
		h('h2', { id: 'sec-case-notes' }, 'Notes (' + total + ')'),
		h('ul', { class: 'legend vis-legend', 'aria-label': 'Who sees a note' },
			VISIBILITIES.filter(([v]) => rel.kind !== 'customer' || v === 'public').map(([v, label, who]) => h('li', null, visibilityBadge(v), ' ' + who +
				(counts.get(v) ? ' (' + counts.get(v) + ')' : '')))));
	if (!notes.length) {
		sec.appendChild(h('p', { class: 'muted' }, 'No notes you may see.'));
		return sec;
	}
	sec.appendChild(h('ol', { class: 'notes-list' }, notes.map((n) => h('li', {
		class: 'note note-' + cls(n.visibility), 'data-id': n.id, 'data-visibility': n.visibility },
	h('div', { class: 'note-head' }, visibilityBadge(n.visibility), ' ', actor(n.author), ' · ', agoTime(n.at),
		n.id ? h('span', { class: 'note-id' }, n.id) : null),
	h('p', { class: 'note-body' }, n.body)))));
	if (notes.length < total) {
		const out = h('div', { class: 'action-result', id: 'notes-more-result', 'aria-live': 'polite' });
		const more = h('button', { type: 'button', id: 'notes-more' },
			'Show more notes (' + notes.length + ' of ' + total + ' shown)');
		more.addEventListener('click', async () => {
			more.disabled = true;
			clear(out);
			try {
				const page = await authApi('/cases/' + encodeURIComponent(c.id) + '/notes?limit=100&offset=' + notes.length);
				const next = Object.assign({}, c, { notes: notes.concat(page.items || []), notes_total: page.total });
				if (!(page.items || []).length)
					next.notes_total = notes.length;
				sec.replaceWith(caseNotes(next, names, rel));
			} catch (e) {
				more.disabled = false;
				out.appendChild(errorNotice(e, 'The next notes could not be loaded.'));
			}
		});
		sec.appendChild(h('p', null, more));
		sec.appendChild(out);
	}
	return sec;
}

/* One line per audit event, in words. */
function eventText(e, names) {
	const d = e.detail || {};
	switch (e.action) {
	case 'opened':
		return ['opened the case with ' + vendorName(d.vendor, names) + ', severity ' + d.severity, d.verdict ? ' (' + d.verdict + ')' : ''];
	case 'note':
		return ['added ' + (e.visibility === 'internal' ? 'an ' : 'a ') + e.visibility + ' note', d.note ? [' ', code(String(d.note))] : ''];
	case 'engage':
		return ['engaged ' + vendorName(d.vendor, names) + ' ', code(String(d.collaboration || ''))];
	case 'state':
		return ['moved the case from ' + (CASE_STATE_LABEL.get(d.from) || d.from) + ' to ' + (CASE_STATE_LABEL.get(d.to) || d.to) +
			(d.because ? ' (' + d.because + ')' : '')];
	case 'collaboration':
		return ['answered collaboration ', code(String(d.collaboration || '')), ': ' + d.state];
	default:
		return [String(e.action), ' ', code(JSON.stringify(d))];
	}
}

function caseTimeline(c, names) {
	const events = c.events || [];
	const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-timeline', id: 'case-timeline' },
		h('h2', { id: 'sec-case-timeline' }, 'Timeline (' + events.length + ')'));
	if (!events.length) {
		sec.appendChild(h('p', { class: 'muted' }, 'No events you may see.'));
		return sec;
	}
	sec.appendChild(h('ol', { class: 'timeline' }, events.map((e) => h('li', {
		class: 'event vis-edge-' + cls(e.visibility), 'data-seq': String(e.seq), 'data-action': e.action,
		'data-to': e.action === 'state' && e.detail ? e.detail.to : null },
	h('span', { class: 'event-when' }, agoTime(e.at)),
	h('span', { class: 'event-what' }, actor(e.author), ' ', eventText(e, names)),
	visibilityBadge(e.visibility)))));
	return sec;
}

/* The notes each party may write (docs/support.md, "Notes"), the
 * default first: a vendor's is internal, never public by accident. */
const NOTE_VISIBILITIES = {
	customer: ['public'],
	opened: ['internal', 'shared', 'public'],
	engaged: ['internal', 'shared'],
};

/*
 * Whom a note of each visibility reaches, for this party on this case,
 * in names: "Internal — Microsoft's engineers only", "Shared with Red
 * Hat — both vendors' engineers", "Public — the customer too (Contoso)".
 * Public notes reach the customer and the vendor the case was opened
 * with (not an engaged vendor); shared ones the vendors on the case;
 * internal ones the author's organisation (src/support/view.c).
 */
function audiences(c, names, rel) {
	const opened = vendorName(c.vendor, names);
	const engaged = [...new Set((c.collaborations || []).filter((col) => ['requested', 'accepted', 'working'].includes(col.state))
		.map((col) => col.vendor))];
	const customer = c.customer_name || c.customer || 'the customer';
	if (rel.kind === 'customer')
		return { public: ['Public', 'you and ' + opened + '\'s engineers'] };
	const own = vendorName(rel.vendor, names);
	const others = rel.kind === 'engaged' ? [opened] : engaged.map((v) => vendorName(v, names));
	return {
		internal: ['Internal', own + '\'s engineers only'],
		shared: others.length
			? ['Shared with ' + others.join(' and '), (others.length > 1 ? 'the vendors\' engineers' : 'both vendors\' engineers') + ', not the customer']
			: ['Shared', 'the vendors on the case, not the customer (no other vendor is engaged yet: ' + own + '\'s engineers only for now)'],
		public: ['Public', 'the customer too (' + customer + ') and ' + own + '\'s engineers'],
	};
}

/*
 * The reply box, right under the latest note: who sees the note is
 * chosen first and said in full (the select, its hint, the button).
 */
function replyForm(ctx, c, names, rel) {
	const allowed = NOTE_VISIBILITIES[rel.kind] || [];
	if (!allowed.length)
		return null;
	const who = audiences(c, names, rel);
	const vis = h('select', { id: 'note-visibility', name: 'visibility', 'aria-describedby': 'note-visibility-hint' },
		allowed.map((v, i) => h('option', { value: v, selected: i === 0 }, who[v][0] + ' — ' + who[v][1])));
	const hint = h('span', { class: 'hint', id: 'note-visibility-hint' });
	const body = h('textarea', { id: 'note-body', name: 'body', rows: '4', class: 'prose', required: true });
	const submit = h('button', { type: 'submit', class: 'primary', id: 'note-submit' });
	const out = h('div', { class: 'action-result', id: 'note-result', 'aria-live': 'polite' });
	const sync = () => {
		const v = vis.value;
		hint.textContent = 'Read by ' + who[v][1] + '.' + (v === 'public' && rel.kind !== 'customer' ? ' The customer reads this note.' : '');
		submit.textContent = 'Add the ' + VISIBILITY.get(v)[1].toLowerCase() + ' note';
		form.dataset.visibility = v;
	};
	const form = h('form', { class: 'action card reply-form', id: 'note-form', 'aria-label': 'Add a note', method: 'post', action: '#' },
		h('h2', { id: 'sec-case-reply' }, 'Reply'),
		h('div', { class: 'field' }, h('label', { for: 'note-visibility' }, 'Who sees it'), vis, hint),
		h('div', { class: 'field' }, h('label', { for: 'note-body' }, 'Note'), body),
		h('div', { class: 'field field-actions' }, submit),
		out);
	vis.addEventListener('change', sync);
	sync();
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (!body.value.trim()) {
			clear(out);
			out.appendChild(notice('error', h('p', null, 'Write the note first.')));
			body.focus();
			return;
		}
		act(ctx, c, names, form, out, '/notes', { visibility: vis.value, body: body.value },
			VISIBILITY.get(vis.value)[1] + ' note added.');
	});
	return form;
}

/*
 * The moves this party may make from the case's state (docs/support.md,
 * "States"): the customer answers (in progress from waiting on it),
 * closes or reopens; the vendor the case was opened with moves it
 * (closing is its manager's); an engaged vendor resolves it once it
 * has accepted its request.
 */
function movesFor(c, rel) {
	switch (rel.kind) {
	case 'customer':
		return { 'waiting-on-customer': ['in-progress'], 'resolved': ['closed', 'reopened'], 'closed': ['reopened'] }[c.state] || [];
	case 'opened':
		return (MOVES[c.state] || []).filter((m) => m !== 'closed' || rel.manager);
	case 'engaged':
		return OPEN_STATES.has(c.state) && (c.collaborations || []).some((col) => col.vendor === rel.vendor &&
			(col.state === 'accepted' || col.state === 'working')) ? ['resolved'] : [];
	default:
		return [];
	}
}

function caseActions(ctx, c, names, rel) {
	if (rel.kind === 'none')
		return null;
	const sec = h('section', { class: 'card side-card', 'aria-labelledby': 'sec-case-actions', id: 'case-actions' },
		h('h2', { id: 'sec-case-actions' }, 'Act on the case'));
	if (rel.kind === 'unknown') {
		sec.appendChild(ctx.meError ? errorNotice(ctx.meError, 'Who you are could not be read (GET /api/v1/me), so no action is offered: reload the page.')
			: notice('info', h('p', null, 'No action is offered.')));
		return sec;
	}
	const countdown = slaCountdown((c.sla || {}).next, names);
	sec.appendChild(h('p', { class: 'side-sla' }, countdown || (c.sla && c.sla.breached
		? h('span', { class: 'badge sla-breached' }, 'SLA breached') : h('span', { class: 'muted' }, 'No SLA clock runs.'))));
	const st = stateForm(ctx, c, names, rel);
	if (st)
		sec.appendChild(st);
	if (rel.kind === 'opened')
		sec.appendChild(engageForm(ctx, c, names));
	if (!st && rel.kind !== 'opened')
		sec.appendChild(h('p', { class: 'muted', id: 'no-moves' }, 'No move is yours to make now: reply with a note.'));
	if (typeof c.version === 'number')
		sec.appendChild(h('p', { class: 'muted small' }, 'Each change is sent with the version you see (' + c.version + '): if the case changed meanwhile, ',
			'the server refuses it and you reload.'));
	return sec;
}

function stateForm(ctx, c, names, rel) {
	const moves = movesFor(c, rel);
	if (!moves.length)
		return null;
	const to = h('select', { id: 'state-to', name: 'to' }, moves.map((m) => h('option', { value: m }, MOVE_LABEL[m] || m)));
	const resolution = h('textarea', { id: 'state-resolution', name: 'resolution', rows: '3', class: 'prose' });
	const resField = h('div', { class: 'field', id: 'state-resolution-field' },
		h('label', { for: 'state-resolution' }, 'Resolution: how it was resolved'), resolution);
	const out = h('div', { class: 'action-result', id: 'state-result', 'aria-live': 'polite' });
	const sync = () => {
		resField.hidden = to.value !== 'resolved';
	};
	to.addEventListener('change', sync);
	sync();
	const form = h('form', { class: 'action', id: 'state-form', 'aria-label': 'Move the case', method: 'post', action: '#' },
		h('h3', null, 'Move the case'),
		h('div', { class: 'form-grid' }, h('div', { class: 'field' }, h('label', { for: 'state-to' }, 'To'), to)),
		resField,
		h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'primary', id: 'state-submit' }, 'Move')),
		out);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const body = { to: to.value };
		if (to.value === 'resolved') {
			if (!resolution.value.trim()) {
				clear(out);
				out.appendChild(notice('error', h('p', null, 'Say how the case was resolved.')));
				resolution.focus();
				return;
			}
			body.resolution = resolution.value;
		}
		act(ctx, c, names, form, out, '/state', body, 'Moved to ' + (MOVE_LABEL[to.value] || to.value).replace(/ \(.*\)$/, '').toLowerCase() + '.');
	});
	return form;
}

/*
 * Offered to the vendor the case was opened with: the vendors the server
 * says it may engage now (c.engageable: an open case of a validated
 * configuration, a vendor the customer is entitled with, not engaged
 * already); otherwise the page says why not (for an unvalidated one, the
 * server's plain statement) and offers no form.
 */
function engageForm(ctx, c, names) {
	const conf = c.configuration || {};
	const can = Array.isArray(c.engageable) ? c.engageable : [];
	const engaged = (c.collaborations || []).filter((col) => ['requested', 'accepted', 'working'].includes(col.state));
	if (!conf.cooperative || !OPEN_STATES.has(c.state) || !can.length)
		return h('div', { class: 'action', id: 'engage-unavailable' },
			h('h3', null, 'Engage another vendor'),
			!conf.cooperative
				? h('p', { class: 'muted', id: 'engage-statement' }, conf.statement ||
					'Not a validated configuration: cooperative support with another vendor is not offered.')
				: !OPEN_STATES.has(c.state)
					? h('p', { class: 'muted' }, 'A ' + (CASE_STATE_LABEL.get(c.state) || c.state).toLowerCase() + ' case engages no one.')
					: engaged.length
						? h('p', { class: 'muted', id: 'engage-done' }, engaged.map((col) => vendorName(col.vendor, names) + ' is engaged (' + col.state + ')').join('; ') +
							': no other vendor can be engaged.')
						: h('p', { class: 'muted', id: 'engage-none' }, 'No other vendor can be engaged: the customer is entitled with none.'));
	const form = h('form', { class: 'action', id: 'engage-form', 'aria-label': 'Engage another vendor', method: 'post', action: '#' },
		h('h3', null, 'Engage another vendor'));
	const vendor = h('select', { id: 'engage-vendor', name: 'vendor', required: true },
		can.map((v) => h('option', { value: v }, vendorName(v, names))));
	const reason = h('textarea', { id: 'engage-reason', name: 'reason', rows: '2', class: 'prose',
		placeholder: 'what you need from them (the vendors read it, not the customer)' });
	const out = h('div', { class: 'action-result', id: 'engage-result', 'aria-live': 'polite' });
	append(form, [
		h('p', { class: 'muted' }, 'Asks the other vendor to collaborate: it answers within the collaboration SLA.'),
		h('div', { class: 'field' }, h('label', { for: 'engage-vendor' }, 'Vendor'), vendor),
		h('div', { class: 'field' }, h('label', { for: 'engage-reason' }, 'Reason'), reason),
		h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'primary', id: 'engage-submit' }, 'Engage')),
		out,
	]);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const body = { vendor: vendor.value };
		if (reason.value.trim())
			body.reason = reason.value.trim();
		act(ctx, c, names, form, out, '/engage', body, vendorName(body.vendor, names) + ' engaged.');
	});
	return form;
}

/*
 * Sends one change with the case's version; the answer is the case as
 * it now is, drawn in place.  A stale version is a 409: the page says
 * the case changed and offers to reload it (nothing is lost but what
 * was typed, which stays in the form).
 */
async function act(ctx, c, names, form, out, path, body, done) {
	const buttons = [...form.querySelectorAll('button')];
	clear(out);
	buttons.forEach((b) => { b.disabled = true; });
	out.setAttribute('aria-busy', 'true');
	try {
		let next = await authApi('/cases/' + encodeURIComponent(c.id) + path, {
			method: 'POST', body: JSON.stringify(Object.assign({}, body, { version: c.version })) });
		/* A note's answer is the note and the case's version, not the
		 * case (a case may hold a thousand notes): read the case again. */
		if (next && next.note && !('title' in next))
			next = await authApi('/cases/' + encodeURIComponent(c.id));
		if (!ctx.current())
			return;
		drawCase(ctx, next, names, done);
	} catch (e) {
		if (!ctx.current())
			return;
		if (e.status === 409 && e.code === 'conflict') {
			out.appendChild(notice('error',
				h('p', { class: 'notice-title' }, 'The case changed since you loaded it: reload it, then try again.'),
				h('p', null, 'The server answered 409 ', code(e.code), ': ', e.message),
				h('p', null, h('button', { type: 'button', class: 'primary', id: 'conflict-reload', onclick: () => render(false) }, 'Reload the case'))));
		} else {
			out.appendChild(errorNotice(e, e.status === 401 ? 'Your token was refused: sign in again.' : 'That change was not made.'));
			if (e.status === 401)
				out.appendChild(h('p', null, h('a', { href: '#/signin?next=' + encodeURIComponent(location.hash) }, 'Sign in again')));
		}
	} finally {
		buttons.forEach((b) => { b.disabled = false; });
		out.setAttribute('aria-busy', 'false');
		out.dataset.done = String(Date.now());
	}
}
