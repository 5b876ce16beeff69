/*
 * catalog.js - the catalog (search, filters, table, matrix), a
 * configuration with its evidence, the vendors and a vendor with its feeds.
 */

import { API, collator, api, query, vendors, vendorIdsByName, productNames } from './api.js';
import { STATUSES, STATUS_LABEL, STATUS_RANK, h, append, clear, linkify, statusBadge, list, code, dl, notice, errorNotice, guestName, hypervisorName, archs, mib, vcpuText, limitsShort, when, vendorLink, breadcrumbs, render } from './dom.js';

const PAGE_SIZE = 50;
/* The matrix pages through every match; past this it says it stopped. */
const MATRIX_MAX_PAGES = 20;
const MATRIX_PAGE = 500;

/* ---- catalog ---- */

const FILTERS = ['q', 'guest', 'hypervisor', 'vendor', 'status'];

function catalogHash(params, changes) {
	const u = new URLSearchParams();
	for (const k of FILTERS.concat(['view', 'offset'])) {
		const v = k in changes ? changes[k] : params.get(k);
		if (v !== null && v !== undefined && v !== '' && !(k === 'offset' && String(v) === '0') && !(k === 'view' && v === 'table'))
			u.set(k, v);
	}
	const s = u.toString();
	return '#/' + (s ? '?' + s : '');
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
	clear(page);
	ctx.title(filters.q || filters.guest || filters.hypervisor ? 'Catalog search' : 'Catalog');
	page.appendChild(h('h1', null, 'Validated configurations'));
	page.appendChild(h('p', { class: 'lead' },
		'Guest operating systems on hypervisors, as validated by the program\'s vendors or stated in their support matrices. ',
		'Search anywhere in a record, or narrow by guest, hypervisor, vendor and status.'));
	page.appendChild(searchForm(filters, params, names, vendorList));

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
		vendorList.map((v) => h('option', { value: v.id, selected: v.id === filters.vendor }, v.name)));
	if (filters.vendor && !vendorList.some((v) => v.id === filters.vendor))
		vendor.appendChild(h('option', { value: filters.vendor, selected: true }, filters.vendor));
	const status = h('select', { id: 'f-status', name: 'status' },
		h('option', { value: '' }, 'any status'),
		STATUSES.map(([v, label]) => h('option', { value: v, selected: v === filters.status }, label)));

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

async function catalogTable(results, filters, params, offset, ctx) {
	const body = await api('/configurations' + query(Object.assign({}, filters, { limit: PAGE_SIZE, offset: offset || '' })));
	if (!ctx.current())
		return;
	const items = body.items || [];
	const total = typeof body.total === 'number' ? body.total : items.length;
	const ids = await vendorIdsByName();
	if (!ctx.current())
		return;
	clear(results);
	const first = items.length ? offset + 1 : 0;
	const last = offset + items.length;
	results.appendChild(h('div', { class: 'results-head' },
		h('h2', { id: 'results-heading' }, total === 1 ? '1 configuration' : total + ' configurations'),
		h('p', { class: 'muted', id: 'results-range', 'aria-live': 'polite' },
			items.length ? 'Showing ' + first + '–' + last + ' of ' + total : '')));
	if (!items.length) {
		results.appendChild(notice('info', h('p', null, 'Nothing in the catalog matches these filters.')));
		return;
	}
	results.appendChild(configTable(items, ids, 'Matching configurations'));
	results.appendChild(pager(params, offset, items.length, total));
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

/* The configurations as a table; a click anywhere on a row opens it.
 * With roles (a vendor's feed), a column says the vendor's part. */
function configTable(items, ids, caption, opts) {
	const roles = !!(opts && opts.roles);
	const table = h('table', { class: 'data configs' },
		h('caption', { class: 'visually-hidden' }, caption),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col' }, 'Configuration'),
			h('th', { scope: 'col' }, 'Guest OS'),
			h('th', { scope: 'col' }, 'Hypervisor'),
			h('th', { scope: 'col' }, 'Limits'),
			h('th', { scope: 'col' }, 'Validated by'),
			roles ? h('th', { scope: 'col' }, 'Its part') : null,
			h('th', { scope: 'col' }, 'Status'))));
	const tbody = h('tbody');
	for (const c of items) {
		const g = c.guest || {};
		const hv = c.hypervisor || {};
		const href = '#/config/' + encodeURIComponent(c.id);
		const tr = h('tr', { class: 'clickable', 'data-id': c.id },
			h('td', { class: 'id' }, h('a', { href }, c.id)),
			h('td', { class: 'guest' }, guestName(g), h('span', { class: 'sub' }, archs(g))),
			h('td', { class: 'hypervisor' }, hypervisorName(hv), h('span', { class: 'sub' }, (hv.ids || []).join(', '))),
			h('td', { class: 'limits' }, limitsShort(c.limits)),
			h('td', { class: 'validated-by' }, (c.validated_by || []).map((n, i) => [i ? ', ' : '', vendorLink(n, ids)])),
			roles ? h('td', { class: 'roles' }, (c.roles || []).map((r, i) => [i ? h('br') : null, ROLE_LABEL.get(r) || String(r)])) : null,
			h('td', { class: 'status' }, statusBadge(c.status)));
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

async function catalogMatrix(results, filters, ctx) {
	const items = [];
	let truncated = false;
	for (let pageNo = 0; ; pageNo++) {
		if (pageNo === MATRIX_MAX_PAGES) {
			truncated = true;
			break;
		}
		const body = await api('/configurations' + query(Object.assign({}, filters, { limit: MATRIX_PAGE, offset: pageNo * MATRIX_PAGE || '' })));
		if (!ctx.current())
			return;
		items.push(...(body.items || []));
		if (!body.next || !(body.items || []).length)
			break;
	}
	clear(results);
	results.appendChild(h('div', { class: 'results-head' },
		h('h2', { id: 'results-heading' }, 'Guest × hypervisor'),
		h('p', { class: 'muted' }, items.length + (items.length === 1 ? ' configuration' : ' configurations') +
			'; a cell links each configuration of that pair.')));
	if (truncated)
		results.appendChild(notice('info', h('p', null, 'Only the first ' + items.length + ' configurations are shown: narrow the filters to see the rest.')));
	if (!items.length) {
		results.appendChild(notice('info', h('p', null, 'Nothing in the catalog matches these filters.')));
		return;
	}

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

	const table = h('table', { class: 'matrix', id: 'matrix' },
		h('caption', { class: 'visually-hidden' }, 'Status of each guest OS (rows) on each hypervisor (columns)'),
		h('thead', null, h('tr', null,
			h('th', { scope: 'col', class: 'corner' }, 'Guest \\ Hypervisor'),
			cols.map((col) => h('th', { scope: 'col' }, h('span', null, col))))));
	const tbody = h('tbody');
	for (const row of rows) {
		const tr = h('tr', null, h('th', { scope: 'row' }, row));
		for (const col of cols) {
			const list = (cells.get(row + '\u0000' + col) || [])
				.sort((a, b) => (STATUS_RANK.get(a.status) ?? 99) - (STATUS_RANK.get(b.status) ?? 99) || collator.compare(a.id, b.id));
			const td = h('td', { class: list.length ? 'cell status-cell-' + list[0].status : 'cell empty' });
			if (!list.length) {
				td.appendChild(h('span', { class: 'visually-hidden' }, 'none'));
			}
			for (const c of list) {
				const arch = archs(c.guest || {});
				const label = STATUS_LABEL.get(c.status) || c.status;
				td.appendChild(h('a', {
					href: '#/config/' + encodeURIComponent(c.id),
					class: 'cell-link status-' + String(c.status).replace(/[^a-z_-]/g, ''),
					title: c.id + ': ' + label + (arch ? ' (' + arch + ')' : ''),
					'data-id': c.id,
					'data-status': c.status,
				}, label, list.length > 1 && arch ? h('span', { class: 'sub' }, arch) : null));
			}
			tr.appendChild(td);
		}
		tbody.appendChild(tr);
	}
	table.appendChild(tbody);
	results.appendChild(h('div', { class: 'table-wrap matrix-wrap', tabindex: '0', role: 'region', 'aria-label': 'Matrix, scrollable' }, table));
	results.appendChild(legend());
}

function legend() {
	return h('ul', { class: 'legend', 'aria-label': 'Status colours' },
		STATUSES.map(([s]) => h('li', null, statusBadge(s))));
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
