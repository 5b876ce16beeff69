/*
 * dashboard.js - the owner's dashboard (#/dashboard): cases by vendor and
 * state, SLA breaches a day over the last 30 days, and the catalog's
 * coverage, each drawn as a chart (chart.js: inline SVG with its title,
 * its description in words and its numbers as a table), from GET
 * /api/v1/admin/dashboard.  Other users are told whose page it is.
 */

import { authApi, sessionToken, whoAmI, vendors } from './api.js';
import { STATUSES, h, clear, notice, errorNotice, signInNotice } from './dom.js';
import { stackedBars, columns } from './chart.js';

const STATE_LABEL = {
	'new': 'New',
	'in-progress': 'In progress',
	'waiting-on-customer': 'Waiting on customer',
	'engaged': 'Engaged',
	'resolved': 'Resolved',
	'closed': 'Closed',
};
const CLOCKS = [
	{ id: 'first_response', label: 'First response' },
	{ id: 'next_update', label: 'Next update' },
	{ id: 'collaboration', label: 'Collaboration response' },
];

function width() {
	return window.innerWidth < 600 ? 340 : 560;
}

export async function viewDashboard(ctx) {
	const page = ctx.page;
	ctx.title('Dashboard');
	if (!sessionToken()) {
		clear(page);
		page.appendChild(h('h1', null, 'Dashboard'));
		page.appendChild(signInNotice('The dashboard is the program owner\u2019s: support and the catalog at a glance.', '#/dashboard'));
		return;
	}
	let me, d, names;
	try {
		me = await whoAmI();
		if (me && me.role === 'owner')
			[d, names] = await Promise.all([authApi('/admin/dashboard?days=30'), vendors().catch(() => [])]);
	} catch (e) {
		if (!ctx.current())
			return;
		clear(page);
		page.appendChild(h('h1', null, 'Dashboard'));
		page.appendChild(errorNotice(e, 'The dashboard could not be read.'));
		return;
	}
	if (!ctx.current())
		return;
	clear(page);
	page.appendChild(h('h1', null, 'Dashboard'));
	if (!me || me.role !== 'owner') {
		page.appendChild(notice('info', h('p', null, 'The dashboard is the program owner\u2019s; you are signed in as ' +
			(me && me.name ? me.name : 'someone else') + (me ? ' (' + me.role + ')' : '') + '.')));
		return;
	}
	const vname = new Map((names || []).map((v) => [v.id, v.name]));
	const cases = d.cases || {};
	const sla = d.sla || {};
	const cat = d.catalog || {};
	const breaches = (sla.breaches || []).reduce((t, b) => t + CLOCKS.reduce((u, c) => u + (b[c.id] || 0), 0), 0);
	page.appendChild(h('p', { class: 'lead' }, 'Support and the catalog at a glance, as of ' + (d.now || 'now') + '.'));
	page.appendChild(h('ul', { class: 'dash-totals', id: 'dash-totals' },
		h('li', { 'data-total': 'cases' }, h('span', { class: 'n' }, String(cases.total || 0)), 'cases'),
		h('li', { 'data-total': 'open-breached' }, h('span', { class: 'n' }, String(sla.open_breached || 0)), 'open cases with an SLA breached'),
		h('li', { 'data-total': 'breaches' }, h('span', { class: 'n' }, String(breaches)), 'SLA breaches in ' + (sla.days || 30) + ' days'),
		h('li', { 'data-total': 'configurations' }, h('span', { class: 'n' }, String(cat.total || 0)), 'configurations'),
		h('li', { 'data-total': 'validated' }, h('span', { class: 'n' }, String((cat.by_status || {}).validated || 0)), 'validated')));

	const grid = h('div', { class: 'dash-grid' });
	page.appendChild(grid);

	/* cases by vendor and state */
	const states = (cases.states || Object.keys(STATE_LABEL)).map((s) => ({ id: s, label: STATE_LABEL[s] || s }));
	const caseRows = (cases.by_vendor || []).map((v) => ({ key: v.vendor, label: vname.get(v.vendor) || v.vendor, values: v.states || {} }));
	grid.appendChild(h('section', { class: 'card', id: 'dash-cases', 'aria-labelledby': 'dash-cases-h' },
		h('h2', { id: 'dash-cases-h' }, 'Cases by vendor and state'),
		caseRows.length ? stackedBars(caseRows, states, {
			id: 'chart-cases', title: 'Cases by the vendor they were opened with, by state', rowHead: 'Vendor', width: width(),
			desc: caseRows.map((r) => r.label + ': ' + states.filter((s) => r.values[s.id]).map((s) => r.values[s.id] + ' ' + s.label.toLowerCase()).join(', ')).join('; ') + '.',
		}) : h('p', { class: 'muted' }, 'No case yet.')));

	/* SLA breaches a day */
	const days = (sla.breaches || []).map((b) => ({ key: b.day, label: b.day.slice(5), values: b }));
	grid.appendChild(h('section', { class: 'card', id: 'dash-sla', 'aria-labelledby': 'dash-sla-h' },
		h('h2', { id: 'dash-sla-h' }, 'SLA breaches a day'),
		columns(days, CLOCKS, {
			id: 'chart-sla', title: 'SLA breaches a day over the last ' + (sla.days || days.length) + ' days, by clock', rowHead: 'Day', width: width(),
			desc: breaches ? days.filter((x) => CLOCKS.some((c) => x.values[c.id])).map((x) => x.key + ': ' +
				CLOCKS.filter((c) => x.values[c.id]).map((c) => x.values[c.id] + ' ' + c.label.toLowerCase()).join(', ')).join('; ') + '.'
				: 'No SLA clock fell due unmet in these days.',
		})));

	/* the catalog's coverage */
	const covRows = [{ key: '', label: 'All vendors', values: { validated: (cat.by_status || {}).validated || 0,
		other: (cat.total || 0) - ((cat.by_status || {}).validated || 0) } }]
		.concat((cat.by_vendor || []).map((v) => ({ key: v.vendor, label: v.name || v.vendor,
			values: { validated: v.validated || 0, other: (v.total || 0) - (v.validated || 0) } })));
	const statusRows = STATUSES.filter(([s]) => (cat.by_status || {})[s]).map(([s, label]) => ({ key: s, label,
		values: s === 'validated' ? { validated: cat.by_status[s] } : { other: cat.by_status[s] } }));
	const series = [{ id: 'validated', label: 'Validated' }, { id: 'other', label: 'Other status' }];
	grid.appendChild(h('section', { class: 'card', id: 'dash-catalog', 'aria-labelledby': 'dash-catalog-h' },
		h('h2', { id: 'dash-catalog-h' }, 'Catalog coverage'),
		stackedBars(covRows, series, {
			id: 'chart-coverage', title: 'Configurations by admitted vendor: validated and other statuses', rowHead: 'Vendor', width: width(),
			desc: covRows.map((r) => r.label + ' ' + (r.values.validated + r.values.other) + ' (' + r.values.validated + ' validated)').join('; ') + '.',
		}),
		h('h3', null, 'By status'),
		stackedBars(statusRows, series, {
			id: 'chart-status', title: 'Configurations by status', rowHead: 'Status', width: width(),
			desc: statusRows.map((r) => r.label + ' ' + (r.values.validated || r.values.other)).join('; ') + '.',
		})));
}
