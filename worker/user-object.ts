/** Routing: the stub of the Durable Object that holds an identity's rows (ARCHITECTURE: Worker -> Durable Object). */
import { objectNameFor, type Identity } from "../schemas/identity.js";
import type { Env } from "./env.js";

export function userObject(env: Env, identity: Identity) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(objectNameFor(identity)));
}
