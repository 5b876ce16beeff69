/*
 * catalog.js - the catalog (search, filters with their counts, the table
 * sortable and as CSV, the matrix, the summary chart), a configuration
 * with its evidence, the vendors and a vendor with its feeds.
 */

import { API, collator, api, query, vendors, vendorIdsByName, productNames } from './api.js';
import { STATUSES, STATUS_LABEL, STATUS_RANK, h, append, clear, linkify, statusBadge, list, code, dl, notice, errorNotice, guestName, hypervisorName, archs, mib, vcpuText, limitsShort, when, vendorLink, breadcrumbs, render } from './dom.js';
import { stackedBars } from './chart.js';

const PAGE_SIZE = 50;
/* The matrix pages through every match; past this it says it stopped. */
const MATRIX_MAX_PAGES = 20;
const MATRIX_PAGE = 500;
/* Up to this many matches are sorted as a whole; past it, the page shown. */
const SORT_ALL_MAX = 500;

/* ---- catalog ---- */

const FILTERS = ['q', 'guest', 'hypervisor', 'vendor', 'status'];

function catalogHash(params, changes) {
	const u = new URLSearchParams();
	for (const k of FILTERS.concat(['view', 'sort', 'offset'])) {
		const v = k in changes ? changes[k] : params.get(k);
		if (v !== null && v !== undefined && v !== '' && !(k === 'offset' && String(v) === '0') && !(k === 'view' && v === 'table'))
			u.set(k, v);
	}
	const s = u.toString();
	return '#/' + (s ? '?' + s : '');
}

/*
 * The matrix and the chart read three statuses, not nine: validated,
 * another (a support statement, an announcement, an exclusion, a
 * revocation: the badge says which), and none.
 */
export function statusGroup(status) {
	return status === 'validated' ? 'validated' : 'other';
}

/* How many configurations the API counts for filters (its total for limit=1). */
async function total(filters) {
	const body = await api('/configurations' + query(Object.assign({}, filters, { limit: 1 })));
	return typeof body.total === 'number' ? body.total : 0;
}

/*
 * What each filter choice would give with the other filters kept: the
 * API's total for each status and each vendor, and each vendor's
 * validated ones (for the chart).  One limit=1 request a choice, asked in
 * parallel and answered from the server's cache: the catalog is never
 * fetched whole to count it.
 */
async function filterCounts(filters, vendorList) {
	const without = (k) => Object.assign({}, filters, { [k]: '' });
	const statusP = STATUSES.map(([st]) => total(Object.assign(without('status'), { status: st })));
	const vendorP = vendorList.map((v) => total(Object.assign(without('vendor'), { vendor: v.id })));
	const validP = vendorList.map((v) => !filters.status
		? total(Object.assign(without('vendor'), { vendor: v.id, status: 'validated' }))
		: Promise.resolve(null));
	const [st, ve, va, all] = await Promise.all([Promise.all(statusP), Promise.all(vendorP), Promise.all(validP), total(filters)]);
	const counts = { status: new Map(), vendor: new Map(), validated: new Map(), total: all };
	STATUSES.forEach(([id], i) => counts.status.set(id, st[i]));
	vendorList.forEach((v, i) => {
		counts.vendor.set(v.id, ve[i]);
		counts.validated.set(v.id, va[i] !== null ? va[i] : filters.status === 'validated' ? ve[i] : 0);
	});
	return counts;
}

export async function viewCatalog(params, ctx) {
	const page = ctx.page;
	const filters = {};
	for (const k of FILTERS)
		filters[k] = (params.get(k) || '').trim();
	const view = params.get('view') === 'matrix' ? 'matrix' : 'table';
	let offset = parseInt(params.get('offset') || '0', 10);
	if (!Number.isFinite(offset) || offset < 0)
		offset = 0;

	const [names, vendorList] = await Promise.all([productNames(), vendors().catch(() => [])]);
	if (!ctx.current())
		return;
	const countsP = filterCounts(filters, vendorList).catch(() => null);
	clear(page);
	ctx.title(filters.q || filters.guest || filters.hypervisor ? 'Catalog search' : 'Catalog');
	page.appendChild(h('h1', null, 'Validated configurations'));
	page.appendChild(h('p', { class: 'lead' },
		'Guest operating systems on hypervisors, as validated by the program\'s vendors or stated in their support matrices. ',
		'Search anywhere in a record, or narrow by guest, hypervisor, vendor and status.'));
	const form = searchForm(filters, params, names, vendorList);
	page.appendChild(form);
	const summary = h('section', { class: 'card coverage', id: 'coverage', 'aria-labelledby': 'coverage-heading' },
		h('h2', { id: 'coverage-heading' }, 'Coverage by vendor'),
		h('p', { class: 'loading' }, 'Counting…'));
	page.appendChild(summary);

	const tabs = h('nav', { class: 'tabs', 'aria-label': 'View' },
		h('a', { href: catalogHash(params, { view: 'table' }), 'aria-current': view === 'table' ? 'page' : null, id: 'tab-table' }, 'Table'),
		h('a', { href: catalogHash(params, { view: 'matrix', offset: '' }), 'aria-current': view === 'matrix' ? 'page' : null, id: 'tab-matrix' }, 'Guest × hypervisor matrix'));
	page.appendChild(tabs);

	const results = h('section', { class: 'results', 'aria-labelledby': 'results-heading' });
	page.appendChild(results);
	try {
		if (view === 'matrix')
			await catalogMatrix(results, filters, ctx);
		else
			await catalogTable(results, filters, params, offset, ctx);
	} catch (e) {
		if (!ctx.current())
			return;
		clear(results);
		results.appendChild(h('h2', { id: 'results-heading', class: 'visually-hidden' }, 'Results'));
		results.appendChild(errorNotice(e, 'The catalog could not be searched.'));
	}
	const counts = await countsP;
	if (!ctx.current())
		return;
	showCounts(form, counts);
	clear(summary);
	summary.appendChild(h('h2', { id: 'coverage-heading' }, 'Coverage by vendor'));
	if (counts)
		summary.appendChild(coverageChart(counts, vendorList, filters));
	else
		summary.appendChild(h('p', { class: 'muted' }, 'The counts could not be read.'));
}

/* "Validated (110)": each choice with what it would give (0 choices stay, greyed). */
function showCounts(form, counts) {
	if (!counts)
		return;
	for (const [sel, map] of [[form.elements.status, counts.status], [form.elements.vendor, counts.vendor]]) {
		for (const opt of sel.options) {
			if (!opt.value || !map.has(opt.value))
				continue;
			const n = map.get(opt.value);
			opt.textContent = opt.dataset.label + ' (' + n + ')';
			opt.dataset.count = String(n);
			opt.classList.toggle('zero', n === 0);
		}
	}
	form.dataset.counted = 'true';
}

function coverageChart(counts, vendorList, filters) {
	const rows = [];
	const validatedAll = filters.status && filters.status !== 'validated' ? 0 : counts.status.get('validated') || 0;
	rows.push({ key: '', label: 'All vendors', values: { validated: validatedAll, other: counts.total - validatedAll } });
	for (const v of vendorList) {
		const t = counts.vendor.get(v.id) || 0;
		if (!t)
			continue;
		const va = counts.validated.get(v.id) || 0;
		rows.push({ key: v.id, label: v.name, values: { validated: va, other: t - va } });
	}
	const words = rows.map((r) => r.label + ' ' + (r.values.validated + r.values.other) + ' (' + r.values.validated + ' validated)').join('; ');
	return stackedBars(rows, [{ id: 'validated', label: 'Validated' }, { id: 'other', label: 'Other status' }], {
		id: 'coverage-chart',
		title: 'Configurations by vendor: validated and other statuses' + (filters.q || filters.guest || filters.hypervisor || filters.status ? ', for these filters' : ''),
		desc: 'One bar a vendor (the configurations it validated or whose guest or hypervisor is its), validated first. ' + words + '.',
		rowHead: 'Vendor',
		width: window.innerWidth < 600 ? 340 : 560,
	});
}

function searchForm(filters, params, names, vendorList) {
	const form = h('form', { class: 'search', role: 'search', 'aria-label': 'Catalog' });
	const field = (id, label, control, hint) => h('div', { class: 'field field-' + id },
		h('label', { for: 'f-' + id }, label), control,
		hint ? h('span', { class: 'hint', id: 'f-' + id + '-hint' }, hint) : null);

	const q = h('input', { type: 'search', id: 'f-q', name: 'q', value: filters.q, placeholder: 'rhel, 2008 R2, storvsc, …',
		autocomplete: 'off', 'aria-describedby': 'f-q-hint' });
	const guest = h('input', { type: 'text', id: 'f-guest', name: 'guest', value: filters.guest, list: 'dl-guest',
		placeholder: 'any', autocomplete: 'off' });
	const hv = h('input', { type: 'text', id: 'f-hypervisor', name: 'hypervisor', value: filters.hypervisor, list: 'dl-hypervisor',
		placeholder: 'any', autocomplete: 'off' });
	const vendor = h('select', { id: 'f-vendor', name: 'vendor' },
		h('option', { value: '' }, 'any vendor'),
		vendorList.map((v) => h('option', { value: v.id, selected: v.id === filters.vendor, 'data-label': v.name }, v.name)));
	if (filters.vendor && !vendorList.some((v) => v.id === filters.vendor))
		vendor.appendChild(h('option', { value: filters.vendor, selected: true }, filters.vendor));
	const status = h('select', { id: 'f-status', name: 'status' },
		h('option', { value: '' }, 'any status'),
		STATUSES.map(([v, label]) => h('option', { value: v, selected: v === filters.status, 'data-label': label }, label)));

	append(form, [
		field('q', 'Search', q, 'text anywhere in a record: product, version, component, source'),
		field('guest', 'Guest OS', guest),
		field('hypervisor', 'Hypervisor', hv),
		field('vendor', 'Vendor', vendor),
		field('status', 'Status', status),
		h('div', { class: 'field field-actions' },
			h('button', { type: 'submit', class: 'primary' }, 'Search'),
			h('a', { href: catalogHash(new URLSearchParams(), { view: params.get('view') }), class: 'button' }, 'Reset')),
		h('datalist', { id: 'dl-guest' }, names.guests.map((n) => h('option', { value: n }))),
		h('datalist', { id: 'dl-hypervisor' }, names.hypervisors.map((n) => h('option', { value: n }))),
	]);
	const go = () => {
		const changes = { offset: '' };
		for (const k of FILTERS)
			changes[k] = form.elements[k].value.trim();
		const target = catalogHash(params, changes);
		if (target === (location.hash || '#/'))
			render(false); /* the same search again: ask again */
		else
			location.hash = target;
	};
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		go();
	});
	vendor.addEventListener('change', go);
	status.addEventListener('change', go);
	return form;
}

/* ---- sorting ---- */

/* The sortable columns: key (as in ?sort=KEY or -KEY), header, comparator. */
const SORTS = [
	{ key: 'guest', label: 'Guest OS', cmp: (a, b) => collator.compare(guestName(a.guest || {}), guestName(b.guest || {})) ||
		collator.compare(archs(a.guest || {}), archs(b.guest || {})) },
	{ key: 'hypervisor', label: 'Hypervisor', cmp: (a, b) => collator.compare(hypervisorName(a.hypervisor || {}), hypervisorName(b.hypervisor || {})) },
	{ key: 'vendor', label: 'Validated by', cmp: (a, b) => collator.compare((a.validated_by || []).join(', '), (b.validated_by || []).join(', ')) },
	{ key: 'status', label: 'Status', cmp: (a, b) => (STATUS_RANK.get(a.status) ?? 99) - (STATUS_RANK.get(b.status) ?? 99) },
	{ key: 'id', label: 'Configuration', cmp: (a, b) => collator.compare(a.id, b.id) },
];
const SORT_BY_KEY = new Map(SORTS.map((x) => [x.key, x]));

function parseSort(s) {
	const desc = typeof s === 'string' && s.startsWith('-');
	const key = desc ? s.slice(1) : s;
	return SORT_BY_KEY.has(key) ? { key, desc } : null;
}

/* Stable: ties keep the API's order (then the id). */
function sortItems(items, sort) {
	const by = SORT_BY_KEY.get(sort.key);
	const idx = new Map(items.map((c, i) => [c, i]));
	return items.slice().sort((a, b) => (sort.desc ? -1 : 1) * (by.cmp(a, b) || collator.compare(a.id, b.id)) || idx.get(a) - idx.get(b));
}

async function catalogTable(results, filters, params, offset, ctx) {
	const sort = parseSort(params.get('sort'));
	let items, total, whole = false;
	if (sort) {
		/* Few enough matches: sort them all and show the page asked. */
		const body = await api('/configurations' + query(Object.assign({}, filters, { limit: SORT_ALL_MAX })));
		total = typeof body.total === 'number' ? body.total : (body.items || []).length;
		if (total <= SORT_ALL_MAX) {
			whole = true;
			items = sortItems(body.items || [], sort).slice(offset, offset + PAGE_SIZE);
		}
	}
	if (!whole) {
		const body = await api('/configurations' + query(Object.assign({}, filters, { limit: PAGE_SIZE, offset: offset || '' })));
		items = body.items || [];
		total = typeof body.total === 'number' ? body.total : items.length;
		if (sort)
			items = sortItems(items, sort);
	}
	if (!ctx.current())
		return;
	const ids = await vendorIdsByName();
	if (!ctx.current())
		return;
	clear(results);
	const first = items.length ? offset + 1 : 0;
	const last = offset + items.length;
	results.appendChild(h('div', { class: 'results-head' },
		h('h2', { id: 'results-heading' }, total === 1 ? '1 configuration' : total + ' configurations'),
		h('p', { class: 'muted', id: 'results-range', 'aria-live': 'polite' },
			items.length ? 'Showing ' + first + '–' + last + ' of ' + total : ''),
		total ? csvButton(filters, total) : null));
	if (!items.length) {
		results.appendChild(notice('info', h('p', null, 'Nothing in the catalog matches these filters.')));
		return;
	}
	if (sort && !whole)
		results.appendChild(h('p', { class: 'muted', id: 'sort-scope' }, 'More than ' + SORT_ALL_MAX +
			' matches: the rows of this page are sorted; narrow the filters to sort them all.'));
	results.appendChild(configTable(items, ids, 'Matching configurations', { sort, params }));
	results.appendChild(pager(params, offset, items.length, total));
}

/* ---- CSV ---- */

/*
 * Every match of the filters as CSV, made by the server
 * (GET /api/v1/configurations?format=csv: RFC 4180, formula-like cells
 * guarded, in the API's order, up to 100,000 rows), downloaded as a file.
 */
function csvButton(filters, count) {
	return h('span', { class: 'csv' }, h('a', {
		href: API + '/configurations' + query(Object.assign({}, filters, { format: 'csv' })),
		download: 'covalid-configurations.csv', type: 'text/csv', id: 'csv-export', class: 'button csv-button',
	}, 'Download CSV (' + count + ')'));
}

async function allMatches(filters, current) {
	const items = [];
	let truncated = false;
	for (let pageNo = 0; ; pageNo++) {
		if (pageNo === MATRIX_MAX_PAGES) {
			truncated = true;
			break;
		}
		const body = await api('/configurations' + query(Object.assign({}, filters, { limit: MATRIX_PAGE, offset: pageNo * MATRIX_PAGE || '' })));
		if (!current())
			return { items, truncated, stale: true };
		items.push(...(body.items || []));
		if (!body.next || !(body.items || []).length)
			break;
	}
	return { items, truncated };
}

function pager(params, offset, count, total) {
	const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
	const pageNo = Math.floor(offset / PAGE_SIZE) + 1;
	const prev = offset > 0 ? catalogHash(params, { offset: String(Math.max(0, offset - PAGE_SIZE)) }) : null;
	const next = offset + count < total ? catalogHash(params, { offset: String(offset + PAGE_SIZE) }) : null;
	const link = (href, text, rel) => href
		? h('a', { href, rel, class: 'button' }, text)
		: h('span', { class: 'button disabled', 'aria-disabled': 'true' }, text);
	return h('nav', { class: 'pager', 'aria-label': 'Pages' },
		link(prev, '← Previous', 'prev'),
		h('span', { class: 'pager-pos' }, 'Page ' + pageNo + ' of ' + pages),
		link(next, 'Next →', 'next'));
}

/* A vendor's parts in a configuration, as its feed names them: it
 * validated it, the guest OS is its, the hypervisor is its. */
const ROLE_LABEL = new Map([
	['validated_by', 'validated it'],
	['guest_vendor', 'its guest OS'],
	['host_vendor', 'its hypervisor'],
]);

/*
 * The configurations as a table, product first: the guest OS (a link to
 * the configuration), the hypervisor, limits, who validated it, status,
 * and the id last; a click anywhere on a row opens it.  With roles (a
 * vendor's feed), a column says the vendor's part.  With sort (the
 * catalog), the headers are buttons that sort (aria-sort says how).  On a
 * narrow screen the rows are cards (style.css: table.cards, each cell
 * labelled by its data-label).
 */
function configTable(items, ids, caption, opts) {
	const roles = !!(opts && opts.roles);
	const sortable = !!(opts && opts.params);
	const sort = opts && opts.sort;
	const head = (key, label, cls) => {
		if (!sortable || !SORT_BY_KEY.has(key))
			return h('th', { scope: 'col', class: cls }, label);
		const on = sort && sort.key === key;
		const next = on && !sort.desc ? '-' + key : key;
		return h('th', { scope: 'col', class: cls, 'aria-sort': on ? (sort.desc ? 'descending' : 'ascending') : null, 'data-sort': key },
			h('a', { href: catalogHash(opts.params, { sort: next, offset: '' }), class: 'sort', id: 'sort-' + key,
				title: 'Sort by ' + label.toLowerCase() + (on && !sort.desc ? ', descending' : '') },
			label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, on ? (sort.desc ? ' ▼' : ' ▲') : ' ↕')));
	};
	const table = h('table', { class: 'data configs cards' },
		h('caption', { class: 'visually-hidden' }, caption + (sort ? ', sorted by ' + SORT_BY_KEY.get(sort.key).label.toLowerCase() +
			(sort.desc ? ', descending' : ', ascending') : '')),
		h('thead', null, h('tr', null,
			head('guest', 'Guest OS'),
			head('hypervisor', 'Hypervisor'),
			head('limits', 'Limits'),
			head('vendor', 'Validated by'),
			roles ? head('roles', 'Its part') : null,
			head('status', 'Status'),
			head('id', 'Configuration'))));
	const tbody = h('tbody');
	for (const c of items) {
		const g = c.guest || {};
		const hv = c.hypervisor || {};
		const href = '#/config/' + encodeURIComponent(c.id);
		const tr = h('tr', { class: 'clickable', 'data-id': c.id },
			h('td', { class: 'guest', 'data-label': 'Guest OS' }, h('a', { href, class: 'product' }, guestName(g)),
				h('span', { class: 'sub' }, archs(g))),
			h('td', { class: 'hypervisor', 'data-label': 'Hypervisor' }, hypervisorName(hv), h('span', { class: 'sub' }, (hv.ids || []).join(', '))),
			h('td', { class: 'limits', 'data-label': 'Limits' }, limitsShort(c.limits)),
			h('td', { class: 'validated-by', 'data-label': 'Validated by' }, (c.validated_by || []).length
				? c.validated_by.map((n, i) => [i ? ', ' : '', vendorLink(n, ids)]) : h('span', { class: 'muted' }, '—')),
			roles ? h('td', { class: 'roles', 'data-label': 'Its part' }, (c.roles || []).map((r, i) => [i ? h('br') : null, ROLE_LABEL.get(r) || String(r)])) : null,
			h('td', { class: 'status', 'data-label': 'Status' }, statusBadge(c.status)),
			h('td', { class: 'id', 'data-label': 'Configuration' }, h('a', { href }, c.id)));
		tr.addEventListener('click', (ev) => {
			if (ev.target.closest('a'))
				return;
			location.hash = href;
		});
		tbody.appendChild(tr);
	}
	table.appendChild(tbody);
	return h('div', { class: 'table-wrap' }, table);
}

/* ---- the matrix ---- */

/*
 * Guest (rows) × hypervisor (columns), only the rows and columns that
 * hold a configuration ("validated only" collapses those left without
 * one).  A cell is one mark a configuration: ✓ validated, ○ another
 * status, each a link naming its status in words (for a screen reader
 * and as a tooltip); an empty cell is none.  The column headers stand
 * upright so that the matrix fits the page.
 */
async function catalogMatrix(results, filters, ctx) {
	const { items: all, truncated, stale } = await allMatches(filters, ctx.current);
	if (stale || !ctx.current())
		return;
	clear(results);
	const head = h('div', { class: 'results-head' },
		h('h2', { id: 'results-heading' }, 'Guest × hypervisor'),
		h('p', { class: 'muted', id: 'matrix-count' }, all.length + (all.length === 1 ? ' configuration' : ' configurations') +
			'; a mark links each configuration of that pair.'));
	results.appendChild(head);
	if (truncated)
		results.appendChild(notice('info', h('p', null, 'Only the first ' + all.length + ' configurations are shown: narrow the filters to see the rest.')));
	if (!all.length) {
		results.appendChild(notice('info', h('p', null, 'Nothing in the catalog matches these filters.')));
		return;
	}
	const only = h('input', { type: 'checkbox', id: 'matrix-validated-only' });
	head.appendChild(h('label', { class: 'check-inline', for: 'matrix-validated-only' }, only, ' Validated only (hide rows and columns without one)'));
	const holder = h('div');
	results.appendChild(holder);
	const draw = () => {
		clear(holder);
		const items = only.checked ? all.filter((c) => c.status === 'validated') : all;
		holder.appendChild(matrixTable(items));
		holder.appendChild(legend());
	};
	only.addEventListener('change', draw);
	draw();
}

function matrixTable(items) {
	const rowKey = (c) => guestName(c.guest || {});
	const colKey = (c) => hypervisorName(c.hypervisor || {});
	const rows = [...new Set(items.map(rowKey))].sort(collator.compare);
	const cols = [...new Set(items.map(colKey))].sort(collator.compare);
	const cells = new Map();
	for (const c of items) {
		const k = rowKey(c) + '\u0000' + colKey(c);
		if (!cells.has(k))
			cells.set(k, []);
		cells.get(k).push(c);
	}
	const table = h('table', { class: 'matrix', id: 'matrix', 'data-rows': rows.length, 'data-cols': cols.length },
		h('caption', { class: 'visually-hidden' }, 'Status of each guest OS (rows) on each hypervisor (columns)'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col', class: 'corner' }, 'Guest \\ Hypervisor'),
			cols.map((col) => h('th', { scope: 'col', class: 'col-head', title: col }, h('span', null, col))))));
	const tbody = h('tbody');
	for (const row of rows) {
		const tr = h('tr', null, h('th', { scope: 'row' }, row));
		for (const col of cols) {
			const list = (cells.get(row + '\u0000' + col) || [])
				.sort((a, b) => (STATUS_RANK.get(a.status) ?? 99) - (STATUS_RANK.get(b.status) ?? 99) || collator.compare(a.id, b.id));
			const td = h('td', { class: list.length ? 'cell group-' + statusGroup(list[0].status) : 'cell empty' });
			if (!list.length)
				td.appendChild(h('span', { class: 'visually-hidden' }, 'none'));
			for (const c of list) {
				const arch = archs(c.guest || {});
				const label = STATUS_LABEL.get(c.status) || c.status;
				const group = statusGroup(c.status);
				td.appendChild(h('a', {
					href: '#/config/' + encodeURIComponent(c.id),
					class: 'cell-link group-' + group,
					title: row + ' on ' + col + ': ' + label + (arch ? ' (' + arch + ')' : '') + ', ' + c.id,
					'data-id': c.id,
					'data-status': c.status,
				}, h('span', { 'aria-hidden': 'true' }, group === 'validated' ? '✓' : '○'),
				h('span', { class: 'visually-hidden' }, label + (arch ? ' (' + arch + ')' : ''))));
			}
			tr.appendChild(td);
		}
		tbody.appendChild(tr);
	}
	table.appendChild(tbody);
	return h('div', { class: 'table-wrap matrix-wrap', tabindex: '0', role: 'region', 'aria-label': 'Matrix' }, table);
}

function legend() {
	return h('ul', { class: 'legend', 'aria-label': 'Marks' },
		h('li', null, h('span', { class: 'cell-link group-validated', 'aria-hidden': 'true' }, '✓'), ' validated'),
		h('li', null, h('span', { class: 'cell-link group-other', 'aria-hidden': 'true' }, '○'),
			' another status: supported, announced, not supported, revoked (the configuration says which)'),
		h('li', null, h('span', { class: 'cell-swatch empty', 'aria-hidden': 'true' }), ' none'));
}

/* ---- a configuration ---- */

export async function viewConfiguration(id, ctx) {
	const page = ctx.page;
	let body;
	try {
		body = await api('/configurations/' + encodeURIComponent(id));
	} catch (e) {
		if (!ctx.current())
			return;
		clear(page);
		ctx.title(id);
		page.appendChild(breadcrumbs([['Catalog', '#/'], [id]]));
		page.appendChild(h('h1', null, 'Configuration ', code(id)));
		page.appendChild(errorNotice(e, e.status === 404 ? 'There is no configuration with this id.' : 'This configuration could not be loaded.'));
		return;
	}
	const ids = await vendorIdsByName();
	if (!ctx.current())
		return;
	const c = body.configuration || {};
	const logs = body.test_logs || [];
	const g = c.guest || {};
	const hv = c.hypervisor || {};
	const l = c.limits || {};
	clear(page);
	ctx.title(c.id);
	page.appendChild(breadcrumbs([['Catalog', '#/'], [c.id]]));
	page.appendChild(h('div', { class: 'title-row' },
		h('h1', { id: 'config-title' }, guestName(g) + ' on ' + hypervisorName(hv)),
		h('span', { id: 'config-status' }, statusBadge(c.status))));
	page.appendChild(h('p', { class: 'muted id-line' }, 'Configuration ', code(c.id), ' · ',
		h('a', { href: API + '/configurations/' + encodeURIComponent(c.id) }, 'JSON')));

	page.appendChild(h('section', { 'aria-labelledby': 'sec-config', class: 'card' },
		h('h2', { id: 'sec-config' }, 'Configuration'),
		dl([
			['Guest OS', h('span', { id: 'config-guest' }, guestName(g))],
			['Guest vendor', g.vendor],
			['Architecture', archs(g)],
			['OS id', g.os_id ? code(g.os_id) : null],
			['osinfo short-id', g.osinfo_short_id ? code(g.osinfo_short_id) : null],
			['Editions', g.editions && g.editions.length ? g.editions.join(', ') : null],
			['Service pack', g.service_pack],
			['Hypervisor', h('span', { id: 'config-hypervisor' }, hypervisorName(hv))],
			['Hypervisor vendor', hv.vendor],
			['Product version', hv.version],
			['Hypervisor ids', hv.ids && hv.ids.length ? hv.ids.map((x, i) => [i ? ', ' : '', code(x)]) : null],
			['Host version', hv.host_version],
			['Host builds', hv.builds && hv.builds.length ? hv.builds.join(', ') : null],
			['Engine OS type', hv.engine_os_type],
			['Status', statusBadge(c.status)],
			['Valid from', c.valid_from],
			['Valid until', c.valid_until],
		])));

	page.appendChild(h('section', { 'aria-labelledby': 'sec-limits', class: 'card' },
		h('h2', { id: 'sec-limits' }, 'Limits and requirements'),
		dl([
			['vCPUs', vcpuText(l) || h('span', { class: 'muted' }, 'not stated')],
			['Memory', typeof l.max_memory_mib === 'number' ? 'up to ' + mib(l.max_memory_mib) : h('span', { class: 'muted' }, 'not stated')],
			['Basis of the limits', l.basis],
			['Required components', c.required_components && c.required_components.length
				? list(c.required_components, code) : h('span', { class: 'muted' }, 'none')],
			['Required drivers', c.required_drivers && c.required_drivers.length ? list(c.required_drivers) : null],
			['Recommended drivers', c.recommended_drivers && c.recommended_drivers.length ? list(c.recommended_drivers) : null],
			['Integration components', c.integration_components],
			['VM generation', c.vm_generation],
			['Conditions', c.conditions && c.conditions.length ? list(c.conditions) : h('span', { class: 'muted' }, 'none')],
		])));

	page.appendChild(h('section', { 'aria-labelledby': 'sec-validation', class: 'card' },
		h('h2', { id: 'sec-validation' }, 'Validation and sources'),
		dl([
			['Validated by', h('span', { id: 'config-validated-by' },
				(c.validated_by || []).length ? c.validated_by.map((n, i) => [i ? ', ' : '', vendorLink(n, ids)]) : 'nobody')],
			['Details', c.validated_by_detail && c.validated_by_detail.length ? list(c.validated_by_detail) : null],
			['Source', c.source ? list(String(c.source).split(' | '), linkify) : null],
			['Source keys', c.source_keys && c.source_keys.length ? c.source_keys.map((x, i) => [i ? ', ' : '', code(x)]) : null],
			['Notes', c.notes ? h('p', { class: 'notes' }, linkify(String(c.notes))) : null],
			['Inferred fields', c.inferred_fields && c.inferred_fields.length ? c.inferred_fields.map((x, i) => [i ? ', ' : '', code(x)]) : null],
		])));

	page.appendChild(evidence(c, logs));
}

function evidence(c, logs) {
	const sec = h('section', { 'aria-labelledby': 'sec-evidence', class: 'card', id: 'evidence' },
		h('h2', { id: 'sec-evidence' }, 'Evidence: test logs'));
	if (!logs.length) {
		sec.appendChild(h('p', { class: 'muted', id: 'no-evidence' },
			(c.evidence || []).length
				? 'The record names test logs (' + c.evidence.join(', ') + ') that this server does not hold.'
				: 'No test log was submitted for this configuration: it rests on the sources above.'));
		return sec;
	}
	for (const log of logs) {
		const s = log.summary || {};
		const claim = log.claim || {};
		const cg = claim.guest || {};
		const ch = claim.hypervisor || {};
		const vm = claim.vm || {};
		const art = h('article', { class: 'test-log', 'data-submission': log.submission },
			h('h3', null, 'Submission ', code(log.submission)),
			dl([
				['Vendor', log.vendor ? h('a', { href: '#/vendor/' + encodeURIComponent(log.vendor) }, log.vendor) : null],
				['Received', when(log.received_at)],
				['Kit mode', log.kit_mode],
				['Host', log.host],
				['Claimed guest', [cg.os_id, cg.version, cg.arch].filter(Boolean).join(' ') || null],
				['Claimed hypervisor', [ch.id, ch.product, ch.version, ch.build ? 'build ' + ch.build : null].filter(Boolean).join(' · ') || null],
				['Claimed VM', [typeof vm.vcpus === 'number' ? vm.vcpus + ' vCPUs' : null, mib(vm.memory_mib)].filter(Boolean).join(', ') || null],
				['Summary', h('span', { class: 'summary' },
					[['pass', 'passed'], ['fail', 'failed'], ['skip', 'skipped'], ['error', 'errors']].map(([k, word]) =>
						h('span', { class: 'count ' + (s[k] ? 'count-' + k : 'count-zero') }, (s[k] || 0) + ' ' + word)))],
			]));
		const results = log.results || [];
		const table = h('table', { class: 'data results-table' },
			h('caption', null, 'Check results of ' + log.submission + ' (' + results.length + ')'),
			h('thead', null, h('tr', null,
				h('th', { scope: 'col' }, 'Check'),
				h('th', { scope: 'col' }, 'Status'),
				h('th', { scope: 'col' }, 'Reason'))),
			h('tbody', null, results.map((r) => h('tr', { class: 'result-' + String(r.status).replace(/[^a-z]/g, '') },
				h('td', null, code(r.id)),
				h('td', null, h('span', { class: 'badge result result-badge-' + String(r.status).replace(/[^a-z]/g, '') }, r.status)),
				h('td', null, r.reason ? r.reason : h('span', { class: 'muted' }, '—'))))));
		art.appendChild(h('div', { class: 'table-wrap' }, table));
		sec.appendChild(art);
	}
	return sec;
}

/* ---- vendors ---- */

export async function viewVendors(ctx) {
	const page = ctx.page;
	const items = await vendors();
	if (!ctx.current())
		return;
	clear(page);
	ctx.title('Vendors');
	page.appendChild(h('h1', null, 'Vendors'));
	page.appendChild(h('p', { class: 'lead' }, 'Vendors of the program (admitted: they submit test logs) and vendors the catalog names.'));
	const table = h('table', { class: 'data vendors' },
		h('caption', { class: 'visually-hidden' }, 'Vendors'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Vendor'),
			h('th', { scope: 'col' }, 'Id'),
			h('th', { scope: 'col' }, 'In the program'),
			h('th', { scope: 'col', class: 'num' }, 'Configurations it validated'),
			h('th', { scope: 'col', class: 'num' }, 'In its feed'))),
		h('tbody', null, items.map((v) => h('tr', null,
			h('td', null, h('a', { href: '#/vendor/' + encodeURIComponent(v.id) }, v.name)),
			h('td', null, code(v.id)),
			h('td', null, v.admitted ? 'admitted' : h('span', { class: 'muted' }, 'catalog only')),
			h('td', { class: 'num' }, String(v.configurations ?? '')),
			h('td', { class: 'num' }, String(v.feed_configurations ?? ''))))));
	page.appendChild(h('div', { class: 'table-wrap' }, table));
}

/*
 * A vendor and its feed: every configuration it validated or whose guest
 * OS or hypervisor is its product, of every status or only the validated
 * ones (#/vendor/ID?status=validated); the feed links follow the choice.
 */
export async function viewVendor(id, params, ctx) {
	const page = ctx.page;
	const base = '/vendors/' + encodeURIComponent(id) + '/configurations';
	const status = params.get('status') === 'validated' ? 'validated' : '';
	const filter = status ? '?status=' + status : '';
	let body;
	try {
		body = await api(base + filter);
	} catch (e) {
		if (!ctx.current())
			return;
		clear(page);
		ctx.title(id);
		page.appendChild(breadcrumbs([['Vendors', '#/vendors'], [id]]));
		page.appendChild(h('h1', null, 'Vendor ', code(id)));
		page.appendChild(errorNotice(e, e.status === 404 ? 'There is no vendor with this id.' : 'This vendor could not be loaded.'));
		return;
	}
	const ids = await vendorIdsByName();
	if (!ctx.current())
		return;
	const v = body.vendor || { id, name: id };
	const items = body.items || [];
	clear(page);
	ctx.title(v.name);
	page.appendChild(breadcrumbs([['Vendors', '#/vendors'], [v.name]]));
	page.appendChild(h('h1', { id: 'vendor-title' }, v.name));
	page.appendChild(h('div', { class: 'card' }, dl([
		['Id', code(v.id)],
		['In the program', v.admitted ? 'admitted: submits signed test logs' : 'named by the catalog only'],
		['Lists', h('span', { class: 'feeds', id: 'feed-status' },
			status ? h('a', { href: '#/vendor/' + encodeURIComponent(id), class: 'button' }, 'All statuses')
				: h('span', { class: 'button disabled', 'aria-current': 'true' }, 'All statuses'),
			' ',
			status ? h('span', { class: 'button disabled', 'aria-current': 'true' }, 'Validated only')
				: h('a', { href: '#/vendor/' + encodeURIComponent(id) + '?status=validated', class: 'button' }, 'Validated only'))],
		['Feeds', h('span', { class: 'feeds' },
			h('a', { href: API + base + '.atom' + filter, type: 'application/atom+xml', id: 'feed-atom', class: 'button' }, 'Atom feed'),
			' ',
			h('a', { href: API + base + filter, type: 'application/json', id: 'feed-json', class: 'button' }, 'JSON feed'))],
		['Catalog', h('a', { href: catalogHash(new URLSearchParams(), { vendor: v.id }) }, 'Search the catalog for ' + v.name)],
	])));
	const what = status ? 'validated configuration' : 'configuration';
	page.appendChild(h('h2', { id: 'vendor-configs' },
		(items.length === 1 ? '1 ' + what : items.length + ' ' + what + 's') + (status ? '' : ' (all statuses)')));
	page.appendChild(h('p', { class: 'muted' },
		'Configurations ' + v.name + ' validated, or whose guest operating system or hypervisor is ' + v.name + '\u2019s.'));
	if (!items.length)
		page.appendChild(notice('info', h('p', null, status ? 'None of them is validated.' : 'The catalog names ' + v.name + ' in no configuration yet.')));
	else
		page.appendChild(configTable(items, ids, body.title || ('Configurations of ' + v.name), { roles: true }));
}
