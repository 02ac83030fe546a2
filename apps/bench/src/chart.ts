// `pnpm --filter @coop/bench run chart`: draws projection lag over the 20-second run as an SVG
// (every command a dot, and each second's p50 and p99 as lines), from the bench's series file.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { percentile } from "./stats";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export function lagChart(series: [number, number][], title: string): string {
  const width = 860;
  const height = 420;
  const pad = { left: 60, right: 20, top: 40, bottom: 50 };
  const maxX = Math.max(20, ...series.map(([x]) => x));
  const bySecond = new Map<number, number[]>();
  for (const [x, y] of series) {
    const s = Math.floor(x);
    (bySecond.get(s) ?? bySecond.set(s, []).get(s)!).push(y);
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  // Tall enough for every second's p99; rarer outliers are drawn at the top edge.
  const highestP99 = Math.max(0, ...seconds.map((s) => percentile([...bySecond.get(s)!].sort((a, b) => a - b), 99)));
  const maxY = Math.max(10, Math.ceil((highestP99 * 1.15) / 10) * 10);
  const sx = (x: number) => pad.left + (x / maxX) * (width - pad.left - pad.right);
  const sy = (y: number) => height - pad.bottom - (Math.min(y, maxY) / maxY) * (height - pad.top - pad.bottom);
  const line = (p: number) =>
    seconds.map((s, i) => `${i ? "L" : "M"}${sx(s + 0.5).toFixed(1)},${sy(percentile(bySecond.get(s)!.sort((a, b) => a - b), p)).toFixed(1)}`).join(" ");

  const dots = series.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="1.2"/>`).join("");
  const yTicks = Array.from({ length: 6 }, (_, i) => (maxY / 5) * i);
  const xTicks = Array.from({ length: Math.floor(maxX / 2) + 1 }, (_, i) => i * 2);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>
${yTicks.map((t) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/><text x="${pad.left - 8}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`).join("\n")}
${xTicks.map((t) => `<text x="${sx(t)}" y="${height - pad.bottom + 18}" text-anchor="middle">${t}</text>`).join("\n")}
<text x="${width / 2}" y="${height - 12}" text-anchor="middle">seconds into the run (500 commands/s)</text>
<text x="16" y="${height / 2}" transform="rotate(-90 16 ${height / 2})" text-anchor="middle">ms from receipt to visible in the read model</text>
<g fill="#9ab" fill-opacity="0.5">${dots}</g>
<path d="${line(50)}" fill="none" stroke="#1f6feb" stroke-width="2"/>
<path d="${line(99)}" fill="none" stroke="#d1242f" stroke-width="2"/>
<g transform="translate(${width - pad.right - 170},${pad.top + 6})"><rect width="165" height="46" fill="white" stroke="#ccc"/>
<line x1="8" x2="30" y1="14" y2="14" stroke="#1f6feb" stroke-width="2"/><text x="36" y="18">p50 per second</text>
<line x1="8" x2="30" y1="32" y2="32" stroke="#d1242f" stroke-width="2"/><text x="36" y="36">p99 per second</text></g>
</svg>
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const input = process.argv[2] ?? join(root, "bench-results/projection-lag-series.json");
  const output = process.argv[3] ?? join(root, "BENCHMARKS-projection-lag.svg");
  const series = JSON.parse(readFileSync(input, "utf8")) as [number, number][];
  if (!Array.isArray(series) || series.length === 0) {
    console.error(`${input} holds no samples; run pnpm bench first`);
    process.exit(1);
  }
  writeFileSync(output, lagChart(series, `Projection lag, ${series.length} commands`));
  console.log(`wrote ${output}`);
}
