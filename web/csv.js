/*
 * csv.js - the catalog as CSV (RFC 4180), made in the browser from the
 * API's records for the filters shown.  A cell that a spreadsheet would
 * read as a formula (it starts with = + - @, a tab or a carriage return)
 * is written with a leading apostrophe, so that opening the file runs
 * nothing (OWASP "CSV injection").  No DOM here.
 */

export const CSV_COLUMNS = ['guest', 'guest_version', 'arch', 'hypervisor', 'hypervisor_version', 'hypervisor_ids',
	'host_version', 'builds', 'allowed_vcpus', 'max_vcpus', 'max_memory_mib', 'validated_by', 'status',
	'valid_from', 'valid_until', 'id'];

export function csvCell(v) {
	let t = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
	if (/^[=+\-@\t\r]/.test(t))
		t = '\'' + t;
	return /[",\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
}

function row(c) {
	const g = c.guest || {};
	const hv = c.hypervisor || {};
	const l = c.limits || {};
	return [g.product, g.version, g.arch, hv.product, hv.version, hv.ids, hv.host_version, hv.builds,
		l.allowed_vcpus, l.max_vcpus, l.max_memory_mib, (c.validated_by || []).join('; '), c.status,
		c.valid_from, c.valid_until, c.id];
}

/* The header line and one line a configuration, CRLF-separated. */
export function configurationsCsv(items) {
	const lines = [CSV_COLUMNS.join(',')];
	for (const c of items)
		lines.push(row(c).map(csvCell).join(','));
	return lines.join('\r\n') + '\r\n';
}
