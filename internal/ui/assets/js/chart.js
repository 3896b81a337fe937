// Inline SVG charts drawn by hand: line and scatter plots with axes,
// horizontal bars, a confusion matrix and tiny histograms. Each chart is a
// <figure> with a caption; the SVG has role="img" and a text description.

import {h, s, fmtNum} from './dom.js';

const W = 420, H = 300;
const M = {l: 56, r: 16, t: 12, b: 46};

// niceTicks returns about n round numbers covering [lo, hi].
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const step = niceStep(lo, hi, n);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

// niceStep is the round step (1, 2, 2.5 or 5 times a power of ten) that
// gives the tick count closest to n over [lo, hi]; never fewer than 3 ticks.
function niceStep(lo, hi, n = 5) {
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  let best = 10 * mag, bestErr = Infinity;
  for (const f of [0.5, 1, 2, 2.5, 5, 10]) {
    const st = f * mag;
    const count = Math.floor(hi / st) - Math.ceil(lo / st) + 1;
    if (count < 3) continue;
    const err = Math.abs(count - n);
    if (err < bestErr) { best = st; bestErr = err; }
  }
  return best;
}

// niceDomain widens [lo, hi] to round numbers; a range of positive values
// that starts near zero starts at zero, so the axis shows where 0 is.
export function niceDomain(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo - 1, hi + 1];
  if (lo > 0 && lo < (hi - lo) * 0.5) lo = 0;
  if (hi < 0 && -hi < (hi - lo) * 0.5) hi = 0;
  const step = niceStep(lo, hi, n);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

function extent(values, pad = 0) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

function figure(caption, svg, note) {
  return h('figure', {class: 'chart'}, h('figcaption', caption), svg, note ? h('p', {class: 'hint'}, note) : null);
}

function frame(desc) {
  return s('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': desc, preserveAspectRatio: 'xMidYMid meet'},
    s('title', {}, desc));
}

// axes draws grid lines, ticks and labels and returns the scale functions.
function axes(svg, xDom, yDom, xLabel, yLabel) {
  const iw = W - M.l - M.r, ih = H - M.t - M.b;
  const x = (v) => M.l + ((v - xDom[0]) / (xDom[1] - xDom[0])) * iw;
  const y = (v) => M.t + ih - ((v - yDom[0]) / (yDom[1] - yDom[0])) * ih;
  const g = s('g', {class: 'axis'});
  for (const t of niceTicks(yDom[0], yDom[1])) {
    g.append(s('line', {class: 'gridline', x1: M.l, x2: M.l + iw, y1: y(t), y2: y(t)}),
      s('text', {x: M.l - 6, y: y(t) + 4, 'text-anchor': 'end', 'font-size': 11}, fmtNum(t, 2)));
  }
  for (const t of niceTicks(xDom[0], xDom[1])) {
    g.append(s('line', {class: 'gridline', x1: x(t), x2: x(t), y1: M.t, y2: M.t + ih}),
      s('text', {x: x(t), y: M.t + ih + 16, 'text-anchor': 'middle', 'font-size': 11}, fmtNum(t, 2)));
  }
  g.append(s('line', {x1: M.l, x2: M.l + iw, y1: M.t + ih, y2: M.t + ih}),
    s('line', {x1: M.l, x2: M.l, y1: M.t, y2: M.t + ih}),
    s('text', {x: M.l + iw / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12}, xLabel),
    s('text', {x: 14, y: M.t + ih / 2, 'text-anchor': 'middle', 'font-size': 12, transform: `rotate(-90 14 ${M.t + ih / 2})`}, yLabel));
  svg.append(g);
  return {x, y};
}

function pathOf(xs, ys, sx, sy) {
  let d = '';
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    d += (d ? 'L' : 'M') + sx(xs[i]).toFixed(1) + ',' + sy(ys[i]).toFixed(1);
  }
  return d;
}

// lineChart draws one curve, e.g. ROC (x FPR, y TPR) or precision-recall.
export function lineChart({caption, x, y, xLabel, yLabel, diagonal = false, baseline, note, desc}) {
  const svg = frame(desc || caption);
  const sc = axes(svg, [0, 1], [0, 1], xLabel, yLabel);
  if (diagonal) {
    svg.append(s('line', {class: 'refline', x1: sc.x(0), y1: sc.y(0), x2: sc.x(1), y2: sc.y(1), 'stroke-dasharray': '4 4'}));
  }
  if (baseline !== undefined) {
    svg.append(s('line', {class: 'refline', x1: sc.x(0), y1: sc.y(baseline), x2: sc.x(1), y2: sc.y(baseline), 'stroke-dasharray': '4 4'}));
  }
  svg.append(s('path', {class: 'series', d: pathOf(x, y, sc.x, sc.y), fill: 'none', 'stroke-width': 2.2, 'stroke-linejoin': 'round'}));
  return figure(caption, svg, note);
}

// scatterChart draws actual against predicted with the y = x line.
export function scatterChart({caption, x, y, xLabel, yLabel, note, desc}) {
  const svg = frame(desc || caption);
  const ext = extent([...x, ...y]);
  const dom = niceDomain(ext[0], ext[1]);
  const sc = axes(svg, dom, dom, xLabel, yLabel);
  const g = s('g', {class: 'dots', 'fill-opacity': 0.35});
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    g.append(s('circle', {cx: sc.x(x[i]).toFixed(1), cy: sc.y(y[i]).toFixed(1), r: 2.2}));
  }
  svg.append(g, s('line', {class: 'perfect', x1: sc.x(dom[0]), y1: sc.y(dom[0]), x2: sc.x(dom[1]), y2: sc.y(dom[1]), 'stroke-width': 1.5, 'stroke-dasharray': '5 4'}));
  return figure(caption, svg, note);
}

// barChart draws labelled horizontal bars, largest first (feature importance).
export function barChart({caption, labels, values, note, desc}) {
  const n = labels.length;
  const rowH = 22, labelW = 150, top = 6;
  const height = top + n * rowH + 8;
  const svg = s('svg', {viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': desc || caption}, s('title', {}, desc || caption));
  const maxV = Math.max(...values.map(Math.abs), 1e-12);
  const bw = W - labelW - 60;
  labels.forEach((lab, i) => {
    const yy = top + i * rowH;
    const w = Math.max(1, (Math.abs(values[i]) / maxV) * bw);
    const short = lab.length > 22 ? lab.slice(0, 21) + '\u2026' : lab;
    svg.append(
      s('text', {x: labelW - 6, y: yy + 15, 'text-anchor': 'end', 'font-size': 12}, s('title', {}, lab), short),
      s('rect', {class: 'bar-fill', x: labelW, y: yy + 3, width: w.toFixed(1), height: rowH - 7, rx: 2}),
      s('text', {x: labelW + w + 5, y: yy + 15, 'font-size': 11}, fmtNum(values[i], 3)));
  });
  return figure(caption, svg, note);
}

// confusionMatrix draws counts by actual class (rows) and predicted class
// (columns), shaded by the share of each actual class.
export function confusionMatrix({caption, labels, counts, note}) {
  const n = labels.length;
  const fontSize = n > 8 ? 9 : n > 5 ? 10 : 11;
  const charW = fontSize * 0.6;
  // Row labels get the room their longest label needs (up to half the
  // chart), so short class names are never cut while space is left.
  const longest = Math.max(...labels.map((l) => String(l).length), 1);
  const labelW = Math.round(Math.min(W / 2, Math.max(60, longest * charW + 14)));
  const top = 40, cell = Math.max(26, Math.min(140, Math.floor((W - labelW - 10) / n)));
  const width = labelW + n * cell + 10, height = top + n * cell + 12;
  const desc = `${caption}: rows are actual classes, columns predicted classes`;
  const svg = s('svg', {class: 'matrix', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': desc}, s('title', {}, desc));
  svg.style.setProperty('--natural-width', `${Math.round(width * 1.15)}px`);
  const fit = (t, px) => { t = String(t); const max = Math.max(3, Math.floor(px / charW)); return t.length > max ? t.slice(0, max - 1) + '\u2026' : t; };
  svg.append(s('text', {x: labelW + (n * cell) / 2, y: 12, 'text-anchor': 'middle', 'font-size': 11, 'font-weight': 600}, 'predicted \u2192'));
  labels.forEach((lab, j) => {
    svg.append(s('text', {x: labelW + j * cell + cell / 2, y: top - 8, 'text-anchor': 'middle', 'font-size': fontSize}, s('title', {}, lab), fit(lab, cell - 4)));
  });
  counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    svg.append(s('text', {x: labelW - 6, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end', 'font-size': fontSize}, s('title', {}, 'actual ' + labels[i]), fit(labels[i], labelW - 10)));
    row.forEach((c, j) => {
      const share = c / total;
      const {fill, ink} = ramp(share);
      svg.append(
        s('rect', {x: labelW + j * cell, y: top + i * cell, width: cell - 2, height: cell - 2, fill, rx: 3},
          s('title', {}, `actual ${labels[i]}, predicted ${labels[j]}: ${c}`)),
        s('text', {x: labelW + j * cell + cell / 2 - 1, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'middle', 'font-size': n > 8 ? 9 : 12,
          'font-weight': i === j ? 700 : 400, style: {fill: ink}}, String(c)));
    });
  });
  return figure(caption, svg, note || 'Rows: actual class. Columns: predicted class.');
}

// ramp shades a cell from #eff6ff (share 0) to #1e3a8a (share 1) and picks
// black or white text, whichever contrasts more (at least 4.5:1 either way).
function ramp(share) {
  const a = [239, 246, 255], b = [30, 58, 138];
  const rgb = a.map((v, i) => Math.round(v + (b[i] - v) * share));
  const lum = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  const L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
  const ink = (1.05 / (L + 0.05)) > ((L + 0.05) / 0.05) ? '#ffffff' : '#000000';
  return {fill: `rgb(${rgb.join(',')})`, ink};
}

// histogram draws a column summary as small bars (api.Histogram).
export function histogram(hist, name) {
  if (!hist || !hist.counts || !hist.counts.length) return h('span', {class: 'muted'}, '\u2013');
  const counts = hist.counts, n = counts.length, max = Math.max(...counts, 1);
  const w = 120, hh = 28, bw = w / n;
  const desc = hist.labels
    ? `${name}: ` + hist.labels.map((l, i) => `${l} ${counts[i]}`).join(', ')
    : `${name}: ${n} bins from ${fmtNum(hist.edges?.[0])} to ${fmtNum(hist.edges?.[n])}`;
  const svg = s('svg', {viewBox: `0 0 ${w} ${hh}`, role: 'img', 'aria-label': desc, preserveAspectRatio: 'none'}, s('title', {}, desc));
  counts.forEach((c, i) => {
    const bh = c === 0 ? 0 : Math.max(1, (c / max) * (hh - 1));
    svg.append(s('rect', {class: 'hist-bar', x: (i * bw + 0.5).toFixed(2), y: (hh - bh).toFixed(2), width: Math.max(0.5, bw - 1).toFixed(2), height: bh.toFixed(2)}));
  });
  return h('div', {class: 'hist'}, svg);
}

// SERIES are the colours of overlaid curves (CSS variables, light and dark).
const SERIES = ['--s1', '--s2', '--s3', '--s4', '--s5'];

// multiLineChart overlays several curves on [0,1]x[0,1] (ROC or PR of the
// experiments being compared), with a legend naming each.
export function multiLineChart({caption, series, xLabel, yLabel, diagonal = false, desc}) {
  const svg = frame(desc || caption);
  const sc = axes(svg, [0, 1], [0, 1], xLabel, yLabel);
  if (diagonal) svg.append(s('line', {class: 'refline', x1: sc.x(0), y1: sc.y(0), x2: sc.x(1), y2: sc.y(1), 'stroke-dasharray': '4 4'}));
  series.forEach((sr, i) => {
    svg.append(s('path', {d: pathOf(sr.x, sr.y, sc.x, sc.y), fill: 'none', 'stroke-width': 2, 'stroke-linejoin': 'round',
      style: {stroke: `var(${SERIES[i % SERIES.length]})`}, 'stroke-dasharray': i >= SERIES.length ? '6 3' : null}, s('title', {}, sr.label)));
  });
  const legend = h('ul', {class: 'legend'}, series.map((sr, i) => h('li',
    h('span', {class: 'swatch', style: {background: `var(${SERIES[i % SERIES.length]})`}, 'aria-hidden': 'true'}), sr.label)));
  return h('figure', {class: 'chart'}, h('figcaption', caption), svg, legend);
}

// scoreTimeline plots each candidate's CV score against the time it was
// scored (seconds since the run started), with the best score so far as a
// step line and the time budget as a dashed line.
// The x axis runs to until (the seconds elapsed so far) or the last point;
// the budget line shows when it falls inside.
export function scoreTimeline({caption, points, higherIsBetter = true, budget, until = 0, scorer, note}) {
  const desc = `${caption}: ${points.length} candidates scored`;
  const svg = frame(desc);
  const ts = points.map((p) => p.t);
  const xDom = niceDomain(0, Math.max(until, ...ts, 1));
  const ext = extent(points.map((p) => p.score), 0.05);
  const yDom = niceDomain(ext[0], ext[1]);
  const sc = axes(svg, xDom, yDom, 'Seconds since start', `CV ${scorer || 'score'}`);
  if (budget > 0 && budget <= xDom[1]) {
    svg.append(s('line', {class: 'refline', x1: sc.x(budget), x2: sc.x(budget), y1: sc.y(yDom[0]), y2: sc.y(yDom[1]), 'stroke-dasharray': '4 4'}),
      s('text', {x: sc.x(budget) - 4, y: sc.y(yDom[1]) + 12, 'text-anchor': 'end', 'font-size': 11, class: 'muted-ink'}, 'budget'));
  }
  // Best so far: a step line that moves only when a candidate beats it.
  let d = '', best = null;
  for (const p of [...points].sort((a, b) => a.t - b.t)) {
    if (!Number.isFinite(p.score)) continue;
    if (best === null) {
      best = p.score;
      d = `M${sc.x(p.t).toFixed(1)},${sc.y(best).toFixed(1)}`;
    } else if (higherIsBetter ? p.score > best : p.score < best) {
      d += `H${sc.x(p.t).toFixed(1)}V${sc.y(p.score).toFixed(1)}`;
      best = p.score;
    }
  }
  if (d) {
    const last = Math.max(...ts);
    d += `H${sc.x(last).toFixed(1)}`;
    svg.append(s('path', {class: 'series', d, fill: 'none', 'stroke-width': 2, 'stroke-linejoin': 'round'}));
  }
  const g = s('g', {class: 'dots'});
  for (const p of points) {
    if (!Number.isFinite(p.score)) continue;
    g.append(s('circle', {cx: sc.x(p.t).toFixed(1), cy: sc.y(p.score).toFixed(1), r: 3.5, 'fill-opacity': 0.7},
      s('title', {}, `${p.label}: ${fmtNum(p.score, 4)} at ${fmtNum(p.t, 1)} s`)));
  }
  svg.append(g);
  return figure(caption, svg, note);
}
