/*
 * dom.js - element helpers and formatting.  Every value from the API
 * reaches the page as text (textContent, createTextNode, attribute values
 * through setAttribute); nothing is ever parsed as markup, so data cannot
 * become HTML or script.
 */

import { ApiError } from './api.js';

/* docs/catalog.md: the statuses, best first, with their labels. */
export const STATUSES = [
	['validated', 'Validated'],
	['supported', 'Supported'],
	['supported_historical', 'Supported (historical)'],
	['supported_profile', 'Supported (profile)'],
	['supported_limited', 'Supported (limited)'],
	['supported_product_level', 'Supported (product level)'],
	['announced_not_confirmed', 'Announced, not confirmed'],
	['not_supported', 'Not supported'],
	['revoked', 'Revoked'],
];
export const STATUS_LABEL = new Map(STATUSES);
export const STATUS_RANK = new Map(STATUSES.map((s, i) => [s[0], i]));

/* docs/check.md: verdicts and what they mean for the reader. */
export const VERDICTS = {
	'validated': 'This machine is in a validated configuration.',
	'supported': 'This machine is covered by a vendor support statement, not by a validation.',
	'not-supported': 'This machine matches an explicit exclusion.',
	'not-validated': 'No validated or supported configuration matches this machine.',
	'unknown': 'The descriptor does not say which hypervisor or which guest OS this is.',
};

export const main = document.getElementById('main');

/* Draw the page of the current fragment again: app.js's router says how. */
let renderer = null;
export function setRenderer(fn) {
	renderer = fn;
}
export function render(focus) {
	return renderer(focus);
}

/* ---- DOM ---- */

/*
 * h('a', {href: '#/x', class: 'y'}, 'text', node, [more], null): an
 * element.  Strings become text nodes; null and false are skipped.
 */
export function h(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === 'class')
			e.className = v;
		else if (k === 'text')
			e.textContent = v;
		else if (k.startsWith('on') && typeof v === 'function')
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? '' : String(v));
	}
	append(e, children);
	return e;
}

export function append(parent, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false)
			continue;
		if (Array.isArray(c))
			append(parent, c);
		else if (c instanceof Node)
			parent.appendChild(c);
		else
			parent.appendChild(document.createTextNode(String(c)));
	}
}

export function clear(e) {
	while (e.firstChild)
		e.removeChild(e.firstChild);
}

/* Text with its http(s) URLs as links (the sources name their pages). */
export function linkify(text) {
	const out = [];
	const re = /https?:\/\/[^\s|,;()<>"']+[^\s|,;()<>"'.]/g;
	let last = 0;
	let m;
	while ((m = re.exec(text)) !== null) {
		out.push(text.slice(last, m.index));
		out.push(h('a', { href: m[0], rel: 'noopener noreferrer', class: 'external' }, m[0]));
		last = m.index + m[0].length;
	}
	out.push(text.slice(last));
	return out;
}

export function statusBadge(status) {
	return h('span', { class: 'badge status-' + String(status).replace(/[^a-z_-]/g, '') },
		STATUS_LABEL.get(status) || String(status));
}

export function list(items, render) {
	if (!items || items.length === 0)
		return h('span', { class: 'muted' }, 'none');
	return h('ul', { class: 'plain' }, items.map((x) => h('li', null, render ? render(x) : String(x))));
}

export function code(text) {
	return h('code', null, text);
}

/* A description list from [term, value] pairs, skipping absent values. */
export function dl(rows) {
	const d = h('dl', { class: 'facts' });
	for (const [term, value] of rows) {
		if (value === null || value === undefined || value === '')
			continue;
		d.appendChild(h('dt', null, term));
		d.appendChild(h('dd', null, value));
	}
	return d;
}

export function notice(kind, ...content) {
	return h('div', { class: 'notice notice-' + kind, role: kind === 'error' ? 'alert' : 'status' }, content);
}

export function errorNotice(err, what) {
	const e = err instanceof ApiError ? err : new ApiError(0, 'client', err && err.message ? err.message : String(err));
	return notice('error',
		h('p', { class: 'notice-title' }, what),
		h('p', null,
			e.status ? 'The server answered ' + e.status + ' ' : '',
			code(e.code), ': ', e.message));
}

/* ---- formatting ---- */

/* "Windows Server 2008" version "2008" is not "Windows Server 2008 2008". */
function productVersion(product, version) {
	product = product || '';
	if (!version || version === 'unspecified' || (' ' + product + ' ').includes(' ' + version + ' '))
		return product;
	return product + ' ' + version;
}

export function guestName(g) {
	return productVersion(g.product, g.version);
}

export function hypervisorName(hv) {
	return productVersion(hv.product, hv.version);
}

export function archs(g) {
	return (g.arch || []).join(', ');
}

export function mib(n) {
	if (typeof n !== 'number')
		return null;
	if (n >= 1024 && n % 1024 === 0)
		return n + ' MiB (' + n / 1024 + ' GiB)';
	if (n >= 1024)
		return n + ' MiB (' + (n / 1024).toFixed(1) + ' GiB)';
	return n + ' MiB';
}

export function vcpuText(l) {
	if (!l)
		return null;
	const parts = [];
	if (Array.isArray(l.allowed_vcpus) && l.allowed_vcpus.length)
		parts.push(l.allowed_vcpus.length === 1 && l.allowed_vcpus[0] === 1
			? '1 (uni-processor)' : l.allowed_vcpus.join(', '));
	else if (typeof l.max_vcpus === 'number')
		parts.push('up to ' + l.max_vcpus);
	if (typeof l.max_vcpus_gen1 === 'number')
		parts.push('up to ' + l.max_vcpus_gen1 + ' on a generation 1 (BIOS) VM');
	return parts.length ? parts.join('; ') : null;
}

/* The table's short form: "1, 2, 4 vCPUs" over "≤ 64 GiB". */
export function limitsShort(l) {
	l = l || {};
	let v = null;
	if (Array.isArray(l.allowed_vcpus) && l.allowed_vcpus.length)
		v = l.allowed_vcpus.join(', ') + (l.allowed_vcpus.length === 1 && l.allowed_vcpus[0] === 1 ? ' vCPU' : ' vCPUs');
	else if (typeof l.max_vcpus === 'number')
		v = '≤ ' + l.max_vcpus + ' vCPUs';
	let m = null;
	if (typeof l.max_memory_mib === 'number')
		m = '≤ ' + (l.max_memory_mib >= 1024 && l.max_memory_mib % 1024 === 0 ? l.max_memory_mib / 1024 + ' GiB' : l.max_memory_mib + ' MiB');
	if (!v && !m)
		return h('span', { class: 'muted' }, '—');
	return [v || h('span', { class: 'muted' }, 'vCPUs not stated'), m ? h('span', { class: 'sub' }, m) : null];
}

export function when(iso) {
	if (!iso)
		return null;
	const d = new Date(iso);
	if (isNaN(d.getTime()))
		return iso;
	return h('time', { datetime: iso, title: iso }, d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'));
}


export function vendorLink(name, ids) {
	const id = ids.get(name);
	return id ? h('a', { href: '#/vendor/' + encodeURIComponent(id) }, name) : name;
}

export function breadcrumbs(items) {
	return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' },
		h('ol', null, items.map(([text, href], i) => h('li', null,
			href ? h('a', { href }, text) : h('span', { 'aria-current': i === items.length - 1 ? 'page' : null }, text)))));
}

/* ---- machines (monitoring): verdicts, health flags, times ---- */

/*
 * The machine verdicts of docs/check.md, in the order the fleet chart
 * stacks them (validated at the bottom), each with its label, a word for
 * what it means for the customer, and the pattern the chart fills it
 * with, so that colour is never the only thing telling them apart.
 */
export const MACHINE_VERDICTS = [
	{ id: 'validated', label: 'Validated', pattern: 'solid' },
	{ id: 'supported', label: 'Supported', pattern: 'dots' },
	{ id: 'not-validated', label: 'Not validated', pattern: 'hatch' },
	{ id: 'not-supported', label: 'Not supported', pattern: 'cross' },
	{ id: 'unknown', label: 'Unknown', pattern: 'stripes' },
	/* enrolled, no descriptor received yet (docs/monitor.md) */
	{ id: 'none', label: 'No descriptor yet', pattern: 'grid' },
];
const MACHINE_VERDICT_LABEL = new Map(MACHINE_VERDICTS.map((v) => [v.id, v.label]));

export function machineVerdictLabel(v) {
	return MACHINE_VERDICT_LABEL.get(v) || String(v || 'unknown');
}

/* A machine has drifted when its verdict is neither validated nor supported (and it has one). */
export function drifted(verdict) {
	return verdict !== 'validated' && verdict !== 'supported' && verdict !== 'none';
}

function cssName(s) {
	return String(s).replace(/[^a-z0-9_-]/g, '');
}

export function machineVerdictBadge(verdict) {
	const v = verdict || 'unknown';
	return h('span', { class: 'badge verdict-badge verdict-' + cssName(v), 'data-verdict': v },
		(drifted(v) ? '⚠ ' : v === 'none' ? '… ' : '✓ ') + machineVerdictLabel(v));
}

export function lateBadge() {
	return h('span', { class: 'badge late-badge', title: 'No report within the heartbeat timeout' }, 'Late');
}

/* docs/monitor.md: the health flags a machine may carry ('late' has its own badge). */
export const HEALTH_FLAGS = {
	cpu: 'CPU busy',
	mem: 'memory full',
	disk: 'disk full',
	load: 'load high',
	clock: 'clock off',
	errors: 'errors logged',
	components: 'components missing',
};

export function flagBadges(flags) {
	return (Array.isArray(flags) ? flags : []).filter((f) => f !== 'late').map((f) =>
		h('span', { class: 'badge health-flag', 'data-flag': String(f) }, HEALTH_FLAGS[f] || String(f)));
}

/* "3 min ago", from an ISO time and now (null when unreadable). */
export function ago(iso, now) {
	const t = Date.parse(iso);
	if (!iso || isNaN(t))
		return null;
	const s = Math.round(((now === undefined ? Date.now() : now) - t) / 1000);
	if (s < 0)
		return 'just now';
	if (s < 90)
		return s + ' s ago';
	if (s < 90 * 60)
		return Math.round(s / 60) + ' min ago';
	if (s < 36 * 3600)
		return Math.round(s / 3600) + ' h ago';
	return Math.round(s / 86400) + ' days ago';
}

/* A page that needs a token: what it shows to whom, and a link to sign in coming back to `next`. */
export function signInNotice(what, next) {
	return notice('info',
		what ? h('p', null, what) : null,
		h('p', null, h('a', { href: '#/signin?next=' + encodeURIComponent(next), id: 'sign-in-to-see', class: 'button primary-link' }, 'Sign in'),
			' with your token to see it.'));
}

/* The configurations a check matched, or the nearest with each difference (check my machine, a machine). */
export function matchTable(items, ids, nearest) {
	return h('div', { class: 'table-wrap' }, h('table', { class: 'data matches cards' },
		h('caption', { class: 'visually-hidden' }, nearest ? 'Nearest configurations' : 'Matching configurations'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Guest OS'),
			h('th', { scope: 'col' }, 'Hypervisor'),
			h('th', { scope: 'col' }, 'Validated by'),
			h('th', { scope: 'col' }, 'Status'),
			nearest ? h('th', { scope: 'col', class: 'num' }, 'Score') : null,
			nearest ? h('th', { scope: 'col' }, 'Differences') : null,
			h('th', { scope: 'col' }, 'Configuration'))),
		h('tbody', null, items.map((c) => h('tr', { 'data-id': c.id },
			h('td', { class: 'guest', 'data-label': 'Guest OS' }, h('a', { href: '#/config/' + encodeURIComponent(c.id), class: 'product' }, guestName(c.guest || {})),
				h('span', { class: 'sub' }, archs(c.guest || {}))),
			h('td', { 'data-label': 'Hypervisor' }, hypervisorName(c.hypervisor || {})),
			h('td', { 'data-label': 'Validated by' }, (c.validated_by || []).map((n, i) => [i ? ', ' : '', vendorLink(n, ids)])),
			h('td', { 'data-label': 'Status' }, statusBadge(c.status)),
			nearest ? h('td', { class: 'num', 'data-label': 'Score' }, String(c.score ?? '')) : null,
			nearest ? h('td', { class: 'differences', 'data-label': 'Differences' }, (c.differences || []).length
				? h('ul', { class: 'plain' }, c.differences.map((d) => h('li', null, d)))
				: h('span', { class: 'muted' }, 'none')) : null,
			h('td', { class: 'id', 'data-label': 'Configuration' }, h('a', { href: '#/config/' + encodeURIComponent(c.id) }, c.id)))))));
}
