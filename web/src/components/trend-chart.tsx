/**
 * A small SVG chart of one DORA figure over time, with the performance bands drawn as labelled
 * dashed lines. Durations span seconds to months, so they are drawn on a log scale.
 */
export interface ChartPoint {
  readonly label: string;
  readonly value: number | null;
}

export interface BandLine {
  readonly value: number;
  readonly label: string;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

export function TrendChart(props: { title: string; points: readonly ChartPoint[]; bands: readonly BandLine[]; kind: 'bar' | 'line'; scale: 'linear' | 'log'; format: (v: number) => string }) {
  const { title, points, bands, kind, scale, format } = props;
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  const all = [...values, ...bands.map((b) => b.value)];
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  let y: (v: number) => number;
  if (scale === 'log') {
    const positive = all.filter((v) => v > 0);
    const lo = Math.log10(Math.max(1, Math.min(...positive) / 2));
    const hi = Math.log10(Math.max(...positive) * 2);
    y = (v) => PAD.top + innerH - ((Math.log10(Math.max(v, 1)) - lo) / (hi - lo || 1)) * innerH;
  } else {
    const hi = Math.max(1e-9, ...all) * 1.15;
    y = (v) => PAD.top + innerH - (v / hi) * innerH;
  }
  const step = innerW / Math.max(points.length, 1);
  const x = (i: number): number => PAD.left + step * i + step / 2;
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  const described = values.length === 0 ? 'no data in this window' : `${values.length} of ${points.length} periods have data; latest ${format(values.at(-1) ?? 0)}`;
  const lineParts: string[] = [];
  points.forEach((p, i) => {
    if (p.value === null) return;
    lineParts.push(`${lineParts.length === 0 || points[i - 1]?.value === null ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`);
  });
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${described}`} data-points={values.length}>
        <line className="axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={PAD.top + innerH} y2={PAD.top + innerH} />
        {bands.map((b) => (
          <g key={b.label} className="band">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(b.value)} y2={y(b.value)} />
            <text x={PAD.left - 4} y={y(b.value) + 4} textAnchor="end">
              {b.label}
            </text>
          </g>
        ))}
        {kind === 'bar'
          ? points.map((p, i) =>
              p.value === null || p.value === 0 ? null : (
                <rect key={i} className="bar" x={x(i) - step * 0.35} width={step * 0.7} y={y(p.value)} height={Math.max(1, PAD.top + innerH - y(p.value))}>
                  <title>{`${p.label}: ${format(p.value)}`}</title>
                </rect>
              ),
            )
          : null}
        {values.length > 0 ? (
          <text className="tick" x={WIDTH - PAD.right} y={PAD.top + 2} textAnchor="end">
            highest {format(Math.max(...values))}
          </text>
        ) : null}
        {kind === 'line' ? <path className="trend" d={lineParts.join(' ')} /> : null}
        {kind === 'line'
          ? points.map((p, i) =>
              p.value === null ? null : (
                <circle key={i} className="dot" cx={x(i)} cy={y(p.value)} r={3.5}>
                  <title>{`${p.label}: ${format(p.value)}`}</title>
                </circle>
              ),
            )
          : null}
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text key={i} className="tick" x={x(i)} y={HEIGHT - 8} textAnchor="middle">
              {p.label}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}
