import type { Step } from '../api/types';
import { StateBadge } from './bits';
import { duration } from './format';
import { levels } from './graph-layout';

export function StepGraph({ steps, selected, onSelect }: { steps: readonly Step[]; selected: string | null; onSelect: (key: string | null) => void }) {
  return (
    <div className="graph">
      {levels(steps).map((column, i) => (
        <ul className="column" key={i} aria-label={`Steps, stage ${i + 1}`}>
          {column.map((s) => (
            <li key={s.key}>
              <button
                type="button"
                className={`node state-${s.state}${selected === s.key ? ' selected' : ''}`}
                aria-pressed={selected === s.key}
                data-step={s.key}
                data-state={s.state}
                onClick={() => onSelect(selected === s.key ? null : s.key)}
                title={s.needs.length > 0 ? `needs ${s.needs.join(', ')}` : 'first step'}
              >
                <span className="node-name">{s.name}</span>
                <span className="node-meta">
                  <StateBadge state={s.state} />
                  {s.cached ? <span className="badge cached">cached</span> : null}
                  <span className="muted">{s.durationMs !== null ? duration(s.durationMs) : s.startedAt ? 'running' : ''}</span>
                  {s.attempt > 1 ? <span className="muted">try {s.attempt}</span> : null}
                </span>
                {s.message ? <span className="node-message">{s.message}</span> : null}
              </button>
            </li>
          ))}
        </ul>
      ))}
    </div>
  );
}
