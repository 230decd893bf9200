// A worker polls one task queue and runs the workflows registered on it; here it runs them in
// process on demand and keeps the counts that its /metrics and / routes report.
export const TASK_QUEUE = 'ride-settlement';

export function createWorker(workflows, activities) {
  const stats = { processed: 0, failed: 0 };
  return {
    stats,
    names: Object.keys(workflows),
    async execute(name, input) {
      const workflow = workflows[name];
      if (!workflow) throw new RangeError(`no workflow "${name}" on task queue ${TASK_QUEUE}`);
      try {
        const result = await workflow(input, activities);
        stats.processed += 1;
        return result;
      } catch (error) {
        stats.failed += 1;
        throw error;
      }
    },
  };
}
