/** Something that happened, as the store keeps it: the audit log's rows and what notifications are made from. */
export interface StoredEvent {
  readonly id: number;
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly runId: number | null;
  readonly data: Record<string, unknown>;
}

/** An event with its place in the audit hash chain. */
export interface AuditEvent extends StoredEvent {
  readonly prevHash: string | null;
  readonly hash: string | null;
}
