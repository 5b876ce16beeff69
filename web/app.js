/*
 * app.js - covalid's web UI: the catalog (search, filters, table, matrix),
 * a configuration with its evidence, a vendor with its feeds, "check my
 * machine", and cooperative support cases (sign in with a token, the
 * cases, one case with its notes, collaborations and timeline, opening
 * one), and monitoring (the fleet by verdict over time, a machine with
 * its events).  Plain DOM, no framework, no build step.  This module
 * routes the URL fragment to the page's view: api.js (the API, the
 * token), dom.js (elements, formatting), catalog.js, check.js,
 * support.js, fleet.js and machine.js.
 *
 * Rules these modules keep:
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
 *   cookie or the URL) and goes only to the case, machine and fleet
 *   routes and /api/v1/me.
 * - A case page offers each user the actions docs/support.md gives its
 *   role and relation to the case (GET /api/v1/me says who it is); the
 *   server decides all the same.
 */

import { onSessionChange, sessionToken, whoAmI } from './api.js';
import { main, h, clear, code, notice, errorNotice, setRenderer } from './dom.js';
import { viewCatalog, viewConfiguration, viewVendors, viewVendor } from './catalog.js';
import { viewCheck } from './check.js';
import { showSession, viewSignIn, viewCases, viewOpenCase, viewCase } from './support.js';
import { viewFleet } from './fleet.js';
import { viewMachine } from './machine.js';
import { viewDashboard } from './dashboard.js';

let renderSeq = 0;

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
	{ match: (p) => p.length === 2 && p[0] === 'cases' && p[1] === 'new', nav: 'cases', view: (p, params, ctx) => viewOpenCase(ctx, params) },
	{ match: (p) => p.length === 2 && p[0] === 'case', nav: 'cases', view: (p, params, ctx) => viewCase(p[1], ctx) },
	{ match: (p) => p.length === 1 && p[0] === 'fleet', nav: 'fleet', view: (p, params, ctx) => viewFleet(params, ctx) },
	{ match: (p) => p.length === 2 && p[0] === 'machine', nav: 'fleet', view: (p, params, ctx) => viewMachine(p[1], ctx) },
	{ match: (p) => p.length === 1 && p[0] === 'dashboard', nav: 'dashboard', view: (p, params, ctx) => viewDashboard(ctx) },
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

/* ---- start ---- */

/*
 * The header: who is signed in, and the Fleet entry, offered to a
 * signed-in user only (every role sees some machines: a customer its
 * own, the owner all, a vendor those of its cases; the page says which).
 */
function sessionChanged() {
	showSession();
	const fleet = document.getElementById('nav-fleet');
	if (fleet)
		fleet.hidden = !sessionToken();
	/* The Dashboard entry: the owner's only. */
	const dash = document.getElementById('nav-dashboard');
	if (dash) {
		dash.hidden = true;
		if (sessionToken())
			whoAmI().then((me) => {
				dash.hidden = !(me && me.role === 'owner');
			}, () => {});
	}
}

setRenderer(render);
onSessionChange(sessionChanged);

document.getElementById('skip-link').addEventListener('click', (ev) => {
	ev.preventDefault();
	main.focus();
});
window.addEventListener('hashchange', () => render(true));
sessionChanged();
render(false);
