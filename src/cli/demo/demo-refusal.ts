/**
 * Why the demo cannot run here (no engine, no registry): printed with its hint, exit code 2, before
 * anything is started, or after everything started so far was stopped.
 */
export class DemoRefusal extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DemoRefusal';
  }
}
