/*
 * app.js - covalid's web UI: the catalog (search, filters, table, matrix),
 * a configuration with its evidence, a vendor with its feeds, "check my
 * machine", and cooperative support cases (sign in with a token, the
 * cases, one case with its notes, collaborations and timeline, opening
 * one).  Plain DOM, no framework, no build step.
 *
 * Rules this file keeps:
 * - Every value from the API reaches the page as text (textContent,
 *   createTextNode, attribute values through setAttribute); nothing is
 *   ever parsed as markup, so data cannot become HTML or script.
 * - No inline script or style anywhere: the server sends a strict
 *   Content-Security-Policy (docs/web.md), and the page needs nothing else.
 * - The state of a page is in its URL fragment (#/?q=rhel&view=matrix), so
 *   every view can be bookmarked, shared and reached with Back.
 * - A failed request is shown as a message naming the server's error code
 *   and message ({"error": {"code", "message"}}), never as an empty page.
 * - A user's token lives in sessionStorage only (never localStorage, a
 *   cookie or the URL) and goes only to the case routes and /api/v1/me.
 * - A case page offers each user the actions docs/support.md gives its
 *   role and relation to the case (GET /api/v1/me says who it is); the
 *   server decides all the same.
 */
'use strict';

(function () {
	const API = '/api/v1';
	const PAGE_SIZE = 50;
	/* The matrix pages through every match; past this it says it stopped. */
	const MATRIX_MAX_PAGES = 20;
	const MATRIX_PAGE = 500;

	/* docs/catalog.md: the statuses, best first, with their labels. */
	const STATUSES = [
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
	const STATUS_LABEL = new Map(STATUSES);
	const STATUS_RANK = new Map(STATUSES.map((s, i) => [s[0], i]));

	/* docs/check.md: verdicts and what they mean for the reader. */
	const VERDICTS = {
		'validated': 'This machine is in a validated configuration.',
		'supported': 'This machine is covered by a vendor support statement, not by a validation.',
		'not-supported': 'This machine matches an explicit exclusion.',
		'not-validated': 'No validated or supported configuration matches this machine.',
		'unknown': 'The descriptor does not say which hypervisor or which guest OS this is.',
	};

	const main = document.getElementById('main');
	let renderSeq = 0;

	/* ---- DOM ---- */

	/*
	 * h('a', {href: '#/x', class: 'y'}, 'text', node, [more], null): an
	 * element.  Strings become text nodes; null and false are skipped.
	 */
	function h(tag, attrs, ...children) {
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

	function append(parent, children) {
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

	function clear(e) {
		while (e.firstChild)
			e.removeChild(e.firstChild);
	}

	/* Text with its http(s) URLs as links (the sources name their pages). */
	function linkify(text) {
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

	function statusBadge(status) {
		return h('span', { class: 'badge status-' + String(status).replace(/[^a-z_-]/g, '') },
			STATUS_LABEL.get(status) || String(status));
	}

	function list(items, render) {
		if (!items || items.length === 0)
			return h('span', { class: 'muted' }, 'none');
		return h('ul', { class: 'plain' }, items.map((x) => h('li', null, render ? render(x) : String(x))));
	}

	function code(text) {
		return h('code', null, text);
	}

	/* A description list from [term, value] pairs, skipping absent values. */
	function dl(rows) {
		const d = h('dl', { class: 'facts' });
		for (const [term, value] of rows) {
			if (value === null || value === undefined || value === '')
				continue;
			d.appendChild(h('dt', null, term));
			d.appendChild(h('dd', null, value));
		}
		return d;
	}

	function notice(kind, ...content) {
		return h('div', { class: 'notice notice-' + kind, role: kind === 'error' ? 'alert' : 'status' }, content);
	}

	function errorNotice(err, what) {
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

	function guestName(g) {
		return productVersion(g.product, g.version);
	}

	function hypervisorName(hv) {
		return productVersion(hv.product, hv.version);
	}

	function archs(g) {
		return (g.arch || []).join(', ');
	}

	function mib(n) {
		if (typeof n !== 'number')
			return null;
		if (n >= 1024 && n % 1024 === 0)
			return n + ' MiB (' + n / 1024 + ' GiB)';
		if (n >= 1024)
			return n + ' MiB (' + (n / 1024).toFixed(1) + ' GiB)';
		return n + ' MiB';
	}

	function vcpuText(l) {
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
	function limitsShort(l) {
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

	function when(iso) {
		if (!iso)
			return null;
		const d = new Date(iso);
		if (isNaN(d.getTime()))
			return iso;
		return h('time', { datetime: iso, title: iso }, d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'));
	}

	/* Natural order: "Windows Server 2008 R2" after "2008", "5.10" after "5.9". */
	const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

	/* ---- the API ---- */

	class ApiError extends Error {
		constructor(status, code, message, reasons) {
			super(message);
			this.status = status;
			this.code = code;
			/* every reason, when the server lists them (422 not_entitled) */
			this.reasons = Array.isArray(reasons) ? reasons.map(String) : null;
		}
	}

	async function api(path, options) {
		let resp;
		try {
			resp = await fetch(API + path, Object.assign({ headers: { 'Accept': 'application/json' } }, options));
		} catch (e) {
			throw new ApiError(0, 'network', 'the server could not be reached (' + e.message + ')');
		}
		const text = await resp.text();
		let body = null;
		try {
			body = text ? JSON.parse(text) : null;
		} catch (e) {
			body = null;
		}
		if (!resp.ok) {
			const err = body && typeof body === 'object' && body.error ? body.error : null;
			throw new ApiError(resp.status, err && err.code ? String(err.code) : 'http_' + resp.status,
				err && err.message ? String(err.message) : (resp.statusText || 'the request failed'),
				err ? err.reasons : null);
		}
		if (body === null || typeof body !== 'object')
			throw new ApiError(resp.status, 'bad_response', 'the server\'s answer is not a JSON object');
		return body;
	}

	function query(params) {
		const u = new URLSearchParams();
		for (const [k, v] of Object.entries(params))
			if (v !== null && v !== undefined && v !== '')
				u.set(k, v);
		const s = u.toString();
		return s ? '?' + s : '';
	}

	/* Vendors by name and id, asked once (validated_by names, feeds use ids). */
	let vendorsPromise = null;
	function vendors() {
		if (!vendorsPromise)
			vendorsPromise = api('/vendors').then((b) => b.items || []).catch((e) => {
				vendorsPromise = null;
				throw e;
			});
		return vendorsPromise;
	}

	async function vendorIdsByName() {
		try {
			return new Map((await vendors()).map((v) => [v.name, v.id]));
		} catch (e) {
			return new Map(); /* names stay text */
		}
	}

	function vendorLink(name, ids) {
		const id = ids.get(name);
		return id ? h('a', { href: '#/vendor/' + encodeURIComponent(id) }, name) : name;
	}

	/* Guest and hypervisor suggestions for the filters, from the products. */
	let productsPromise = null;
	function productNames() {
		if (!productsPromise)
			productsPromise = api('/products?limit=500').then((b) => {
				const guests = new Set(['rhel', 'windows']);
				const hvs = new Set(['microsoft', 'kvm', 'xen', 'vmware']);
				for (const p of b.items || []) {
					if (p.kind === 'guest_os')
						guests.add(p.product);
					else if (p.kind === 'hypervisor')
						hvs.add(p.product);
				}
				return { guests: [...guests].sort(collator.compare), hypervisors: [...hvs].sort(collator.compare) };
			}).catch(() => ({ guests: [], hypervisors: [] }));
		return productsPromise;
	}

	/* ---- routing ---- */

	function parseHash() {
		let s = location.hash.replace(/^#/, '');
		if (!s.startsWith('/'))
			s = '/' + s;
		const qi = s.indexOf('?');
		const path = qi < 0 ? s : s.slice(0, qi);
		const params = new URLSearchParams(qi < 0 ? '' : s.slice(qi + 1));
		let parts;
		try {
			parts = path.split('/').filter(Boolean).map(decodeURIComponent);
		} catch (e) {
			parts = ['?'];
		}
		return { parts, params };
	}

	const routes = [
		{ match: (p) => p.length === 0, nav: 'catalog', view: (p, params, ctx) => viewCatalog(params, ctx) },
		{ match: (p) => p.length === 2 && p[0] === 'config', nav: 'catalog', view: (p, params, ctx) => viewConfiguration(p[1], ctx) },
		{ match: (p) => p.length === 1 && p[0] === 'vendors', nav: 'vendors', view: (p, params, ctx) => viewVendors(ctx) },
		{ match: (p) => p.length === 2 && p[0] === 'vendor', nav: 'vendors', view: (p, params, ctx) => viewVendor(p[1], params, ctx) },
		{ match: (p) => p.length === 1 && p[0] === 'check', nav: 'check', view: (p, params, ctx) => viewCheck(ctx) },
		{ match: (p) => p.length === 1 && p[0] === 'signin', nav: 'cases', view: (p, params, ctx) => viewSignIn(params, ctx) },
		{ match: (p) => p.length === 1 && p[0] === 'cases', nav: 'cases', view: (p, params, ctx) => viewCases(params, ctx) },
		{ match: (p) => p.length === 2 && p[0] === 'cases' && p[1] === 'new', nav: 'cases', view: (p, params, ctx) => viewOpenCase(ctx) },
		{ match: (p) => p.length === 2 && p[0] === 'case', nav: 'cases', view: (p, params, ctx) => viewCase(p[1], ctx) },
	];

	/*
	 * Each navigation renders into a fresh container; a view that awaits
	 * the API checks it is still the current one before it shows anything,
	 * so a slow answer never overwrites a later page.  When the page is
	 * complete, main carries aria-busy="false" and data-rendered = the
	 * fragment it shows (what the browser test waits for).
	 */
	async function render(focus) {
		const seq = ++renderSeq;
		const { parts, params } = parseHash();
		const route = routes.find((r) => r.match(parts));
		const page = h('div', { class: 'page' });
		const ctx = {
			page,
			current: () => seq === renderSeq,
			title: (t) => {
				document.title = t ? t + ' · covalid' : 'covalid: validated configurations';
			},
		};

		main.setAttribute('aria-busy', 'true');
		delete main.dataset.rendered;
		for (const a of document.querySelectorAll('.site-nav a[data-nav]')) {
			if (route && a.dataset.nav === route.nav)
				a.setAttribute('aria-current', 'page');
			else
				a.removeAttribute('aria-current');
		}
		clear(main);
		main.appendChild(page);
		page.appendChild(h('p', { class: 'loading' }, 'Loading…'));
		try {
			if (!route) {
				ctx.title('Not found');
				clear(page);
				page.appendChild(h('h1', null, 'No such page'));
				page.appendChild(notice('error', h('p', null, 'There is no page at ', code('#' + parts.map((x) => '/' + x).join('')), '. '),
					h('p', null, h('a', { href: '#/' }, 'Back to the catalog'))));
			} else {
				await route.view(parts, params, ctx);
			}
		} catch (e) {
			if (!ctx.current())
				return;
			clear(page);
			page.appendChild(h('h1', null, 'Something went wrong'));
			page.appendChild(errorNotice(e, 'This page could not be shown.'));
			ctx.title('Error');
		}
		if (!ctx.current())
			return;
		main.setAttribute('aria-busy', 'false');
		main.dataset.rendered = location.hash || '#/';
		if (focus) {
			const h1 = page.querySelector('h1');
			if (h1) {
				h1.setAttribute('tabindex', '-1');
				h1.focus({ preventScroll: true });
			}
			window.scrollTo(0, 0);
		}
	}

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

	async function viewCatalog(params, ctx) {
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

	async function viewConfiguration(id, ctx) {
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

	function breadcrumbs(items) {
		return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' },
			h('ol', null, items.map(([text, href], i) => h('li', null,
				href ? h('a', { href }, text) : h('span', { 'aria-current': i === items.length - 1 ? 'page' : null }, text)))));
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

	async function viewVendors(ctx) {
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
	async function viewVendor(id, params, ctx) {
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

	/* ---- check my machine ---- */

	let lastDescriptor = '';

	async function viewCheck(ctx) {
		const page = ctx.page;
		clear(page);
		ctx.title('Check my machine');
		page.appendChild(h('h1', null, 'Check my machine'));
		page.appendChild(h('p', { class: 'lead' },
			'On the machine, run ', code('covalid probe --json > machine.json'),
			' and paste the output (or choose the file). The server compares it with the catalog exactly as ',
			code('covalid check'), ' does.'));

		const ta = h('textarea', { id: 'descriptor', name: 'descriptor', rows: '14', spellcheck: 'false',
			autocomplete: 'off', 'aria-describedby': 'descriptor-hint', placeholder: '{"schema": "covalid.descriptor/1", …}' });
		ta.value = lastDescriptor;
		const file = h('input', { type: 'file', id: 'descriptor-file', accept: '.json,application/json' });
		const out = h('div', { id: 'check-result', 'aria-live': 'polite' });
		const submit = h('button', { type: 'submit', class: 'primary', id: 'check-submit' }, 'Check');
		const form = h('form', { class: 'check-form', 'aria-label': 'Check a machine' },
			h('div', { class: 'field' },
				h('label', { for: 'descriptor' }, 'Descriptor (', code('covalid probe --json'), ')'),
				ta,
				h('span', { class: 'hint', id: 'descriptor-hint' }, 'A covalid.descriptor/1 JSON object. It is sent to this server only.')),
			h('div', { class: 'field-row' },
				h('div', { class: 'field' }, h('label', { for: 'descriptor-file' }, 'or read it from a file'), file),
				h('div', { class: 'field field-actions' },
					submit,
					h('button', { type: 'button', id: 'check-clear', onclick: () => {
						ta.value = '';
						lastDescriptor = '';
						clear(out);
						ta.focus();
					} }, 'Clear'))));
		file.addEventListener('change', () => {
			const f = file.files && file.files[0];
			if (!f)
				return;
			f.text().then((t) => {
				ta.value = t;
			}, (e) => {
				clear(out);
				out.appendChild(errorNotice(e, 'The file could not be read.'));
			});
		});
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const text = ta.value;
			lastDescriptor = text;
			clear(out);
			if (!text.trim()) {
				out.appendChild(notice('error', h('p', { class: 'notice-title' }, 'Nothing to check.'),
					h('p', null, 'Paste the output of ', code('covalid probe --json'), ' first.')));
				ta.focus();
				return;
			}
			submit.disabled = true;
			out.setAttribute('aria-busy', 'true');
			out.appendChild(h('p', { class: 'loading' }, 'Checking…'));
			try {
				const r = await api('/check', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' }, body: text });
				const ids = await vendorIdsByName();
				clear(out);
				out.appendChild(checkResult(r, ids));
				out.scrollIntoView({ block: 'start' });
			} catch (e) {
				clear(out);
				out.appendChild(errorNotice(e, e.status >= 400 && e.status < 500
					? 'The server could not check this descriptor.'
					: 'The check failed.'));
				out.scrollIntoView({ block: 'nearest' });
			} finally {
				submit.disabled = false;
				out.setAttribute('aria-busy', 'false');
				out.dataset.done = String(Date.now());
			}
		});
		page.appendChild(form);
		page.appendChild(out);
	}

	function checkResult(r, ids) {
		const wrap = h('div', { class: 'check-result' });
		const verdict = String(r.verdict || 'unknown');
		const vclass = verdict.replace(/[^a-z-]/g, '');
		wrap.appendChild(h('section', { class: 'verdict verdict-' + vclass, 'aria-labelledby': 'verdict-heading' },
			h('p', { class: 'verdict-label' }, 'Verdict'),
			h('h2', { id: 'verdict-heading', class: 'verdict-value' }, verdict),
			h('p', { class: 'verdict-meaning' }, VERDICTS[verdict] || ''),
			r.summary ? h('p', { class: 'verdict-summary' }, r.summary) : null,
			r.reason && r.reason !== 'none' ? h('p', { class: 'verdict-reason' }, 'Reason: ', code(r.reason)) : null));

		const m = r.machine || {};
		const mh = m.hypervisor || {};
		const mg = m.guest || {};
		wrap.appendChild(h('section', { class: 'card', 'aria-labelledby': 'sec-machine' },
			h('h2', { id: 'sec-machine' }, 'This machine'),
			dl([
				['Hypervisor', [mh.id ? code(mh.id) : null, mh.product ? ' ' + mh.product : null,
					mh.version ? ' ' + mh.version : null, mh.build ? ' (build ' + mh.build + ')' : null].filter(Boolean)],
				['Guest OS', [mg.id ? code(mg.id) : null, mg.version ? ' ' + mg.version : null,
					mg.arch ? ' ' + mg.arch : null, mg.osinfo ? ' (' + mg.osinfo + ')' : null].filter(Boolean)],
				['vCPUs', typeof m.vcpus === 'number' ? String(m.vcpus) : 'unknown'],
				['Memory', mib(m.memory_mib) || 'unknown'],
				['Components', m.components && m.components.length ? m.components.map((x, i) => [i ? ', ' : '', code(x)]) : 'none found'],
			])));

		const matches = r.matches || [];
		const nearest = r.nearest || [];
		if (matches.length || !nearest.length) {
			const sm = h('section', { class: 'card', 'aria-labelledby': 'sec-matches', id: 'matches' },
				h('h2', { id: 'sec-matches' }, 'Matching configurations (' + matches.length + ')'));
			if (matches.length)
				sm.appendChild(matchTable(matches, ids, false));
			else
				sm.appendChild(h('p', { class: 'muted' }, 'None.'));
			wrap.appendChild(sm);
		}

		const sup = r.support || {};
		wrap.appendChild(h('section', { class: 'card', 'aria-labelledby': 'sec-support', id: 'support' },
			h('h2', { id: 'sec-support' }, 'Support'),
			dl([
				['Cooperative support', sup.cooperative ? 'yes: open a case with any of these vendors; they work it together' : 'no'],
				['Vendors', sup.vendors && sup.vendors.length ? sup.vendors.map((n, i) => [i ? ', ' : '', vendorLink(n, ids)]) : 'none'],
			])));

		if (nearest.length) {
			const sn = h('section', { class: 'card', 'aria-labelledby': 'sec-nearest', id: 'nearest' },
				h('h2', { id: 'sec-nearest' }, 'Nearest configurations'),
				h('p', { class: 'muted' }, 'Lower scores are nearer (docs/check.md); each difference is what would have to change.'));
			sn.appendChild(matchTable(nearest, ids, true));
			wrap.appendChild(sn);
		}
		return wrap;
	}

	function matchTable(items, ids, nearest) {
		return h('div', { class: 'table-wrap' }, h('table', { class: 'data matches' },
			h('caption', { class: 'visually-hidden' }, nearest ? 'Nearest configurations' : 'Matching configurations'),
			h('thead', null, h('tr', null,
				h('th', { scope: 'col' }, 'Configuration'),
				h('th', { scope: 'col' }, 'Guest OS'),
				h('th', { scope: 'col' }, 'Hypervisor'),
				h('th', { scope: 'col' }, 'Validated by'),
				h('th', { scope: 'col' }, 'Status'),
				nearest ? h('th', { scope: 'col', class: 'num' }, 'Score') : null,
				nearest ? h('th', { scope: 'col' }, 'Differences') : null)),
			h('tbody', null, items.map((c) => h('tr', { 'data-id': c.id },
				h('td', { class: 'id' }, h('a', { href: '#/config/' + encodeURIComponent(c.id) }, c.id)),
				h('td', null, guestName(c.guest || {}), h('span', { class: 'sub' }, archs(c.guest || {}))),
				h('td', null, hypervisorName(c.hypervisor || {})),
				h('td', null, (c.validated_by || []).map((n, i) => [i ? ', ' : '', vendorLink(n, ids)])),
				h('td', null, statusBadge(c.status)),
				nearest ? h('td', { class: 'num' }, String(c.score ?? '')) : null,
				nearest ? h('td', { class: 'differences' }, (c.differences || []).length
					? h('ul', { class: 'plain' }, c.differences.map((d) => h('li', null, d)))
					: h('span', { class: 'muted' }, 'none')) : null)))));
	}

	/* ---- support: signing in ---- */

	/*
	 * The user's token (cv_..., issued by `covalid admin user add`) is kept
	 * in sessionStorage only: it lives as long as this tab, is never
	 * written to localStorage, a cookie or the URL, and is sent only to the
	 * case routes and /api/v1/me, as "Authorization: Bearer".  A token is
	 * good when GET /api/v1/me accepts it; its answer (who the token speaks
	 * for: name, role, vendor or customer) is kept in memory only, asked
	 * again when the page is loaded with a kept token, and says which
	 * actions a case page offers.  Each case's view says what this user
	 * may see of it.
	 */
	const TOKEN_KEY = 'covalid.token';
	const CASES_PAGE = 50;
	const ROLES = new Set(['owner', 'vendor-engineer', 'vendor-manager', 'customer-admin']);

	/* {token, promise}: the answer of GET /api/v1/me for the token kept. */
	let meCache = null;

	function sessionToken() {
		try {
			return sessionStorage.getItem(TOKEN_KEY);
		} catch (e) {
			return null;
		}
	}

	/* me: the answer of GET /api/v1/me for this token, when the caller has it. */
	function setSessionToken(token, me) {
		if (token)
			sessionStorage.setItem(TOKEN_KEY, token);
		else
			sessionStorage.removeItem(TOKEN_KEY);
		meCache = token && me ? { token, promise: Promise.resolve(me) } : null;
		showSession();
	}

	/* The fields of /api/v1/me a page uses, as strings or null. */
	function readMe(body) {
		const str = (v) => (typeof v === 'string' && v ? v : null);
		if (!body || !ROLES.has(body.role))
			throw new ApiError(200, 'bad_response', 'the server did not say who this token speaks for');
		return { role: body.role, name: str(body.name), vendor: str(body.vendor), customer: str(body.customer), token: str(body.token) };
	}

	/*
	 * Who this tab's token speaks for (null when signed out), asked once
	 * per token.  A refused token (401) is forgotten by authApi; any other
	 * failure is asked again next time.
	 */
	function whoAmI() {
		const token = sessionToken();
		if (!token)
			return Promise.resolve(null);
		if (!meCache || meCache.token !== token) {
			const entry = { token, promise: null };
			entry.promise = authApi('/me').then(readMe).catch((e) => {
				if (meCache === entry)
					meCache = null;
				throw e;
			});
			meCache = entry;
		}
		return meCache.promise;
	}

	/* "Ann Contoso (customer-admin, contoso)", "Mike Microsoft (vendor-engineer, Microsoft)". */
	function meText(me, names) {
		const org = me.vendor ? vendorName(me.vendor, names) : me.customer;
		return (me.name || me.token || 'this token') + ' (' + [me.role, org].filter(Boolean).join(', ') + ')';
	}

	/* The header says whether this tab is signed in, as whom, with its way out. */
	function showSession() {
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

	function bearer(token) {
		return { 'Accept': 'application/json', 'Authorization': 'Bearer ' + token };
	}

	/*
	 * A call to a case route with this tab's token.  A refused token (401)
	 * is forgotten: the page then offers to sign in again.
	 */
	async function authApi(path, options) {
		const token = sessionToken();
		if (!token)
			throw new ApiError(0, 'signed_out', 'sign in with your token first');
		const headers = bearer(token);
		if (options && options.body !== undefined)
			headers['Content-Type'] = 'application/json';
		try {
			return await api(path, Object.assign({}, options, { headers, cache: 'no-store' }));
		} catch (e) {
			if (e.status === 401 && sessionToken() === token)
				setSessionToken(null);
			throw e;
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

	async function viewSignIn(params, ctx) {
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

	/* The one-line SLA state of a case: breached, or what is due next. */
	function slaSummary(sla) {
		sla = sla || {};
		const out = [];
		if (sla.breached)
			out.push(h('span', { class: 'badge sla-breached' }, 'SLA breached'));
		const fr = sla.first_response || {};
		const nu = sla.next_update;
		if (fr.state === 'pending')
			out.push(h('span', { class: 'sub' }, 'first response due ', when(fr.due)));
		else if (fr.state === 'breached' && !fr.met_at)
			out.push(h('span', { class: 'sub' }, 'first response was due ', when(fr.due)));
		else if (nu && nu.due)
			out.push(h('span', { class: 'sub' }, 'next update ' + (nu.state === 'breached' ? 'was ' : '') + 'due ', when(nu.due)));
		else if (!sla.breached)
			out.push(h('span', { class: 'badge sla-ok' }, 'within SLA'));
		for (const col of sla.collaborations || [])
			if (col.response && col.response.state === 'pending')
				out.push(h('span', { class: 'sub' }, col.vendor + ' to answer by ', when(col.response.due)));
		return out;
	}

	/* ---- support: the cases ---- */

	async function viewCases(params, ctx) {
		if (!sessionToken())
			return needSignIn(ctx, 'Support cases');
		const page = ctx.page;
		const state = CASE_STATE_LABEL.has(params.get('state')) ? params.get('state') : '';
		let offset = parseInt(params.get('offset') || '0', 10);
		if (!Number.isFinite(offset) || offset < 0)
			offset = 0;
		let body, me;
		try {
			[body, me] = await Promise.all([
				authApi('/cases' + query({ state, limit: CASES_PAGE, offset: offset || '' })),
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
		sel.addEventListener('change', () => {
			location.hash = '#/cases' + query({ state: sel.value });
		});
		page.appendChild(h('form', { class: 'search cases-filter', role: 'search', 'aria-label': 'Cases' },
			h('div', { class: 'field' }, h('label', { for: 'cases-state' }, 'State'), sel)));

		page.appendChild(h('h2', { id: 'cases-heading' },
			(items.length === 1 ? '1 case' : items.length + ' cases') + (state ? ' ' + (CASE_STATE_LABEL.get(state) || state).toLowerCase() : '') +
			(offset ? ' (from ' + (offset + 1) + ')' : '')));
		if (!items.length) {
			page.appendChild(notice('info', h('p', null, state ? 'No case in this state.' : 'No case yet.')));
			return;
		}
		const table = h('table', { class: 'data cases' },
			h('caption', { class: 'visually-hidden' }, 'Support cases'),
			h('thead', null, h('tr', null,
				h('th', { scope: 'col' }, 'Case'),
				h('th', { scope: 'col' }, 'Severity'),
				h('th', { scope: 'col' }, 'State'),
				h('th', { scope: 'col' }, 'Customer'),
				h('th', { scope: 'col' }, 'Vendor'),
				h('th', { scope: 'col' }, 'Configuration'),
				h('th', { scope: 'col' }, 'SLA'),
				h('th', { scope: 'col' }, 'Updated'))));
		const tbody = h('tbody');
		for (const c of items) {
			const href = '#/case/' + encodeURIComponent(c.id);
			const tr = h('tr', { class: 'clickable', 'data-id': c.id, 'data-state': c.state },
				h('td', { class: 'case-title' }, h('a', { href }, c.title || c.id), h('span', { class: 'sub id' }, c.id)),
				h('td', { class: 'severity' }, severityBadge(c.severity)),
				h('td', { class: 'state' }, stateBadge(c.state)),
				h('td', { class: 'customer' }, c.customer_name || c.customer || ''),
				h('td', { class: 'vendor' }, vendorName(c.vendor, names),
					(c.collaborations || []).map((col) => h('span', { class: 'sub' },
						'with ' + vendorName(col.vendor, names) + ' (' + col.state + ')'))),
				h('td', { class: 'case-verdict' }, verdictBadge(c.verdict)),
				h('td', { class: 'sla' + (c.sla && c.sla.breached ? ' breached' : '') }, slaSummary(c.sla)),
				h('td', { class: 'updated' }, when(c.updated_at)));
			tr.addEventListener('click', (ev) => {
				if (!ev.target.closest('a'))
					location.hash = href;
			});
			tbody.appendChild(tr);
		}
		table.appendChild(tbody);
		page.appendChild(h('div', { class: 'table-wrap' }, table));
		if (offset > 0 || items.length === CASES_PAGE) {
			const link = (to, text, rel) => to === null
				? h('span', { class: 'button disabled', 'aria-disabled': 'true' }, text)
				: h('a', { class: 'button', rel, href: '#/cases' + query({ state, offset: to || '' }) }, text);
			page.appendChild(h('nav', { class: 'pager', 'aria-label': 'Pages' },
				link(offset > 0 ? Math.max(0, offset - CASES_PAGE) : null, '← Previous', 'prev'),
				link(items.length === CASES_PAGE ? offset + CASES_PAGE : null, 'Next →', 'next')));
		}
	}

	/* ---- support: opening a case ---- */

	const OPEN_DRAFT = { vendor: '', severity: '3', title: '', description: '', descriptor: '', hostVersion: '', perCall: false };
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

	async function viewOpenCase(ctx) {
		if (!sessionToken())
			return needSignIn(ctx, 'Open a support case');
		const page = ctx.page;
		let me = null;
		try {
			me = await whoAmI();
		} catch (e) {
			if (!ctx.current())
				return;
			if (e.status === 401 || e.code === 'signed_out')
				return needSignIn(ctx, 'Open a support case', e);
			/* otherwise the form, and the server decides */
		}
		const list = (await vendors().catch(() => [])).filter((v) => v.admitted);
		const names = new Map(list.map((v) => [v.id, v.name]));
		if (!ctx.current())
			return;
		clear(page);
		ctx.title('Open a case');
		page.appendChild(breadcrumbs([['Cases', '#/cases'], ['Open a case']]));
		page.appendChild(h('h1', null, 'Open a support case'));
		if (me && me.role !== 'customer-admin') {
			page.appendChild(notice('info', h('p', { id: 'open-not-offered' }, 'A case is opened by the customer\'s administrator; you are signed in as ',
				meText(me, names), '. ', h('a', { href: '#/cases' }, 'Your cases'))));
			return;
		}
		page.appendChild(h('p', { class: 'lead' },
			'For your organisation\'s administrator. Open it with either vendor: the server checks the machine against the catalog ',
			'(a validated configuration gets cooperative support: the vendor can engage the other) and your entitlement with that vendor.'));

		const d = openDraft;
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
				description: description.value, descriptor: descriptor.value, hostVersion: hostVersion.value, perCall: perCall.checked };
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

	async function viewCase(id, ctx) {
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
		const box = h('div', { id: 'case', 'data-id': c.id, 'data-version': String(c.version), 'data-state': c.state });
		page.appendChild(box);
		box.appendChild(breadcrumbs([['Cases', '#/cases'], [c.id]]));
		box.appendChild(h('div', { class: 'title-row' },
			h('h1', { id: 'case-title' }, c.title || c.id),
			h('span', { id: 'case-state' }, stateBadge(c.state)),
			severityBadge(c.severity),
			c.sla && c.sla.breached ? h('span', { class: 'badge sla-breached', id: 'case-breached' }, 'SLA breached') : null));
		box.appendChild(h('p', { class: 'muted id-line' }, 'Case ', code(c.id), ' · version ' + c.version, ' · ',
			h('button', { type: 'button', class: 'link-button', id: 'case-refresh', onclick: () => render(false) }, 'Reload')));
		if (said) {
			/* What was done, announced, and where the keyboard goes on from. */
			const n = notice('info', h('p', { id: 'case-flash' }, said));
			n.setAttribute('tabindex', '-1');
			box.appendChild(n);
			if (ctx.current() && main.getAttribute('aria-busy') === 'false')
				n.focus({ preventScroll: true });
		}

		box.appendChild(caseSummary(c, names));
		if (rel.kind === 'summary') {
			box.appendChild(notice('info', h('p', null, 'You see this case\'s summary and SLA state only: the program\'s owner takes no part in cases.')));
			return;
		}
		box.appendChild(caseConfiguration(c));
		box.appendChild(caseEntitlement(c, names));
		box.appendChild(caseCollaborations(ctx, c, names, rel));
		box.appendChild(caseNotes(c));
		box.appendChild(caseTimeline(c, names));
		const actions = caseActions(ctx, c, names, rel);
		if (actions)
			box.appendChild(actions);
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
				['Opened', when(c.created_at)],
				['Updated', when(c.updated_at)],
				['Support level', sla.level],
				['First response', [clockBadge(fr), ' due ', when(fr.due), fr.met_at ? [' · met ', when(fr.met_at)] : null]],
				['Next update', nu ? [clockBadge(nu), ' due ', when(nu.due)] : null],
				['SLA', h('span', { id: 'case-sla' }, sla.breached ? h('span', { class: 'badge sla-breached' }, 'SLA breached') : h('span', { class: 'badge sla-ok' }, 'within SLA'))],
				['Per-call charge', charge ? h('span', { id: 'case-charge' }, 'per-call support from ' + vendorName(charge.vendor, names) +
					': this case is charged ', charge.agreement ? ['(agreement ', code(charge.agreement), ')']
						: '(the customer said so when opening the case)') : null],
				['Resolution', res ? h('div', { id: 'case-resolution' }, h('p', { class: 'resolution-text' }, res.text),
					h('span', { class: 'sub' }, 'by ', actor(res.by), ', ', when(res.at))) : null],
				['Description', 'description' in c ? h('p', { class: 'case-description', id: 'case-description' }, c.description || '') : null],
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
				h('td', null, when(col.requested_at)),
				h('td', { class: 'due' }, when(col.due_at)),
				h('td', null, col.responded_at ? when(col.responded_at) : h('span', { class: 'muted' }, 'not yet')),
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
	function caseNotes(c) {
		const notes = c.notes || [];
		const total = typeof c.notes_total === 'number' ? c.notes_total : notes.length;
		const counts = new Map();
		for (const n of notes)
			counts.set(n.visibility, (counts.get(n.visibility) || 0) + 1);
		const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-notes', id: 'case-notes' },
			h('h2', { id: 'sec-case-notes' }, 'Notes (' + total + ')'),
			h('ul', { class: 'legend vis-legend', 'aria-label': 'Who sees a note' },
				VISIBILITIES.map(([v, label, who]) => h('li', null, visibilityBadge(v), ' ' + who +
					(counts.get(v) ? ' (' + counts.get(v) + ')' : '')))));
		if (!notes.length) {
			sec.appendChild(h('p', { class: 'muted' }, 'No notes you may see.'));
			return sec;
		}
		sec.appendChild(h('ol', { class: 'notes-list' }, notes.map((n) => h('li', {
			class: 'note note-' + cls(n.visibility), 'data-id': n.id, 'data-visibility': n.visibility },
		h('div', { class: 'note-head' }, visibilityBadge(n.visibility), ' ', actor(n.author), ' · ', when(n.at),
			h('span', { class: 'note-id' }, n.id)),
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
					sec.replaceWith(caseNotes(next));
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
			return ['added a ' + e.visibility + ' note ', code(String(d.note || ''))];
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
		h('span', { class: 'event-when' }, when(e.at)),
		h('span', { class: 'event-what' }, actor(e.author), ' ', eventText(e, names)),
		visibilityBadge(e.visibility)))));
		return sec;
	}

	/* The notes each party may write (docs/support.md, "Notes"). */
	const NOTE_VISIBILITIES = {
		customer: ['public'],
		opened: ['public', 'shared', 'internal'],
		engaged: ['shared', 'internal'],
	};
	const NOTE_HINT = {
		customer: 'Your notes are public: the vendor the case was opened with reads them (and answers).',
		opened: 'Public notes reach the customer; shared ones the vendors on the case; internal ones your organisation only.',
		engaged: 'An engaged vendor speaks to the customer through the vendor the case was opened with.',
	};

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
		const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-case-actions', id: 'case-actions' },
			h('h2', { id: 'sec-case-actions' }, 'Act on the case'));
		if (rel.kind === 'unknown') {
			sec.appendChild(ctx.meError ? errorNotice(ctx.meError, 'Who you are could not be read (GET /api/v1/me), so no action is offered: reload the page.')
				: notice('info', h('p', null, 'No action is offered.')));
			return sec;
		}
		sec.appendChild(h('p', { class: 'muted' }, 'Each change is sent with the version you see (' + c.version + '): if the case changed meanwhile, ',
			'the server refuses it and you reload.'));
		sec.appendChild(noteForm(ctx, c, names, rel));
		const st = stateForm(ctx, c, names, rel);
		if (st)
			sec.appendChild(st);
		if (rel.kind === 'opened')
			sec.appendChild(engageForm(ctx, c, names));
		return sec;
	}

	function noteForm(ctx, c, names, rel) {
		const allowed = NOTE_VISIBILITIES[rel.kind] || [];
		const choices = VISIBILITIES.filter(([v]) => allowed.includes(v));
		const vis = h('select', { id: 'note-visibility', name: 'visibility' },
			choices.map(([v, label, who]) => h('option', { value: v }, label + ': ' + who)));
		const body = h('textarea', { id: 'note-body', name: 'body', rows: '4', class: 'prose', required: true });
		const out = h('div', { class: 'action-result', id: 'note-result', 'aria-live': 'polite' });
		const form = h('form', { class: 'action', id: 'note-form', 'aria-label': 'Add a note', method: 'post', action: '#' },
			h('h3', null, 'Add a note'),
			h('div', { class: 'form-grid' },
				h('div', { class: 'field' }, h('label', { for: 'note-visibility' }, 'Who sees it'), vis,
					h('span', { class: 'hint' }, NOTE_HINT[rel.kind] || ''))),
			h('div', { class: 'field' }, h('label', { for: 'note-body' }, 'Note'), body),
			h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'primary', id: 'note-submit' }, 'Add the note')),
			out);
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
	 * Offered to the vendor the case was opened with, on an open case of a
	 * validated configuration; otherwise the page says why not (for an
	 * unvalidated one, the server's plain statement) and offers no form.
	 */
	function engageForm(ctx, c, names) {
		const conf = c.configuration || {};
		if (!conf.cooperative || !OPEN_STATES.has(c.state))
			return h('div', { class: 'action', id: 'engage-unavailable' },
				h('h3', null, 'Engage another vendor'),
				!conf.cooperative
					? h('p', { class: 'muted', id: 'engage-statement' }, conf.statement ||
						'Not a validated configuration: cooperative support with another vendor is not offered.')
					: h('p', { class: 'muted' }, 'A ' + (CASE_STATE_LABEL.get(c.state) || c.state).toLowerCase() + ' case engages no one.'));
		const form = h('form', { class: 'action', id: 'engage-form', 'aria-label': 'Engage another vendor', method: 'post', action: '#' },
			h('h3', null, 'Engage another vendor'));
		const others = [...names.keys()].filter((v) => v !== c.vendor && (c.entitlement || {})[v]);
		const vendor = h('input', { type: 'text', id: 'engage-vendor', name: 'vendor', list: 'dl-engage-vendor', autocomplete: 'off',
			required: true, placeholder: others[0] || 'vendor id' });
		const reason = h('input', { type: 'text', id: 'engage-reason', name: 'reason', autocomplete: 'off',
			placeholder: 'what you need from them (shared with the vendors only)' });
		const out = h('div', { class: 'action-result', id: 'engage-result', 'aria-live': 'polite' });
		append(form, [
			h('p', { class: 'muted' }, 'The vendor the case was opened with asks the other to collaborate: it answers within the collaboration SLA.'),
			h('div', { class: 'form-grid' },
				h('div', { class: 'field' }, h('label', { for: 'engage-vendor' }, 'Vendor id'), vendor),
				h('div', { class: 'field' }, h('label', { for: 'engage-reason' }, 'Reason'), reason)),
			h('datalist', { id: 'dl-engage-vendor' }, others.map((v) => h('option', { value: v }, vendorName(v, names)))),
			h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'primary', id: 'engage-submit' }, 'Engage')),
			out,
		]);
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const body = { vendor: vendor.value.trim() };
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

	/* ---- start ---- */

	document.getElementById('skip-link').addEventListener('click', (ev) => {
		ev.preventDefault();
		main.focus();
	});
	window.addEventListener('hashchange', () => render(true));
	showSession();
	render(false);
})();
