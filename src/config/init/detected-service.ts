/** What `gantry init` can recognise a folder as. */
export type ServiceKind = 'node' | 'maven' | 'gradle' | 'python' | 'go' | 'docker';

export interface DetectedGate {
  readonly name: string;
  readonly run: string;
}

/** What `gantry init` found in one folder of the repository. */
export interface DetectedService {
  /** A valid service name derived from the folder name. */
  readonly name: string;
  /** Folder relative to the repository root, with forward slashes; `.` for the root itself. */
  readonly path: string;
  readonly kind: ServiceKind;
  /** What it was recognised as, when more than the build tool says (`NestJS`, `Vite static site`, `Spring Boot`). */
  readonly framework?: string;
  readonly gates: readonly DetectedGate[];
  /** How its artifact is made: the command, and the folder (relative to `path`) that becomes the artifact. */
  readonly build?: { readonly run: string; readonly output: string };
  /** Start command, when the folder says how it starts (`npm start`); without one it runs CI only. */
  readonly run: string | undefined;
  /** The path that answers 200 once a revision is ready (default `/healthz`). */
  readonly health?: string;
  /** Comment lines the starter writes above the service's run, for what the user must check. */
  readonly notes?: readonly string[];
}

/** One folder as the walk sees it. */
export interface Folder {
  readonly dir: string;
  /** Relative to the repository root, forward slashes; `.` for the root. */
  readonly path: string;
  readonly files: ReadonlySet<string>;
  readonly folders: ReadonlySet<string>;
  /** The folders above it, nearest first: lock files and build wrappers of a monorepo live there. */
  readonly ancestors: readonly Ancestor[];
}

export interface Ancestor {
  readonly path: string;
  readonly files: ReadonlySet<string>;
  /** A workspace or multi-module root, whose lock file covers the modules below it. */
  readonly aggregate: boolean;
}

/** A service (without its name), an aggregate whose modules are the services, or nothing. */
export type Recognised = Omit<DetectedService, 'name'> | 'aggregate' | undefined;
