/** A promise with its settle functions, that never counts as an unhandled rejection. */
import type { RelayClientError } from "./errors.js";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: RelayClientError) => void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => {
    d.resolve = (v) => { d.settled = true; resolve(v); };
    d.reject = (e) => { d.settled = true; reject(e); };
  });
  d.promise.catch(() => {}); // rejections are reported to whoever awaits; never "unhandled"
  return d;
}
