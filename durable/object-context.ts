/**
 * What every handler gets: the object's storage, settings and collaborators (built once per
 * object instance by `UserObject`), and the socket being served with its decoded attachment.
 */
import type { Settings } from "../schemas/config.js";
import { writeAttachment, type SocketAttachment } from "./attachment.js";
import type { ManifestSource } from "./origin/manifest-source.js";
import type { OriginLink } from "./origin/link.js";
import type { WriteQueue } from "./writes/queue.js";

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
