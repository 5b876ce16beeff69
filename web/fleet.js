/*
 * fleet.js - the fleet: the machines the signed-in user may see (a
 * customer's administrator its own, the owner every customer's, a vendor
 * those attached to its cases), how many are in each verdict now and
 * over the last days (a chart read at a glance, with its numbers as a
 * table beside it), and the list of machines, drifted ones first (the
 * server orders them), filtered by verdict, 50 a page.
 *
 * The chart is inline SVG made with createElementNS: each verdict has a
 * colour AND a pattern (solid, dots, hatching, cross-hatching, stripes)
 * and always the same place in the stack, the legend names them, and the
 * table under the chart says every number, so nothing rests on colour.
 */

import { authApi, query, sessionToken, whoAmI } from './api.js';
import {
	h, clear, code, notice, errorNotice, when, ago, MACHINE_VERDICTS, machineVerdictLabel, machineVerdictBadge,
	lateBadge, flagBadges, drifted, signInNotice,
} from './dom.js';

const PAGE = 50;
const DAYS = [1, 7, 30];
const SVG = 'http://www.w3.org/2000/svg';

/* Base colours of the chart's fills; the pattern on top tells them apart without colour. */
const COLOURS = {
	'validated': '#3f9d5a',
	'supported': '#4a7fc8',
	'not-validated': '#d9a21b',
	'not-supported': '#c8423b',
	'unknown': '#8895a3',
	'none': '#c7cdd4',
};

/* An SVG element: svg('rect', {x: 1}, child...); strings become text. */
function svg(tag, attrs, ...children) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		if (v !== null && v !== undefined)
			e.setAttribute(k, String(v));
	for (const c of children) {
		if (c === null || c === undefined)
			continue;
		e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

/* ---- the fleet page ---- */

function scopeText(me) {
	if (!me)
		return 'The machines you may see, as their agents report them.';
	if (me.role === 'owner')
		return 'Every customer\'s machines, as their agents report them.';
	if (me.role === 'customer-admin')
		return 'Your organisation\'s machines, as their agents report them: each one checked against the catalog at every change.';
	return 'As a vendor you see only the machines attached to your cases (opened with you, or engaging you); a customer sees its whole fleet.';
}

export async function viewFleet(params, ctx) {
	const page = ctx.page;
	if (!sessionToken()) {
		clear(page);
		ctx.title('Fleet');
		page.appendChild(h('h1', null, 'Fleet'));
		page.appendChild(signInNotice('The fleet is shown to signed-in users: a customer\'s administrator sees its machines, the owner every machine, a vendor the machines attached to its cases.', '#/fleet'));
		return;
	}
	const verdict = params.get('verdict') === 'drifted' || MACHINE_VERDICTS.some((v) => v.id === params.get('verdict') && v.id !== 'none')
		? params.get('verdict') : '';
	const late = params.get('late') === '1';
	let offset = parseInt(params.get('offset') || '0', 10);
	if (!Number.isFinite(offset) || offset < 0)
		offset = 0;
	let days = parseInt(params.get('days') || '7', 10);
	if (!DAYS.includes(days))
		days = 7;

	let machines, fleet, me;
	try {
		/* Who it is first (asked once per token): the counts and the chart
		 * are the customer's and the owner's, not a vendor's (docs/monitor.md). */
		me = await whoAmI().catch((e) => {
			if (e.status === 401)
				throw e;
			return null;
		});
		const vendor = me && (me.role === 'vendor-engineer' || me.role === 'vendor-manager');
		[machines, fleet] = await Promise.all([
			authApi('/machines' + query({ verdict, late: late ? 'true' : '', limit: PAGE, offset: offset || '' })),
			vendor ? { vendor: true } : authApi('/fleet' + query({ days })).catch((e) => {
				if (e.status === 401)
					throw e;
				return { error: e };
			}),
		]);
	} catch (e) {
		if (!ctx.current())
			return;
		clear(page);
		ctx.title('Fleet');
		page.appendChild(h('h1', null, 'Fleet'));
		if (e.status === 401 || e.code === 'signed_out') {
			page.appendChild(errorNotice(e, 'Your token was refused (wrong, unknown or revoked): sign in again.'));
			page.appendChild(signInNotice(null, '#/fleet'));
		} else {
			page.appendChild(errorNotice(e, e.status === 403 || e.status === 404
				? 'Your role may not see machines.' : 'The machines could not be loaded.'));
		}
		return;
	}
	if (!ctx.current())
		return;
	clear(page);
	ctx.title('Fleet');
	page.appendChild(h('h1', null, 'Fleet'));
	page.appendChild(h('p', { class: 'lead', id: 'fleet-scope' }, scopeText(me)));
	const now = new Date();
	if (fleet.vendor) {
		page.appendChild(notice('info', h('p', { id: 'fleet-vendor' }, 'The counts by verdict and their chart are the customer\'s and the owner\'s: ',
			'a vendor sees the machines of its cases, listed below.')));
	} else if (fleet.error) {
		page.appendChild(h('section', { class: 'card', id: 'fleet-now', 'aria-labelledby': 'sec-fleet-now' },
			h('h2', { id: 'sec-fleet-now' }, 'Now'),
			errorNotice(fleet.error, 'The counts by verdict could not be loaded.')));
	} else {
		page.appendChild(nowSection(fleet.now || {}));
		page.appendChild(chartSection(fleet, days, now));
	}
	page.appendChild(machinesSection(machines, { verdict, late, offset, days }, me, now));
}

/* The verdicts present in the answer, known ones in their order, others after. */
function verdictsOf(fleet) {
	const list = MACHINE_VERDICTS.slice();
	const seen = new Set(list.map((v) => v.id));
	const more = (counts) => {
		for (const k of Object.keys(counts || {}))
			if (k !== 'late' && !seen.has(k)) {
				seen.add(k);
				list.push({ id: k, label: k, pattern: 'stripes' });
			}
	};
	more(fleet.now);
	for (const s of fleet.series || [])
		more(s.counts);
	return list;
}

function num(n) {
	return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

function total(counts, verdicts) {
	return verdicts.reduce((t, v) => t + num((counts || {})[v.id]), 0);
}

function nowSection(counts) {
	const verdicts = verdictsOf({ now: counts });
	const all = total(counts, verdicts);
	const out = verdicts.filter((v) => drifted(v.id)).reduce((t, v) => t + num(counts[v.id]), 0);
	return h('section', { class: 'card', id: 'fleet-now', 'aria-labelledby': 'sec-fleet-now' },
		h('h2', { id: 'sec-fleet-now' }, 'Now: ' + all + (all === 1 ? ' machine' : ' machines') +
			(out ? ', ' + out + ' out of a validated or supported configuration' : '')),
		h('ul', { class: 'fleet-counts' },
			verdicts.map((v) => h('li', { 'data-verdict': v.id, class: 'fleet-count' + (num(counts[v.id]) ? '' : ' zero') },
				h('a', { href: '#/fleet' + query({ verdict: v.id }) },
					swatch(v), h('span', { class: 'fleet-count-num' }, String(num(counts[v.id]))),
					h('span', { class: 'fleet-count-label' }, v.label)))),
			h('li', { 'data-verdict': 'late', class: 'fleet-count fleet-count-late' + (num(counts.late) ? '' : ' zero') },
				h('a', { href: '#/fleet' + query({ late: '1' }) },
					lateSwatch(), h('span', { class: 'fleet-count-num' }, String(num(counts.late))),
					h('span', { class: 'fleet-count-label' }, 'Late (no report in time)')))));
}

/* ---- the chart ---- */

/*
 * The points drawn: the samples of the last `days` in equal time
 * buckets (each shows the last sample in it: the fleet as it stood at
 * the end of that time; an empty bucket, when the server took no sample,
 * is a gap), then the counts now.
 */
function chartPoints(fleet, days, now, narrow) {
	const buckets = (days === 1 ? 48 : days === 7 ? 56 : 60) / (narrow ? 2 : 1);
	const end = now.getTime();
	const start = end - days * 86400000;
	const width = (end - start) / buckets;
	const slots = new Array(buckets).fill(null);
	const series = (fleet.series || []).map((s) => ({ at: s.at, t: Date.parse(s.at), counts: s.counts || {} }))
		.filter((s) => !isNaN(s.t) && s.t >= start && s.t <= end)
		.sort((a, b) => a.t - b.t);
	for (const s of series)
		slots[Math.min(buckets - 1, Math.floor((s.t - start) / width))] = s;
	slots.push({ at: null, t: end, counts: fleet.now || {}, now: true });
	return { slots, start, end, samples: series.length };
}

function pointLabel(p) {
	return p.now ? 'now' : String(p.at).replace('T', ' ').replace(/Z$/, ' UTC');
}

function countsText(counts, verdicts) {
	const parts = verdicts.filter((v) => num(counts[v.id])).map((v) => num(counts[v.id]) + ' ' + v.label.toLowerCase());
	return (parts.length ? parts.join(', ') : 'no machines') + (num(counts.late) ? '; ' + num(counts.late) + ' late' : '');
}

/* An axis top at or above max with at most 5 whole-number steps. */
function axis(max) {
	if (max <= 5)
		return { top: Math.max(max, 1), step: 1 };
	const raw = max / 5;
	const mag = Math.pow(10, Math.floor(Math.log10(raw)));
	const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
	return { top: Math.ceil(max / step) * step, step };
}

/* The pattern each verdict is filled with (colour + shape). */
function patternDefs(verdicts) {
	const defs = svg('defs');
	for (const v of verdicts) {
		const c = COLOURS[v.id] || '#6b7785';
		const p = svg('pattern', { id: 'fleet-pat-' + v.id.replace(/[^a-z0-9_-]/g, ''), patternUnits: 'userSpaceOnUse', width: 8, height: 8 },
			svg('rect', { width: 8, height: 8, fill: c }));
		if (v.pattern === 'dots')
			p.appendChild(svg('circle', { cx: 4, cy: 4, r: 1.6, fill: '#ffffff', 'fill-opacity': 0.8 }));
		else if (v.pattern === 'hatch')
			p.appendChild(svg('path', { d: 'M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4', stroke: '#ffffff', 'stroke-width': 1.6, 'stroke-opacity': 0.75 }));
		else if (v.pattern === 'cross')
			p.appendChild(svg('path', { d: 'M0,0 l8,8 M8,0 l-8,8', stroke: '#ffffff', 'stroke-width': 1.4, 'stroke-opacity': 0.75 }));
		else if (v.pattern === 'grid')
			p.appendChild(svg('path', { d: 'M0,0.5 h8 M0.5,0 v8', stroke: '#57606a', 'stroke-width': 1, 'stroke-opacity': 0.8 }));
		else if (v.pattern === 'stripes')
			p.appendChild(svg('path', { d: 'M0,2 h8 M0,6 h8', stroke: '#ffffff', 'stroke-width': 1.2, 'stroke-opacity': 0.7 }));
		defs.appendChild(p);
	}
	return defs;
}

function fillOf(v) {
	return 'url(#fleet-pat-' + v.id.replace(/[^a-z0-9_-]/g, '') + ')';
}

function swatch(v) {
	return svg('svg', { class: 'swatch', width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
		svg('rect', { x: 0.5, y: 0.5, width: 15, height: 15, fill: fillOf(v), stroke: '#1b1f24', 'stroke-width': 1 }));
}

function lateSwatch() {
	return svg('svg', { class: 'swatch', width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
		svg('line', { x1: 0, y1: 8, x2: 16, y2: 8, stroke: '#1b1f24', 'stroke-width': 2, 'stroke-dasharray': '4 2' }),
		svg('circle', { cx: 8, cy: 8, r: 3, fill: '#ffffff', stroke: '#1b1f24', 'stroke-width': 1.5 }));
}

function chartSection(fleet, days, now) {
	const verdicts = verdictsOf(fleet);
	/* As wide as the page allows (the text stays legible on a phone), with half the bars when narrow. */
	const W = Math.max(300, Math.min(720, (document.getElementById('main').clientWidth || 720) - 60));
	const { slots, samples } = chartPoints(fleet, days, now, W < 500);
	const drawn = slots.filter(Boolean);
	const H = 260, L = 44, R = 12, T = 12, B = 42;
	const pw = W - L - R, ph = H - T - B;
	const max = Math.max(1, ...drawn.map((p) => Math.max(total(p.counts, verdicts), num(p.counts.late))));
	const ax = axis(max);
	const y = (n) => T + ph - (n / ax.top) * ph;
	const slotW = pw / slots.length;
	const barW = Math.max(2, slotW * 0.78);
	const span = days === 1 ? 'the last 24 hours' : 'the last ' + days + ' days';
	const nowCounts = fleet.now || {};

	const title = 'Machines by verdict over ' + span;
	const desc = 'Stacked bars, one per time slot, oldest on the left; from the bottom: ' +
		verdicts.map((v) => v.label.toLowerCase()).join(', ') + '; the dashed line counts late machines. ' +
		(samples ? samples + (samples === 1 ? ' sample' : ' samples') + ' in ' + span + '. ' : 'No sample in ' + span + ' yet. ') +
		'Now: ' + total(nowCounts, verdicts) + ' machines: ' + countsText(nowCounts, verdicts) + '. ' +
		'The table after the chart gives every number.';

	const chart = svg('svg', { class: 'fleet-chart', id: 'fleet-chart-svg', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
		'aria-labelledby': 'fleet-chart-title', 'aria-describedby': 'fleet-chart-desc', preserveAspectRatio: 'xMidYMid meet' },
	svg('title', { id: 'fleet-chart-title' }, title),
	svg('desc', { id: 'fleet-chart-desc' }, desc),
	patternDefs(verdicts));

	/* the grid and the y axis */
	for (let n = 0; n <= ax.top; n += ax.step) {
		chart.appendChild(svg('line', { x1: L, x2: W - R, y1: y(n), y2: y(n), class: 'grid', stroke: '#d8dee4', 'stroke-width': 1 }));
		chart.appendChild(svg('text', { x: L - 6, y: y(n) + 4, 'text-anchor': 'end', class: 'tick' }, String(n)));
	}
	chart.appendChild(svg('text', { x: 12, y: T + ph / 2, class: 'axis-label', 'text-anchor': 'middle',
		transform: 'rotate(-90 12 ' + (T + ph / 2) + ')' }, 'machines'));

	/* the bars */
	const lateDots = [];
	slots.forEach((p, i) => {
		if (!p)
			return;
		const x = L + i * slotW + (slotW - barW) / 2;
		const g = svg('g', { class: 'bar' + (p.now ? ' bar-now' : ''), 'data-at': p.now ? 'now' : p.at });
		let acc = 0;
		for (const v of verdicts) {
			const n = num(p.counts[v.id]);
			if (!n)
				continue;
			g.appendChild(svg('rect', { x, y: y(acc + n), width: barW, height: y(acc) - y(acc + n), fill: fillOf(v),
				stroke: '#ffffff', 'stroke-width': 0.5, 'data-verdict': v.id },
			svg('title', null, pointLabel(p) + ': ' + n + ' ' + v.label.toLowerCase())));
			acc += n;
		}
		if (p.now)
			g.appendChild(svg('rect', { x: x - 1.5, y: y(acc) - 1.5, width: barW + 3, height: y(0) - y(acc) + 1.5,
				fill: 'none', stroke: '#1b1f24', 'stroke-width': 1.5 }));
		chart.appendChild(g);
		if (p.counts && typeof p.counts.late === 'number')
			lateDots.push([x + barW / 2, y(num(p.counts.late)), p]);
	});
	if (lateDots.length) {
		chart.appendChild(svg('polyline', { points: lateDots.map(([x, yy]) => x + ',' + yy).join(' '), fill: 'none',
			stroke: '#1b1f24', 'stroke-width': 1.5, 'stroke-dasharray': '5 3', class: 'late-line' }));
		for (const [x, yy, p] of lateDots)
			chart.appendChild(svg('circle', { cx: x, cy: yy, r: 3, fill: '#ffffff', stroke: '#1b1f24', 'stroke-width': 1.5 },
				svg('title', null, pointLabel(p) + ': ' + num(p.counts.late) + ' late')));
	}

	/* the time axis: its start, middle and now */
	const start = new Date(now.getTime() - days * 86400000);
	const mid = new Date(now.getTime() - days * 43200000);
	const fmt = (d) => days === 1 ? d.toISOString().slice(11, 16) : d.toISOString().slice(5, 10);
	chart.appendChild(svg('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: '#57606a', 'stroke-width': 1 }));
	chart.appendChild(svg('text', { x: L, y: H - B + 18, class: 'tick', 'text-anchor': 'start' }, fmt(start)));
	chart.appendChild(svg('text', { x: L + pw / 2, y: H - B + 18, class: 'tick', 'text-anchor': 'middle' }, fmt(mid)));
	chart.appendChild(svg('text', { x: W - R, y: H - B + 18, class: 'tick', 'text-anchor': 'end' }, 'now'));
	chart.appendChild(svg('text', { x: L + pw / 2, y: H - 6, class: 'axis-label', 'text-anchor': 'middle' },
		'time (UTC), ' + span));

	const legend = h('ul', { class: 'legend fleet-legend', id: 'fleet-legend', 'aria-label': 'Legend' },
		verdicts.map((v) => h('li', { 'data-verdict': v.id }, swatch(v), ' ' + v.label + ' (' + num(nowCounts[v.id]) + ' now)')),
		h('li', { 'data-verdict': 'late' }, lateSwatch(), ' Late, dashed line (' + num(nowCounts.late) + ' now)'));

	const table = h('table', { class: 'data fleet-table', id: 'fleet-chart-table' },
		h('caption', null, title + ': the chart\'s numbers'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Time'),
			verdicts.map((v) => h('th', { scope: 'col', class: 'num', 'data-verdict': v.id }, v.label)),
			h('th', { scope: 'col', class: 'num', 'data-verdict': 'late' }, 'Late'),
			h('th', { scope: 'col', class: 'num', 'data-verdict': 'total' }, 'Total'))),
		h('tbody', null, drawn.map((p) => h('tr', { 'data-at': p.now ? 'now' : p.at },
			h('th', { scope: 'row' }, p.now ? 'now' : when(p.at)),
			verdicts.map((v) => h('td', { class: 'num', 'data-verdict': v.id }, String(num(p.counts[v.id])))),
			h('td', { class: 'num', 'data-verdict': 'late' }, String(num(p.counts.late))),
			h('td', { class: 'num', 'data-verdict': 'total' }, String(total(p.counts, verdicts)))))));

	const daysNav = h('nav', { class: 'tabs fleet-days', 'aria-label': 'Time span' },
		DAYS.map((d) => h('a', { href: '#/fleet' + query({ days: d === 7 ? '' : d }), 'aria-current': d === days ? 'page' : null },
			d === 1 ? '24 hours' : d + ' days')));

	return h('section', { class: 'card', id: 'fleet-chart', 'aria-labelledby': 'sec-fleet-chart' },
		h('h2', { id: 'sec-fleet-chart' }, title),
		daysNav,
		h('figure', { class: 'fleet-figure' },
			h('div', { class: 'fleet-chart-wrap' }, chart),
			h('figcaption', null, legend)),
		h('details', { class: 'fleet-table-details', id: 'fleet-chart-details' },
			h('summary', null, 'The chart as a table (' + drawn.length + (drawn.length === 1 ? ' row' : ' rows') + ')'),
			h('div', { class: 'table-wrap' }, table)));
}

/* ---- the machines ---- */

/* What differs, in words: the first difference (and how many more), or the reason. */
function mainDifference(m) {
	const d = Array.isArray(m.differences) ? m.differences.filter((x) => typeof x === 'string') : [];
	if (d.length)
		return [h('span', { class: 'difference' }, d[0]), d.length > 1 ? h('span', { class: 'sub' }, '+ ' + (d.length - 1) + ' more') : null];
	if (drifted(m.verdict) && m.reason && m.reason !== 'none')
		return h('span', { class: 'difference' }, String(m.reason));
	if (m.config)
		return h('span', { class: 'sub' }, 'as ', h('a', { href: '#/config/' + encodeURIComponent(m.config) }, String(m.config)));
	return h('span', { class: 'muted' }, '—');
}

function machinesSection(body, f, me, now) {
	const items = Array.isArray(body.items) ? body.items : [];
	const totalN = typeof body.total === 'number' ? body.total : items.length;
	const sec = h('section', { class: 'card', id: 'fleet-machines', 'aria-labelledby': 'sec-fleet-machines' });

	const sel = h('select', { id: 'fleet-verdict', name: 'verdict' },
		h('option', { value: '' }, 'any verdict'),
		h('option', { value: 'drifted', selected: f.verdict === 'drifted' }, 'Drifted: neither validated nor supported'),
		MACHINE_VERDICTS.filter((v) => v.id !== 'none').map((v) => h('option', { value: v.id, selected: v.id === f.verdict }, v.label)));
	const lateBox = h('input', { type: 'checkbox', id: 'fleet-late', name: 'late', checked: f.late });
	const go = () => {
		location.hash = '#/fleet' + query({ verdict: sel.value, late: lateBox.checked ? '1' : '', days: f.days === 7 ? '' : f.days });
	};
	sel.addEventListener('change', go);
	lateBox.addEventListener('change', go);
	const filter = h('form', { class: 'search fleet-filter', role: 'search', 'aria-label': 'Machines' },
		h('div', { class: 'field' }, h('label', { for: 'fleet-verdict' }, 'Verdict'), sel),
		h('div', { class: 'field' }, h('label', { for: 'fleet-late' }, lateBox, ' Late only')));
	filter.addEventListener('submit', (ev) => {
		ev.preventDefault();
		go();
	});

	const what = [f.verdict ? (f.verdict === 'drifted' ? 'drifted' : machineVerdictLabel(f.verdict).toLowerCase()) : '', f.late ? 'late' : ''].filter(Boolean).join(', ');
	sec.appendChild(h('h2', { id: 'sec-fleet-machines' },
		(totalN === 1 ? '1 machine' : totalN + ' machines') + (what ? ' (' + what + ')' : '')));
	sec.appendChild(h('p', { class: 'muted' }, 'Machines out of a validated or supported configuration first, then late ones, then by name.'));
	sec.appendChild(filter);
	if (!items.length) {
		sec.appendChild(notice('info', h('p', null, f.verdict || f.late ? 'No machine matches.'
			: ['No machine yet: enroll one with ', code('covalid agent enroll'), '.'])));
		return sec;
	}
	const showCustomer = !me || me.role !== 'customer-admin';
	const tbody = h('tbody');
	for (const m of items) {
		const href = '#/machine/' + encodeURIComponent(m.id);
		const where = [m.guest, m.hypervisor].filter((x) => typeof x === 'string' && x).join(' on ');
		const tr = h('tr', { class: 'clickable machine-row' + (drifted(m.verdict) ? ' drifted' : ''), 'data-id': m.id,
			'data-verdict': m.verdict, 'data-late': m.late ? 'true' : 'false' },
		h('td', { class: 'machine-name' }, h('a', { href }, String(m.name || m.id)),
			where ? h('span', { class: 'sub' }, where) : null,
			h('span', { class: 'sub id' }, String(m.id))),
		showCustomer ? h('td', { class: 'customer', 'data-label': 'Customer' }, String(m.customer || '')) : null,
		h('td', { class: 'machine-verdict' }, machineVerdictBadge(m.verdict), m.late ? [' ', lateBadge()] : null),
		h('td', { class: 'machine-difference', 'data-label': 'Difference' }, mainDifference(m)),
		h('td', { class: 'machine-health', 'data-label': 'Health' }, flagBadges(m.flags).length ? flagBadges(m.flags) : h('span', { class: 'muted' }, 'ok')),
		h('td', { class: 'machine-seen', 'data-label': 'Last seen' }, m.last_seen ? [ago(m.last_seen, now.getTime()), h('span', { class: 'sub' }, when(m.last_seen))]
			: h('span', { class: 'muted' }, 'never')));
		tr.addEventListener('click', (ev) => {
			if (!ev.target.closest('a'))
				location.hash = href;
		});
		tbody.appendChild(tr);
	}
	sec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data machines', id: 'fleet-machines-table' },
		h('caption', { class: 'visually-hidden' }, 'Machines, drifted first'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Machine'),
			showCustomer ? h('th', { scope: 'col' }, 'Customer') : null,
			h('th', { scope: 'col' }, 'Verdict'),
			h('th', { scope: 'col' }, 'Main difference'),
			h('th', { scope: 'col' }, 'Health'),
			h('th', { scope: 'col' }, 'Last seen'))),
		tbody)));
	if (f.offset > 0 || f.offset + items.length < totalN) {
		const link = (to, text, rel) => to === null
			? h('span', { class: 'button disabled', 'aria-disabled': 'true' }, text)
			: h('a', { class: 'button', rel, href: '#/fleet' + query({ verdict: f.verdict, late: f.late ? '1' : '',
				days: f.days === 7 ? '' : f.days, offset: to || '' }) }, text);
		sec.appendChild(h('nav', { class: 'pager', 'aria-label': 'Pages' },
			link(f.offset > 0 ? Math.max(0, f.offset - PAGE) : null, '← Previous', 'prev'),
			h('span', { class: 'pager-pos' }, (f.offset + 1) + '–' + (f.offset + items.length) + ' of ' + totalN),
			link(f.offset + items.length < totalN ? f.offset + PAGE : null, 'Next →', 'next')));
	}
	return sec;
}
