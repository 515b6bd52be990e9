// The hit-ratio plot of eviction.ts as a hand-made SVG: one panel per Zipf s, hit ratio against
// cache size (log scale), one line per policy. No scripts, no fonts or styles from elsewhere.

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
  /** Per panel (Zipf s): [cache size in % of keys, hit ratio] points. */
  readonly points: ReadonlyMap<number, readonly (readonly [number, number])[]>;
}

const W = 460;
const H = 340;
const M = { left: 52, right: 14, top: 34, bottom: 46 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(s: number, sizes: readonly number[], series: readonly Series[], dx: number): string {
  const lx = (pct: number) => Math.log10(pct);
  const [x0, x1] = [lx(Math.min(...sizes)) - 0.05, lx(Math.max(...sizes)) + 0.05];
  const px = (pct: number) => dx + M.left + ((lx(pct) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (ratio: number) => M.top + (1 - ratio) * (H - M.top - M.bottom);
  const out: string[] = [`<text x="${dx + W / 2}" y="20" text-anchor="middle" font-weight="bold">Zipf s = ${s}</text>`];
  for (let r = 0; r <= 1.0001; r += 0.2) {
    out.push(
      `<line x1="${px(sizes[0]!) - 8}" x2="${dx + W - M.right}" y1="${py(r)}" y2="${py(r)}" stroke="#ddd"/>`,
      `<text x="${dx + M.left - 12}" y="${py(r) + 4}" text-anchor="end">${r.toFixed(1)}</text>`,
    );
  }
  for (const pct of sizes) {
    out.push(
      `<line x1="${px(pct)}" x2="${px(pct)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`,
      `<text x="${px(pct)}" y="${H - M.bottom + 16}" text-anchor="middle">${pct}%</text>`,
    );
  }
  out.push(
    `<text x="${dx + (W + M.left) / 2}" y="${H - 8}" text-anchor="middle">cache size (% of keys, log scale)</text>`,
    `<text transform="translate(${dx + 14} ${(H + M.top - M.bottom) / 2}) rotate(-90)" text-anchor="middle">hit ratio</text>`,
  );
  for (const line of series) {
    const pts = line.points.get(s) ?? [];
    const d = pts.map(([pct, ratio]) => `${px(pct).toFixed(1)},${py(ratio).toFixed(1)}`).join(' ');
    const dash = line.dashed === true ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${d}" fill="none" stroke="${line.color}" stroke-width="2"${dash}/>`);
    for (const [pct, ratio] of pts) {
      out.push(`<circle cx="${px(pct).toFixed(1)}" cy="${py(ratio).toFixed(1)}" r="2.5" fill="${line.color}"/>`);
    }
  }
  return out.join('\n');
}

/** Panels side by side for `panels` (Zipf s values) and a legend below them. */
export function hitRatioSvg(
  title: string,
  panels: readonly number[],
  sizes: readonly number[],
  series: readonly Series[],
): string {
  const width = W * panels.length;
  const legendRows = Math.ceil(series.length / 4);
  const height = H + 30 + legendRows * 20;
  const legend = series.map((line, i) => {
    const x = 20 + (i % 4) * (width / 4);
    const y = H + 30 + Math.floor(i / 4) * 20;
    const dash = line.dashed === true ? ' stroke-dasharray="6 4"' : '';
    return `<line x1="${x}" x2="${x + 26}" y1="${y - 4}" y2="${y - 4}" stroke="${line.color}" stroke-width="2"${dash}/><text x="${x + 32}" y="${y}">${esc(line.name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<title>${esc(title)}</title>`,
    ...panels.map((s, i) => panel(s, sizes, series, i * W)),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
