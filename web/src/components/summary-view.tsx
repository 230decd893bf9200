/**
 * A step's results as the step recorded them (test counts, coverage, scan findings, load figures,
 * watch counters, analysis measurements): plain values as a list, lists of records and records of
 * records (one per service) as tables, nested lists of records as tables inside their cell.
 */
const label = (key: string): string => key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isRecordList = (value: unknown): value is Record<string, unknown>[] => Array.isArray(value) && value.length > 0 && value.every(isRecord);
/** `{ billing: {...}, nest-api: {...} }`: one row per key. */
const isRecordOfRecords = (value: unknown): value is Record<string, Record<string, unknown>> => isRecord(value) && Object.keys(value).length > 1 && Object.values(value).every(isRecord);

/** Epoch milliseconds between 2001 and 2286 read as a time; anything else as the number it is. */
const isEpochMs = (n: number): boolean => Number.isInteger(n) && n > 1e12 && n < 1e13;

function Scalar({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <>–</>;
  if (typeof value === 'number') return <>{isEpochMs(value) ? new Date(value).toLocaleTimeString() : Number.isInteger(value) ? value : value.toFixed(3)}</>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  return <>{String(value)}</>;
}

/** A record inside a table cell, on one line: `requests 76, failed 0, buckets {12}`. */
function Inline({ value }: { value: Record<string, unknown> }) {
  const text = Object.entries(value)
    .map(([k, v]) => `${k} ${isRecord(v) ? `{${Object.keys(v).length}}` : Array.isArray(v) ? `[${v.length}]` : v === null ? '–' : String(v)}`)
    .join(', ');
  return <code title={JSON.stringify(value)}>{text.length > 160 ? `${text.slice(0, 157)}…` : text}</code>;
}

function Cell({ value }: { value: unknown }) {
  if (isRecordList(value)) return <RecordsTable rows={value} />;
  if (isRecord(value)) return <Inline value={value} />;
  if (Array.isArray(value)) return <>{value.length === 0 ? <span className="muted">none</span> : value.map((v) => String(v)).join(', ')}</>;
  return <Scalar value={value} />;
}

function RecordsTable({ rows, keyColumn }: { rows: readonly Record<string, unknown>[]; keyColumn?: string }) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="table-box">
      <table className="compact">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c === keyColumn ? 'Name' : label(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{c === keyColumn ? <strong>{String(row[c])}</strong> : <Cell value={row[c]} />}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const KEY = '\u0000name';

export function SummaryView({ value }: { value: Readonly<Record<string, unknown>> }) {
  return (
    <dl className="summary">
      {Object.entries(value).map(([key, v]) => (
        <div key={key} className={isRecordList(v) || isRecordOfRecords(v) ? 'summary-row wide' : 'summary-row'}>
          <dt>{label(key)}</dt>
          <dd>
            {isRecordList(v) ? (
              <RecordsTable rows={v} />
            ) : isRecordOfRecords(v) ? (
              <RecordsTable rows={Object.entries(v).map(([name, r]) => ({ [KEY]: name, ...r }))} keyColumn={KEY} />
            ) : Array.isArray(v) ? (
              v.length === 0 ? (
                <span className="muted">none</span>
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
