/*
 * api.js - the JSON API (/api/v1): fetch with the server's errors as
 * ApiError ({"error": {"code", "message"}}), query strings, the vendors
 * and products asked once, and the user's token: kept in sessionStorage
 * only (never localStorage, a cookie or the URL) and sent only to the case,
 * machine and fleet routes and /api/v1/me.  No DOM here.
 */

export const API = '/api/v1';

/* Natural order: "Windows Server 2008 R2" after "2008", "5.10" after "5.9". */
export const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/* ---- the API ---- */

export class ApiError extends Error {
	constructor(status, code, message, reasons) {
		super(message);
		this.status = status;
		this.code = code;
		/* every reason, when the server lists them (422 not_entitled) */
		this.reasons = Array.isArray(reasons) ? reasons.map(String) : null;
	}
}

export async function api(path, options) {
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

export function query(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== null && v !== undefined && v !== '')
			u.set(k, v);
	const s = u.toString();
	return s ? '?' + s : '';
}

/* Vendors by name and id, asked once (validated_by names, feeds use ids). */
let vendorsPromise = null;
export function vendors() {
	if (!vendorsPromise)
		vendorsPromise = api('/vendors').then((b) => b.items || []).catch((e) => {
			vendorsPromise = null;
			throw e;
		});
	return vendorsPromise;
}

export async function vendorIdsByName() {
	try {
		return new Map((await vendors()).map((v) => [v.name, v.id]));
	} catch (e) {
		return new Map(); /* names stay text */
	}
}


/* Guest and hypervisor suggestions for the filters, from the products. */
let productsPromise = null;
export function productNames() {
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

/* ---- the user's token ---- */

/*
 * The user's token (cv_..., issued by `covalid admin user add`) is kept
 * in sessionStorage only: it lives as long as this tab, is never
 * written to localStorage, a cookie or the URL, and is sent only to the
 * case, machine and fleet routes and /api/v1/me, as "Authorization: Bearer".  A token is
 * good when GET /api/v1/me accepts it; its answer (who the token speaks
 * for: name, role, vendor or customer) is kept in memory only, asked
 * again when the page is loaded with a kept token, and says which
 * actions a case page offers.  Each case's view says what this user
 * may see of it.
 */
const TOKEN_KEY = 'covalid.token';
const ROLES = new Set(['owner', 'vendor-engineer', 'vendor-manager', 'customer-admin']);

/* Said when the token kept changes (the header shows who is signed in): app.js says how. */
let sessionChanged = () => {};
export function onSessionChange(fn) {
	sessionChanged = fn;
}

/* {token, promise}: the answer of GET /api/v1/me for the token kept. */
let meCache = null;

export function sessionToken() {
	try {
		return sessionStorage.getItem(TOKEN_KEY);
	} catch (e) {
		return null;
	}
}

/* me: the answer of GET /api/v1/me for this token, when the caller has it. */
export function setSessionToken(token, me) {
	if (token)
		sessionStorage.setItem(TOKEN_KEY, token);
	else
		sessionStorage.removeItem(TOKEN_KEY);
	meCache = token && me ? { token, promise: Promise.resolve(me) } : null;
	sessionChanged();
}

/* The fields of /api/v1/me a page uses, as strings or null. */
export function readMe(body) {
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
export function whoAmI() {
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


export function bearer(token) {
	return { 'Accept': 'application/json', 'Authorization': 'Bearer ' + token };
}

/*
 * A call to a case, machine or fleet route with this tab's token.  A refused token (401)
 * is forgotten: the page then offers to sign in again.
 */
export async function authApi(path, options) {
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
