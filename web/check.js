/*
 * check.js - "check my machine": a descriptor posted to /api/v1/check and
 * the answer shown as `covalid check` gives it; or, for who has not
 * installed covalid, a configuration chosen in a form (guest OS and
 * hypervisor from the catalog's products, vCPUs, memory, components)
 * made into the smallest descriptor the check reads; and from a result,
 * "Open a case with this machine" (the draft goes to the case form
 * through sessionStorage, docs/web.md).
 */

import { api, collator, vendorIdsByName } from './api.js';
import { VERDICTS, h, clear, code, dl, notice, errorNotice, mib, vendorLink, matchTable } from './dom.js';

/* The case form (support.js) reads and removes this key when opened with ?from=check. */
const DRAFT_KEY = 'covalid.caseDraft';

/* ---- check my machine ---- */

let lastDescriptor = '';

export async function viewCheck(ctx) {
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
		await postCheck(text, out, submit);
	});
	page.appendChild(form);
	page.appendChild(planForm(out));
	page.appendChild(out);
}

/* Post a descriptor, show the answer (or the error) in out. */
async function postCheck(text, out, submit) {
	clear(out);
	submit.disabled = true;
	out.setAttribute('aria-busy', 'true');
	out.appendChild(h('p', { class: 'loading' }, 'Checking…'));
	try {
		const r = await api('/check', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' }, body: text });
		const ids = await vendorIdsByName();
		clear(out);
		out.appendChild(checkResult(r, ids, text));
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
}

/* ---- check a configuration: the form ---- */

let productsPromise = null;
function products() {
	if (!productsPromise)
		productsPromise = api('/products?limit=500').then((b) => b.items || []).catch((e) => {
			productsPromise = null;
			throw e;
		});
	return productsPromise;
}

function productLabel(p) {
	const v = p.version && p.version !== 'unspecified' && !(' ' + p.product + ' ').includes(' ' + p.version + ' ') ? ' ' + p.version : '';
	return p.product + v;
}

/*
 * The smallest descriptor the check reads (docs/descriptor.md: a reader
 * takes a missing key as unknown and a missing list as empty): the
 * hypervisor's id, product and build (its version is what a probe reads
 * from the CPU, which a product does not say: null), the guest's OS id,
 * version and architecture, vCPUs, memory, and the components present.
 */
export function planDescriptor(guest, arch, hv, vcpus, memoryMib, components) {
	const build = hv.build ? String(hv.build).split('/')[0].trim() : null;
	return {
		schema: 'covalid.descriptor/1',
		hypervisor: { id: (hv.ids || [])[0] || 'unknown', product: hv.product, version: null, build: build || null },
		guest: { os: { id: guest.os_id || null, version: guest.version || null }, arch: arch || null },
		vm: { vcpus, memory_mib: memoryMib },
		integration: { present: components },
	};
}

function planForm(out) {
	const wrap = h('section', { class: 'card', 'aria-labelledby': 'plan-heading', id: 'plan' },
		h('h2', { id: 'plan-heading' }, 'Or check a configuration without covalid'),
		h('p', { class: 'muted' }, 'Choose the guest operating system and the hypervisor from the catalog\'s products, and the VM\'s size: ',
			'the server checks a descriptor made of these alone, as ', code('covalid check --descriptor'), ' would.'));
	const loading = h('p', { class: 'loading' }, 'Reading the products…');
	wrap.appendChild(loading);
	products().then((items) => {
		loading.remove();
		const guests = items.filter((p) => p.kind === 'guest_os' && p.os_id)
			.sort((a, b) => collator.compare(productLabel(a), productLabel(b)));
		const hvs = items.filter((p) => p.kind === 'hypervisor' && (p.ids || []).length)
			.sort((a, b) => collator.compare(productLabel(a), productLabel(b)));
		wrap.appendChild(planFields(guests, hvs, out));
	}, (e) => {
		loading.remove();
		wrap.appendChild(errorNotice(e, 'The products could not be read: the form needs them.'));
	});
	return wrap;
}

function planFields(guests, hvs, out) {
	const field = (id, label, control, hint) => h('div', { class: 'field field-' + id.replace('plan-', '') },
		h('label', { for: id }, label), control, hint ? h('span', { class: 'hint', id: id + '-hint' }, hint) : null);
	const guest = h('select', { id: 'plan-guest', name: 'guest', required: true },
		h('option', { value: '' }, 'choose…'), guests.map((p) => h('option', { value: p.id }, productLabel(p))));
	const arch = h('select', { id: 'plan-arch', name: 'arch' });
	const hv = h('select', { id: 'plan-hypervisor', name: 'hypervisor', required: true },
		h('option', { value: '' }, 'choose…'), hvs.map((p) => h('option', { value: p.id }, productLabel(p) +
			(p.build ? ' (build ' + p.build + ')' : ''))));
	const vcpus = h('input', { type: 'number', id: 'plan-vcpus', name: 'vcpus', min: '1', max: '4096', step: '1', value: '1', required: true });
	const memory = h('input', { type: 'number', id: 'plan-memory', name: 'memory', min: '1', max: '67108864', step: '1', value: '2048', required: true });
	const comps = h('input', { type: 'text', id: 'plan-components', name: 'components', autocomplete: 'off',
		placeholder: 'vmbus, storvsc, netvsc', 'aria-describedby': 'plan-components-hint' });
	const submit = h('button', { type: 'submit', class: 'primary', id: 'plan-submit' }, 'Check this configuration');
	const byId = (list, id) => list.find((p) => p.id === id);
	const setArchs = () => {
		const g = byId(guests, guest.value);
		const list = g && Array.isArray(g.arch) && g.arch.length ? g.arch : ['x86_64', 'i686'];
		const was = arch.value;
		clear(arch);
		for (const a of list)
			arch.appendChild(h('option', { value: a, selected: a === was }, a));
	};
	guest.addEventListener('change', setArchs);
	setArchs();
	const form = h('form', { class: 'plan-form', 'aria-labelledby': 'plan-heading', novalidate: true },
		h('div', { class: 'form-grid' },
			field('plan-guest', 'Guest OS', guest),
			field('plan-arch', 'Architecture', arch),
			field('plan-hypervisor', 'Hypervisor', hv),
			field('plan-vcpus', 'vCPUs', vcpus),
			field('plan-memory', 'Memory (MiB)', memory),
			field('plan-components', 'Integration components installed', comps,
				'optional, as covalid probe names them, comma-separated (Hyper-V: vmbus, storvsc, netvsc; KVM: virtio_blk, virtio_net)')),
		h('div', { class: 'field-actions' }, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const g = byId(guests, guest.value);
		const p = byId(hvs, hv.value);
		const n = Number(vcpus.value);
		const m = Number(memory.value);
		const bad = !g ? ['Choose the guest OS.', guest] : !p ? ['Choose the hypervisor.', hv]
			: !(Number.isInteger(n) && n >= 1 && n <= 4096) ? ['vCPUs: a whole number from 1 to 4096.', vcpus]
				: !(Number.isInteger(m) && m >= 1 && m <= 67108864) ? ['Memory: a whole number of MiB from 1 to 67108864.', memory] : null;
		if (bad) {
			clear(out);
			out.appendChild(notice('error', h('p', { class: 'notice-title' }, 'Nothing to check yet.'), h('p', null, bad[0])));
			bad[1].focus();
			return;
		}
		const list = comps.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
		const text = JSON.stringify(planDescriptor(g, arch.value, p, n, m, [...new Set(list)]), null, 2);
		await postCheck(text, out, submit);
	});
	return form;
}

/* ---- the answer ---- */

/* A case's title from the answer: "rhel 5.3 x86_64 on Windows Server 2008 Hyper-V (not-validated): 2 vCPUs; …". */
function draftTitle(r) {
	const m = r.machine || {};
	const g = m.guest || {};
	const hv = m.hypervisor || {};
	const first = ((r.nearest || [])[0] || {}).differences || [];
	const what = [g.id, g.version, g.arch].filter(Boolean).join(' ') + ' on ' + (hv.product || hv.id || 'an unknown hypervisor');
	return (what + ' (' + (r.verdict || 'unknown') + ')' + (first.length && r.verdict !== 'validated' ? ': ' + first[0] : '')).slice(0, 200);
}

function caseButton(r, text) {
	const b = h('button', { type: 'button', id: 'check-open-case', class: 'primary' }, 'Open a case with this machine');
	b.addEventListener('click', () => {
		sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ descriptor: text, title: draftTitle(r) }));
		location.hash = '#/cases/new?from=check';
	});
	return h('div', { class: 'check-actions' }, b,
		h('span', { class: 'muted' }, 'The descriptor and a title go to the case form; a customer\'s administrator signs in to open it.'));
}

function checkResult(r, ids, text) {
	const wrap = h('div', { class: 'check-result' });
	const verdict = String(r.verdict || 'unknown');
	const vclass = verdict.replace(/[^a-z-]/g, '');
	wrap.appendChild(h('section', { class: 'verdict verdict-' + vclass, 'aria-labelledby': 'verdict-heading' },
		h('p', { class: 'verdict-label' }, 'Verdict'),
		h('h2', { id: 'verdict-heading', class: 'verdict-value' }, verdict),
		h('p', { class: 'verdict-meaning' }, VERDICTS[verdict] || 'The server\'s verdict; its summary says why.'),
		r.summary ? h('p', { class: 'verdict-summary' }, r.summary) : null,
		r.reason && r.reason !== 'none' ? h('p', { class: 'verdict-reason', id: 'verdict-reason', 'data-reason': String(r.reason) }, 'Reason: ', code(r.reason)) : null));
	wrap.appendChild(caseButton(r, text));

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
	wrap.appendChild(h('details', { class: 'sent-descriptor', id: 'sent-descriptor' },
		h('summary', null, 'The descriptor sent'), h('pre', null, text)));
	return wrap;
}
