// A zone's soil moisture over 24 h or 7 d (uPlot: small, fast on cheap phones), with the
// irrigation runs of that window shaded behind the line.
import uPlot from 'uplot';

const RUN_FILL = 'rgba(0, 90, 200, 0.18)';

const pad = (n) => String(n).padStart(2, '0');
// 24-hour clock over a day, day/month over a week: as Vietnamese farmers read dates.
function axisTime(sec, u) {
  const d = new Date(sec * 1000);
  const span = u.scales.x.max - u.scales.x.min;
  return span > 2 * 86400 ? `${pad(d.getDate())}/${pad(d.getMonth() + 1)}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// series: the /series response; runs: the /runs response's list. Returns the uPlot instance.
export function drawChart(el, series, runs, { dry, wet }) {
  const pts = series.points || [];
  const xs = pts.map((p) => p[0] / 1000);
  const data = [xs, pts.map((p) => p[1]), pts.map((p) => p[2]), pts.map((p) => p[3])];
  const spans = (runs || []).map((r) => [r.start / 1000, (r.end ?? Date.now()) / 1000]);
  const width = Math.max(280, el.clientWidth || 320);

  const shadeRuns = (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = RUN_FILL;
    for (const [a, b] of spans) {
      const x0 = u.valToPos(a, 'x', true);
      const x1 = u.valToPos(b, 'x', true);
      const left = Math.max(bbox.left, x0);
      const right = Math.min(bbox.left + bbox.width, Math.max(x1, x0 + 2));
      if (right > left) ctx.fillRect(left, bbox.top, right - left, bbox.height);
    }
    // The dry and wet thresholds, dashed.
    ctx.strokeStyle = '#666';
    ctx.setLineDash([6, 6]);
    for (const y of [dry, wet]) {
      const py = u.valToPos(y, 'y', true);
      ctx.beginPath();
      ctx.moveTo(bbox.left, py);
      ctx.lineTo(bbox.left + bbox.width, py);
      ctx.stroke();
    }
    ctx.restore();
  };

  const opts = {
    width,
    height: 200,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: [0, 100] } },
    axes: [
      { stroke: '#000', grid: { stroke: '#ddd' }, values: (u, splits) => splits.map((s) => axisTime(s, u)) },
      { stroke: '#000', grid: { stroke: '#ddd' }, size: 40, values: (u, v) => v.map((n) => `${n}%`) },
    ],
    series: [
      {},
      { label: 'avg', stroke: '#0a5c1a', width: 3 },
      { label: 'min', stroke: 'rgba(10,92,26,0.35)', width: 1 },
      { label: 'max', stroke: 'rgba(10,92,26,0.35)', width: 1 },
    ],
    hooks: { drawClear: [shadeRuns] },
  };
  el.textContent = '';
  return new uPlot(opts, data, el);
}
