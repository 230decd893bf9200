/**
 * A step's results as the step recorded them (test counts, coverage, scan findings, load figures,
 * analysis measurements): plain values as a list, lists of records as a table, the rest nested.
 */
const label = (key: string): string => key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function Scalar({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <>–</>;
  if (typeof value === 'number') return <>{Number.isInteger(value) ? value : value.toFixed(3)}</>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  return <>{String(value)}</>;
}

function RecordsTable({ rows }: { rows: readonly Record<string, unknown>[] }) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="table-box">
      <table className="compact">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {label(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{isRecord(row[c]) || Array.isArray(row[c]) ? <code>{JSON.stringify(row[c])}</code> : <Scalar value={row[c]} />}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SummaryView({ value }: { value: Readonly<Record<string, unknown>> }) {
  return (
    <dl className="summary">
      {Object.entries(value).map(([key, v]) => (
        <div key={key} className="summary-row">
          <dt>{label(key)}</dt>
          <dd>
            {Array.isArray(v) ? (
              v.length === 0 ? (
                <span className="muted">none</span>
              ) : v.every(isRecord) ? (
                <RecordsTable rows={v} />
              ) : (
                v.map((item, i) => (
                  <span key={i} className="chip">
                    <Scalar value={item} />
                  </span>
                ))
              )
            ) : isRecord(v) ? (
              <SummaryView value={v} />
            ) : (
              <Scalar value={v} />
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
