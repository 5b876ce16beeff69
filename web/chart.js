/*
 * chart.js - small charts as inline SVG made with the DOM (no library):
 * horizontal stacked bars (one a row: a vendor, a state) and columns over
 * time (one a day).  Every chart is role="img" named by its <title> and
 * described by its <desc>, which says the numbers in words, and is
 * followed by "The chart as a table" (a <details>) holding every number,
 * so that nothing is told by the drawing alone.  Colours come from
 * style.css through classes (chart-<series>), each series with its own
 * pattern class too, never by colour only.  Imports dom.js only.
 */

import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
let seq = 0;

function s(tag, attrs, ...children) {
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

function cssName(x) {
	return String(x).replace(/[^a-z0-9_-]/gi, '');
}

/* The numbers of a chart as a table, under a <details>. */
function chartTable(caption, rowHead, series, rows) {
	return h('details', { class: 'chart-table' },
		h('summary', null, 'The chart as a table'),
		h('div', { class: 'table-wrap' }, h('table', { class: 'data cards' },
			h('caption', null, caption),
			h('thead', null, h('tr', null, h('th', { scope: 'col' }, rowHead),
				series.map((x) => h('th', { scope: 'col', class: 'num' }, x.label)),
				h('th', { scope: 'col', class: 'num' }, 'Total'))),
			h('tbody', null, rows.map((r) => h('tr', { 'data-row': r.key ?? r.label },
				h('th', { scope: 'row', 'data-label': rowHead }, r.label),
				series.map((x) => h('td', { class: 'num', 'data-label': x.label, 'data-series': x.id }, String(r.values[x.id] || 0))),
				h('td', { class: 'num', 'data-label': 'Total' }, String(series.reduce((t, x) => t + (r.values[x.id] || 0), 0)))))))));
}

/* The legend: each series' swatch (colour and pattern) and its label. */
function legend(series, totals) {
	return h('ul', { class: 'chart-legend' }, series.map((x) => h('li', null,
		h('span', { class: 'swatch chart-' + cssName(x.id), 'aria-hidden': 'true' }),
		x.label + (totals ? ' (' + (totals[x.id] || 0) + ')' : ''))));
}

/*
 * Horizontal stacked bars: rows [{key, label, values: {series id: n}}],
 * series [{id, label}] drawn left to right.  opts: {id, title, desc,
 * rowHead (the table's first column), width}.
 */
export function stackedBars(rows, series, opts) {
	const n = ++seq;
	const id = opts.id || 'chart-' + n;
	const labelW = 150, barH = 20, gap = 8, top = 4, width = opts.width || 560, numW = 44;
	const plotW = width - labelW - numW;
	const max = Math.max(1, ...rows.map((r) => series.reduce((t, x) => t + (r.values[x.id] || 0), 0)));
	const height = top + rows.length * (barH + gap);
	const svg = s('svg', { viewBox: '0 0 ' + width + ' ' + height, class: 'chart chart-bars', role: 'img',
		'aria-labelledby': id + '-title', 'aria-describedby': id + '-desc', id, preserveAspectRatio: 'xMinYMin meet' },
	s('title', { id: id + '-title' }, opts.title),
	s('desc', { id: id + '-desc' }, opts.desc));
	rows.forEach((r, i) => {
		const y = top + i * (barH + gap);
		let x = labelW;
		let total = 0;
		const label = r.label.length > 22 ? r.label.slice(0, 21) + '…' : r.label;
		svg.appendChild(s('text', { x: labelW - 6, y: y + barH * 0.72, class: 'chart-label', 'text-anchor': 'end' }, label));
		for (const ser of series) {
			const v = r.values[ser.id] || 0;
			total += v;
			if (!v)
				continue;
			const w = Math.max(1, v / max * plotW);
			svg.appendChild(s('rect', { x: x.toFixed(1), y, width: w.toFixed(1), height: barH,
				class: 'chart-' + cssName(ser.id), 'data-series': ser.id, 'data-row': r.key ?? r.label, 'data-value': v },
			s('title', null, r.label + ': ' + v + ' ' + ser.label.toLowerCase())));
			x += w;
		}
		svg.appendChild(s('text', { x: x + 5, y: y + barH * 0.72, class: 'chart-num' }, String(total)));
	});
	const totals = {};
	for (const r of rows)
		for (const x of series)
			totals[x.id] = (totals[x.id] || 0) + (r.values[x.id] || 0);
	return h('figure', { class: 'chart-figure', 'data-chart': id },
		svg, legend(series, opts.legendTotals ? totals : null),
		chartTable(opts.title, opts.rowHead || '', series, rows));
}

/*
 * Columns over time: rows [{key, label, values}] oldest first, one column
 * a row, stacked by series.  opts as for stackedBars.
 */
export function columns(rows, series, opts) {
	const n = ++seq;
	const id = opts.id || 'chart-' + n;
	const width = opts.width || 560, height = 180, left = 30, bottom = 22, top = 8;
	const plotW = width - left - 4, plotH = height - bottom - top;
	const max = Math.max(1, ...rows.map((r) => series.reduce((t, x) => t + (r.values[x.id] || 0), 0)));
	const colW = plotW / Math.max(1, rows.length);
	const svg = s('svg', { viewBox: '0 0 ' + width + ' ' + height, class: 'chart chart-columns', role: 'img',
		'aria-labelledby': id + '-title', 'aria-describedby': id + '-desc', id },
	s('title', { id: id + '-title' }, opts.title),
	s('desc', { id: id + '-desc' }, opts.desc));
	svg.appendChild(s('line', { x1: left, y1: top + plotH, x2: width, y2: top + plotH, class: 'chart-axis' }));
	svg.appendChild(s('text', { x: left - 4, y: top + 8, class: 'chart-num', 'text-anchor': 'end' }, String(max)));
	svg.appendChild(s('text', { x: left - 4, y: top + plotH, class: 'chart-num', 'text-anchor': 'end' }, '0'));
	rows.forEach((r, i) => {
		const x = left + i * colW;
		let y = top + plotH;
		for (const ser of series) {
			const v = r.values[ser.id] || 0;
			if (!v)
				continue;
			const hgt = v / max * plotH;
			y -= hgt;
			svg.appendChild(s('rect', { x: (x + colW * 0.15).toFixed(1), y: y.toFixed(1), width: (colW * 0.7).toFixed(1),
				height: hgt.toFixed(1), class: 'chart-' + cssName(ser.id), 'data-series': ser.id, 'data-row': r.key ?? r.label,
				'data-value': v }, s('title', null, r.label + ': ' + v + ' ' + ser.label.toLowerCase())));
		}
		if (i === 0 || i === rows.length - 1 || (rows.length > 8 && i === Math.floor(rows.length / 2)))
			svg.appendChild(s('text', { x: x + colW / 2, y: height - 6, class: 'chart-label',
				'text-anchor': i === 0 ? 'start' : i === rows.length - 1 ? 'end' : 'middle' }, r.label));
	});
	return h('figure', { class: 'chart-figure', 'data-chart': id },
		svg, legend(series, null), chartTable(opts.title, opts.rowHead || '', series, rows));
}
