// Ties the runtime's global `Cloudflare.Env` and `ctx.exports` types to this project
// (what `wrangler types` would generate), so tests and `cloudflare:workers` imports are typed.
// An interface cannot extend an `import("...")` type directly (TS2499, hidden by skipLibCheck
// in a .d.ts), hence the alias.
declare namespace Cloudflare {
  type DjazzkitEnv = import("./env.js").Env;
  interface Env extends DjazzkitEnv {}
  interface GlobalProps {
    mainModule: typeof import("./index.js");
    durableNamespaces: "UserObject";
  }
}
