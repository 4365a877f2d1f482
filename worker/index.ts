/** Worker entry: the gate app, and the Durable Object class it routes to. */
import { app } from "./app.js";

export { UserObject } from "../durable/index.js";
export default app;
