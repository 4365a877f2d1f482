// Ties the runtime's global `Cloudflare.Env` and `ctx.exports` types to this project
// (what `wrangler types` would generate), so tests and `cloudflare:workers` imports are typed.
declare namespace Cloudflare {
  interface Env extends import("./env.js").Env {}
  interface GlobalProps {
    mainModule: typeof import("./index.js");
    durableNamespaces: "UserObject";
  }
}
