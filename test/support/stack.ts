/**
 * The whole end-to-end stack wired together on loopback:
 *
 *   ws clients -> relay (Miniflare or wrangler dev) -> fault proxy -> sample Django
 *                 relay <- signed pokes ------------------------------ Django
 *
 * The relay's port is chosen first so Django can be told where to poke before either starts.
 */
import { startDjango, type DjangoHandle } from "./django.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { freePort } from "./ports.js";
import { startRelay, startWranglerDev, type Bindings, type RelayHandle, type WranglerDevHandle } from "./relay.js";
import { TEST_JWT_SECRET, TEST_RELAY_SECRET } from "./secrets.js";


export interface StackOptions {
  /** `miniflare` (default; restartable) or `wrangler` (`wrangler dev --local`). */
  runtime?: "miniflare" | "wrangler";
  /** Extra relay vars (override the defaults below). */
  bindings?: Bindings;
  /** Extra environment for Django (e.g. DJAZZKIT_RELAY_POKE_RETRIES). */
  djangoEnv?: Record<string, string>;
  secret?: string;
}

export interface Stack {
  secret: string;
  django: DjangoHandle;
  /** Between relay and Django: switch it to simulate origin faults. */
  proxy: FaultProxy;
  /** Present with the Miniflare runtime. */
  relay?: RelayHandle;
  /** Present with the wrangler runtime. */
  wrangler?: WranglerDevHandle;
  url: string;
  wsUrl: string;
  /** `ws://.../djazzkit/sync`. */
  syncUrl: string;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const secret = opts.secret ?? TEST_RELAY_SECRET;
  const relayPort = await freePort();
  const django = await startDjango({ secret, relayUrl: `http://127.0.0.1:${relayPort}`, ...(opts.djangoEnv ? { env: opts.djangoEnv } : {}) });
  const cleanups: Array<() => Promise<void>> = [() => django.stop()];
  const stop = async () => {
    const pending = cleanups.splice(0).reverse();
    for (const c of pending) await c().catch(() => undefined);
  };
  try {
    const proxy = await startFaultProxy(django.url);
    cleanups.push(() => proxy.close());
    const bindings: Bindings = {
      DJAZZKIT_ORIGIN_URL: proxy.url,
      DJAZZKIT_RELAY_SECRET: secret,
      DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET,
      DJAZZKIT_ORIGIN_TIMEOUT_MS: "2000",
      ...opts.bindings,
    };
    const base = { secret, django, proxy, url: `http://127.0.0.1:${relayPort}`, wsUrl: `ws://127.0.0.1:${relayPort}`, syncUrl: `ws://127.0.0.1:${relayPort}/djazzkit/sync`, stop };
    if (opts.runtime === "wrangler") {
      const wrangler = await startWranglerDev({ vars: bindings, port: relayPort });
      cleanups.push(() => wrangler.stop());
      return { ...base, wrangler };
    }
    const relay = await startRelay({ bindings, port: relayPort });
    cleanups.push(() => relay.stop());
    return { ...base, relay };
  } catch (err) {
    await stop();
    throw err;
  }
}
