/*
 * machine.js - one machine (GET /api/v1/machines/{id}): its verdict with
 * every difference to the nearest validated configuration (the same
 * check as /api/v1/check, lifecycle included), what it is (the
 * descriptor's summary, and the descriptor itself), its health, when it
 * last reported, its events (newest first) and its verdicts over time;
 * and, for the customer's administrator, "Open a case with this
 * machine", which opens support's case form prefilled from it.
 */

import { authApi, sessionToken, whoAmI, vendorIdsByName } from './api.js';
import {
	VERDICTS, h, clear, code, dl, errorNotice, when, ago, breadcrumbs, mib, matchTable, machineVerdictLabel,
	machineVerdictBadge, lateBadge, flagBadges, drifted, signInNotice,
} from './dom.js';

const EVENTS_PAGE = 50;

/* docs/monitor.md: the kinds of events, in words. */
const EVENT_KINDS = {
	'machine.enrolled': 'Enrolled',
	'machine.drifted': 'Left its validated configuration',
	'machine.returned': 'Back in a validated configuration',
	'machine.late': 'Late: no report in time',
	'machine.resumed': 'Reporting again',
	'machine.health': 'Health threshold crossed',
	'machine.health-cleared': 'Health back to normal',
	'machine.reports-dropped': 'Reports dropped by the agent',
	'case.opened': 'Case opened',
	'case.state': 'Case moved',
	'case.engaged': 'Vendor engaged',
	'case.note': 'Note on a case',
	'case.sla-breach': 'SLA breached',
};

function cls(s) {
	return String(s).replace(/[^a-z0-9_-]/g, '');
}

function pct(n) {
	return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(1).replace(/\.0$/, '') + ' %' : null;
}

export async function viewMachine(id, ctx) {
	const page = ctx.page;
	if (!sessionToken()) {
		clear(page);
		ctx.title('Machine ' + id);
		page.appendChild(breadcrumbs([['Fleet', '#/fleet'], [id]]));
		page.appendChild(h('h1', null, 'Machine ', code(id)));
		page.appendChild(signInNotice('A machine is shown to its customer\'s administrator, the owner, and the vendors of its cases.',
			'#/machine/' + id));
		return;
	}
	let m, me, ids;
	try {
		[m, me, ids] = await Promise.all([
			authApi('/machines/' + encodeURIComponent(id)),
			whoAmI().catch(() => null),
			vendorIdsByName(),
		]);
	} catch (e) {
		if (!ctx.current())
			return;
		clear(page);
		ctx.title('Machine ' + id);
		page.appendChild(breadcrumbs([['Fleet', '#/fleet'], [id]]));
		page.appendChild(h('h1', null, 'Machine ', code(id)));
		page.appendChild(errorNotice(e, e.status === 404 ? 'There is no machine with this id that you may see.'
			: e.status === 401 ? 'Your token was refused (wrong, unknown or revoked): sign in again.'
				: 'This machine could not be loaded.'));
		if (e.status === 401 || e.code === 'signed_out')
			page.appendChild(signInNotice(null, '#/machine/' + id));
		return;
	}
	if (!ctx.current())
		return;
	const name = String(m.name || m.id);
	clear(page);
	ctx.title(name);
	page.appendChild(breadcrumbs([['Fleet', '#/fleet'], [name]]));
	/* A case is opened by the customer's administrator (docs/support.md). */
	page.appendChild(h('div', { class: 'title-row' },
		h('h1', { id: 'machine-name' }, name),
		machineVerdictBadge(m.verdict), m.late ? lateBadge() : null,
		me && me.role === 'customer-admin'
			? h('a', { href: '#/cases/new?machine=' + encodeURIComponent(m.id), class: 'button primary-link', id: 'open-case-with-machine' },
				'Open a case with this machine')
			: null));
	page.appendChild(h('p', { class: 'id-line' }, code(String(m.id)), m.customer ? [' · customer ', String(m.customer)] : null,
		me && me.role !== 'customer-admin' ? h('span', { class: 'muted' }, ' · its customer\'s administrator opens cases with it') : null));

	page.appendChild(verdictSection(m));
	page.appendChild(machineSection(m));
	page.appendChild(healthSection(m));
	page.appendChild(eventsSection(m, ctx));
	page.appendChild(historySection(m));
	const check = m.check && typeof m.check === 'object' ? m.check : null;
	if (check) {
		const matches = Array.isArray(check.matches) ? check.matches : [];
		const nearest = Array.isArray(check.nearest) ? check.nearest : [];
		if (matches.length)
			page.appendChild(h('section', { class: 'card', id: 'machine-matches', 'aria-labelledby': 'sec-machine-matches' },
				h('h2', { id: 'sec-machine-matches' }, 'Matching configurations (' + matches.length + ')'),
				matchTable(matches, ids, false)));
		if (nearest.length)
			page.appendChild(h('section', { class: 'card', id: 'machine-nearest', 'aria-labelledby': 'sec-machine-nearest' },
				h('h2', { id: 'sec-machine-nearest' }, 'Nearest configurations'),
				h('p', { class: 'muted' }, 'Lower scores are nearer (docs/check.md); each difference is what would have to change.'),
				matchTable(nearest, ids, true)));
	}
}

/* The verdict, large, with what it means and every difference. */
function verdictSection(m) {
	const verdict = String(m.verdict || 'unknown');
	const check = m.check && typeof m.check === 'object' ? m.check : {};
	const diffs = (Array.isArray(m.differences) ? m.differences : []).map(String);
	const nearest = Array.isArray(check.nearest) && check.nearest[0] ? check.nearest[0].id : null;
	const config = m.config || nearest;
	return h('section', { class: 'verdict verdict-' + cls(verdict), id: 'machine-verdict', 'aria-labelledby': 'machine-verdict-heading' },
		h('p', { class: 'verdict-label' }, 'Verdict'),
		h('h2', { id: 'machine-verdict-heading', class: 'verdict-value' }, machineVerdictLabel(verdict)),
		h('p', { class: 'verdict-meaning' }, VERDICTS[verdict] ||
			(verdict === 'none' ? 'Enrolled: its agent has not sent the machine\'s descriptor yet.' : '')),
		check.summary ? h('p', { class: 'verdict-summary' }, String(check.summary)) : null,
		m.reason && m.reason !== 'none' ? h('p', { class: 'verdict-reason' }, 'Reason: ', code(String(m.reason))) : null,
		diffs.length ? [
			h('h3', null, drifted(verdict) ? 'Differences from the nearest validated configuration' : 'Differences'),
			h('ul', { class: 'differences-list', id: 'machine-differences' }, diffs.map((d) => h('li', null, d))),
		] : null,
		config ? h('p', null, drifted(verdict) ? 'Nearest: ' : 'Configuration: ',
			h('a', { href: '#/config/' + encodeURIComponent(config), id: 'machine-config' }, String(config))) : null);
}

/* What the machine is: the descriptor's summary, and the descriptor. */
function machineSection(m) {
	const cm = (m.check && m.check.machine) || {};
	const comps = Array.isArray(cm.components) ? cm.components : null;
	const sec = h('section', { class: 'card', id: 'machine-descriptor', 'aria-labelledby': 'sec-machine-descriptor' },
		h('h2', { id: 'sec-machine-descriptor' }, 'The machine'),
		dl([
			['Guest OS', m.guest ? String(m.guest) : null],
			['Hypervisor', m.hypervisor ? String(m.hypervisor) : null],
			['vCPUs', typeof m.vcpus === 'number' ? String(m.vcpus) : typeof cm.vcpus === 'number' ? String(cm.vcpus) : 'unknown'],
			['Memory', mib(typeof m.memory_mib === 'number' ? m.memory_mib : cm.memory_mib) || 'unknown'],
			['Components', comps ? (comps.length ? comps.map((x, i) => [i ? ', ' : '', code(String(x))]) : 'none found') : null],
		]));
	if (m.descriptor && typeof m.descriptor === 'object')
		sec.appendChild(h('details', { class: 'descriptor', id: 'machine-descriptor-json' },
			h('summary', null, 'The descriptor as reported'),
			h('pre', { class: 'json' }, JSON.stringify(m.descriptor, null, 2))));
	else
		sec.appendChild(h('p', { class: 'muted' }, 'No descriptor received yet.'));
	return sec;
}

function healthSection(m) {
	const hl = m.health && typeof m.health === 'object' ? m.health : {};
	const flags = flagBadges(m.flags);
	const disks = Array.isArray(hl.disks) ? hl.disks : [];
	const c = hl.components && typeof hl.components === 'object' ? hl.components : null;
	const err = hl.errors && typeof hl.errors === 'object' ? hl.errors : null;
	const load = Array.isArray(hl.load) ? hl.load.filter((x) => typeof x === 'number') : [];
	let errors = null;
	if (err && err.available === false)
		errors = h('span', { class: 'muted' }, 'not available' + (err.why ? ': ' + err.why : ''));
	else if (err && typeof err.count === 'number')
		errors = [String(err.count) + ' since the previous report',
			Array.isArray(err.recent) && err.recent.length
				? h('ul', { class: 'plain error-lines' }, err.recent.map((l) => h('li', null, code(String(l))))) : null];
	return h('section', { class: 'card', id: 'machine-health', 'aria-labelledby': 'sec-machine-health' },
		h('h2', { id: 'sec-machine-health' }, 'Health and reports'),
		h('p', { class: 'health-flags' }, m.late ? [lateBadge(), ' '] : null,
			flags.length ? flags : (m.late ? null : h('span', { class: 'badge health-ok' }, 'no threshold crossed'))),
		dl([
			['Last seen', m.last_seen ? [ago(m.last_seen), ' (', when(m.last_seen), ')'] : 'never'],
			['Reports every', typeof m.interval === 'number' ? m.interval + ' s' : null],
			['Enrolled', when(m.enrolled_at)],
			['CPU', pct(hl.cpu_pct)],
			['Memory in use', pct(hl.mem_pct) ? [pct(hl.mem_pct), typeof hl.mem_total_mib === 'number' ? ' of ' + mib(hl.mem_total_mib) : ''] : null],
			['Load (1, 5, 15 min)', load.length ? load.map((x) => x.toFixed(2)).join(', ') : null],
			['Disks', disks.length ? h('ul', { class: 'plain' }, disks.map((d) => h('li', null, code(String(d.path || '?')), ' ',
				pct(d.used_pct) ? pct(d.used_pct) + ' used' : '', typeof d.free_mib === 'number' ? ', ' + mib(d.free_mib) + ' free' : ''))) : null],
			['Clock offset', 'clock_offset_ms' in hl ? (typeof hl.clock_offset_ms === 'number' ? hl.clock_offset_ms + ' ms' : 'unknown') : null],
			['Components missing', c && Array.isArray(c.missing) ? (c.missing.length ? c.missing.map((x, i) => [i ? ', ' : '', code(String(x))]) : 'none') : null],
			['Errors logged', errors],
		]));
}

function eventItem(e) {
	const kind = String(e.kind || '');
	return h('li', { class: 'event machine-event kind-' + cls(kind.replace('.', '-')), 'data-kind': kind, 'data-seq': String(e.seq ?? '') },
		h('span', { class: 'event-when' }, when(e.at)),
		h('span', { class: 'event-what' }, h('span', { class: 'event-kind' }, EVENT_KINDS[kind] || kind), ': ',
			h('span', { class: 'event-summary' }, String(e.summary || kind)),
			e.case ? [' ', h('a', { href: '#/case/' + encodeURIComponent(e.case) }, String(e.case))] : null),
		h('span', { class: 'badge event-badge' }, kind));
}

function eventsSection(m, ctx) {
	const events = Array.isArray(m.events) ? m.events : [];
	const sec = h('section', { class: 'card', id: 'machine-events', 'aria-labelledby': 'sec-machine-events' },
		h('h2', { id: 'sec-machine-events' }, 'Events, newest first'));
	if (!events.length) {
		sec.appendChild(h('p', { class: 'muted' }, 'No events yet.'));
		return sec;
	}
	const ol = h('ol', { class: 'timeline machine-events' }, events.map(eventItem));
	sec.appendChild(ol);
	if (events.length >= EVENTS_PAGE) {
		let offset = events.length;
		const out = h('div', { class: 'action-result', 'aria-live': 'polite' });
		const more = h('button', { type: 'button', id: 'events-more' }, 'Show older events');
		more.addEventListener('click', async () => {
			more.disabled = true;
			clear(out);
			try {
				const next = await authApi('/machines/' + encodeURIComponent(m.id) + '/events?limit=' + EVENTS_PAGE + '&offset=' + offset);
				if (!ctx.current())
					return;
				const items = Array.isArray(next.items) ? next.items : [];
				for (const e of items)
					ol.appendChild(eventItem(e));
				offset += items.length;
				more.disabled = items.length < EVENTS_PAGE;
				if (!items.length)
					out.appendChild(h('p', { class: 'muted' }, 'No older events.'));
			} catch (e) {
				more.disabled = false;
				out.appendChild(errorNotice(e, 'The older events could not be loaded.'));
			}
		});
		sec.appendChild(h('p', null, more));
		sec.appendChild(out);
	}
	return sec;
}

function historySection(m) {
	const hist = Array.isArray(m.history) ? m.history : [];
	const sec = h('section', { class: 'card', id: 'machine-history', 'aria-labelledby': 'sec-machine-history' },
		h('h2', { id: 'sec-machine-history' }, 'Verdicts over time, newest first'));
	if (!hist.length) {
		sec.appendChild(h('p', { class: 'muted' }, 'No verdict recorded yet.'));
		return sec;
	}
	sec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data machine-history', id: 'machine-history-table' },
		h('caption', { class: 'visually-hidden' }, 'Verdicts over time'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'From'),
			h('th', { scope: 'col' }, 'Verdict'),
			h('th', { scope: 'col' }, 'Differences'),
			h('th', { scope: 'col' }, 'Configuration (or the nearest)'))),
		h('tbody', null, hist.map((r) => h('tr', { 'data-verdict': r.verdict },
			h('td', null, when(r.at)),
			h('td', null, machineVerdictBadge(r.verdict), r.reason && r.reason !== 'none' ? h('span', { class: 'sub' }, String(r.reason)) : null),
			h('td', { class: 'differences' }, Array.isArray(r.differences) && r.differences.length
				? h('ul', { class: 'plain' }, r.differences.map((d) => h('li', null, String(d)))) : h('span', { class: 'muted' }, 'none')),
			h('td', { class: 'id' }, r.config ? h('a', { href: '#/config/' + encodeURIComponent(r.config) }, String(r.config))
				: h('span', { class: 'muted' }, '—'))))))));
	return sec;
}
