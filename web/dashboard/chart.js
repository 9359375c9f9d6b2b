// A small SVG chart, drawn here (no chart library): per day, the share of runs that succeeded
// (bars) and the median lateness (a line), with a text summary for screen readers.

import { h, s } from "./ui.js";

const W = 640;
const H = 180;
const PAD = 34;

/** `days`: [{label, ok, total, lateness}] oldest first. */
export function runChart(days) {
  const width = W - PAD * 2;
  const height = H - PAD * 2;
  const step = width / Math.max(days.length, 1);
  const maxLate = Math.max(1, ...days.map((d) => d.lateness ?? 0));
  const bars = days.map((d, i) => {
    const rate = d.total ? d.ok / d.total : 0;
    const barHeight = rate * height;
    return s("rect", { x: PAD + i * step + step * 0.15, y: PAD + height - barHeight,
      width: step * 0.7, height: barHeight, class: rate === 1 ? "bar-ok" : "bar-mixed" },
    s("title", {}, `${d.label}: ${d.ok} of ${d.total} ok, lateness ${fmt(d.lateness)}`));
  });
  const points = days.filter((d) => d.lateness !== null).map((d) => {
    const i = days.indexOf(d);
    return `${PAD + i * step + step / 2},${PAD + height - (d.lateness / maxLate) * height}`;
  });
  const labels = days.map((d, i) => (days.length <= 14 || i % 5 === 0
    ? s("text", { x: PAD + i * step + step / 2, y: H - 8, class: "axis" }, d.label) : null))
    .filter(Boolean);
  const total = days.reduce((n, d) => n + d.total, 0);
  const ok = days.reduce((n, d) => n + d.ok, 0);
  const summary = total
    ? `${ok} of ${total} runs succeeded (${Math.round((ok / total) * 100)}%); ` +
      `worst daily median lateness ${fmt(maxLate)}.`
    : "No runs yet.";
  return h("figure", { class: "chart" },
    s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary },
      s("line", { x1: PAD, y1: PAD + height, x2: W - PAD, y2: PAD + height, class: "axis-line" }),
      s("text", { x: 2, y: PAD + 4, class: "axis start" }, "100%"),
      s("text", { x: W - PAD + 2, y: PAD + 4, class: "axis late" }, fmt(maxLate)),
      ...bars,
      points.length > 1 ? s("polyline", { points: points.join(" "), class: "late-line" }) : null,
      ...points.map((p) => { const [x, y] = p.split(","); return s("circle", { cx: x, cy: y, r: 3, class: "late-dot" }); }),
      ...labels),
    h("figcaption", {}, "Bars: share of runs that succeeded each day. Line: median lateness. ",
      summary));
}

/** "1.2 s", "3 min". */
export function fmt(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Number(seconds).toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
