/**
 * Runs async tasks one after another. index.json is rewritten as a whole, so two updates running
 * at once would each start from the old file and one of them would be lost.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // A failed task must not block the ones queued after it; its caller still sees the rejection.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
