/**
 * One in-memory queue for every write path (push, resolve_conflict; later the origin's pulls
 * and undos). Revision ids are computed with async WebCrypto between reading a tree and
 * writing it, and other socket events are delivered during those awaits (the input gate only
 * holds events during storage calls), so two writes must never interleave there.
 *
 * Hibernation-safe: the queue holds only in-flight work; an object is never evicted while a
 * promise of its event handlers is pending, so nothing a rebuild needs lives here.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Run `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
