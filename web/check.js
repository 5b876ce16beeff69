/*
 * check.js - "check my machine": a descriptor posted to /api/v1/check and
 * the answer shown as `covalid check` gives it.
 */

import { api, vendorIdsByName } from './api.js';
import { VERDICTS, h, clear, code, dl, notice, errorNotice, mib, vendorLink, matchTable } from './dom.js';

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
