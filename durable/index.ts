/** The public entry of durable/: the per-user Durable Object class. The Worker imports only this. */
export { UserObject } from "./user-object.js";
