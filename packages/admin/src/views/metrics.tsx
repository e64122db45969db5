// Metrics charts: one SVG line chart per series of /admin/api/metrics/history, drawn as Preact
// SVG elements (no chart library), refreshed every 15 seconds while the view is open.
import { useEffect } from "preact/hooks";
import { api } from "../api.js";
import { ErrorText, useLoad } from "../ui.js";
import { type Series, toSeries } from "./metrics-data.js";

const W = 600;
const H = 180;
const PAD = { left: 56, right: 8, top: 10, bottom: 24 };

const fmt = (v: number): string =>
  Math.abs(v) >= 1e6
    ? `${(v / 1e6).toFixed(1)}M`
    : Math.abs(v) >= 1e3
      ? `${(v / 1e3).toFixed(1)}k`
      : String(Math.round(v * 100) / 100);

const clock = (t: number): string =>
  new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** One series as a line over time, with its range, and a summary for screen readers. */
export function Chart({ s }: { s: Series }) {
  const ts = s.points.map((p) => p[0]);
  const vs = s.points.map((p) => p[1]);
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const lo = Math.min(0, ...vs);
  const hi = Math.max(...vs, lo + 1);
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0 || 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const line = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const last = vs[vs.length - 1]!;
  const unit = s.unit ? ` ${s.unit}` : "";
  const summary = `${s.name}: now ${fmt(last)}${unit}, lowest ${fmt(Math.min(...vs))}, highest ${fmt(Math.max(...vs))}, over ${s.points.length} samples`;
  return (
    <figure class="chart">
      <figcaption>
        {s.name}: <strong>{fmt(last)}</strong>
        {unit}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <line
          class="axis"
          x1={PAD.left}
          y1={H - PAD.bottom}
          x2={W - PAD.right}
          y2={H - PAD.bottom}
        />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text x={PAD.left - 4} y={PAD.top + 8} text-anchor="end">
          {fmt(hi)}
        </text>
        <text x={PAD.left - 4} y={H - PAD.bottom} text-anchor="end">
          {fmt(lo)}
        </text>
        <text x={PAD.left} y={H - 6}>
          {clock(t0)}
        </text>
        <text x={W - PAD.right} y={H - 6} text-anchor="end">
          {clock(t1)}
        </text>
        {s.points.length === 1 ? (
          <circle class="dot" cx={x(t0)} cy={y(last)} r={3} />
        ) : (
          <polyline class="line" points={line} />
        )}
      </svg>
    </figure>
  );
}

/** The metrics view. */
export function MetricsView() {
  const history = useLoad(async () => toSeries(await api("GET", "metrics/history")));
  useEffect(() => {
    const timer = setInterval(history.reload, 15_000);
    return () => clearInterval(timer);
  }, [history.reload]);
  const series = history.data ?? [];
  return (
    <>
      <ErrorText>{history.error}</ErrorText>
      {history.data && series.length === 0 && <p>No samples yet.</p>}
      <div class="charts">
        {series.map((s) => (
          <Chart key={s.name} s={s} />
        ))}
      </div>
    </>
  );
}
