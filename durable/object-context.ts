/**
 * What every handler gets: the object's storage, settings and collaborators (built once per
 * object instance by `UserObject`), and the socket being served with its decoded attachment.
 *
 * One dependency style per layer (docs/ARCHITECTURE.md): the entry points and `handlers/` take
 * this context; `writes/`, `storage/` and `origin/` never see it and take explicit deps naming
 * only what they use (`WriteDeps`, `DrainDeps`, `PullDeps`, `ResolverDeps`) or a `SqlStorage`.
 * Handlers build `WriteDeps` from the context here (`writeDeps`); the origin link, built by
 * `UserObject` from explicit arguments, builds the origin's (`origin/backed-link.ts`).
 */
import type { Settings } from "../schemas/config.js";
import { writeAttachment, type SocketAttachment } from "./attachment.js";
import type { ManifestSource } from "./origin/manifest-source.js";
import type { OriginLink } from "./origin/link.js";
import type { WriteQueue } from "./writes/queue.js";
import type { WriteDeps } from "./writes/run.js";

export interface ObjectContext {
  ctx: DurableObjectState;
  sql: SqlStorage;
  settings: Settings;
  manifests: ManifestSource;
  origin: OriginLink;
  /** Serialises every write path (see writes/queue.ts). */
  writes: WriteQueue;
  /** Sets the object's one alarm to the earliest due work of every kind (alarm.ts). Never throws. */
  armAlarm(fromAlarm?: boolean): Promise<void>;
}

/** The socket a frame came from, with its state as decoded at the start of the event. */
export class SocketCall {
  constructor(
    readonly ws: WebSocket,
    public state: SocketAttachment,
  ) {}

  /** Persist a changed state into the attachment (survives hibernation). */
  update(patch: Partial<SocketAttachment>): void {
    this.state = { ...this.state, ...patch };
    writeAttachment(this.ws, this.state);
  }
}

/** The write-step deps of a client write: the object's queue, then the origin link's follow-up. */
export function writeDeps(oc: ObjectContext): WriteDeps {
  return { ctx: oc.ctx, writes: oc.writes, afterCommit: () => oc.origin.afterCommit() };
}
