import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** Files of the playground, served from node_modules: nothing is loaded from the internet. */
const ASSETS: Record<string, { packageName: string; file: string; type: string }> = {
  "react.production.min.js": { packageName: "react", file: "umd/react.production.min.js", type: "text/javascript; charset=utf-8" },
  "react-dom.production.min.js": { packageName: "react-dom", file: "umd/react-dom.production.min.js", type: "text/javascript; charset=utf-8" },
  "graphiql.min.js": { packageName: "graphiql", file: "graphiql.min.js", type: "text/javascript; charset=utf-8" },
  "graphiql.min.css": { packageName: "graphiql", file: "graphiql.min.css", type: "text/css; charset=utf-8" },
};

/** A package's folder (its "exports" hide the UMD files from require.resolve): from its entry, up to its package.json. */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === name) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = parent;
  }
}

export const PLAYGROUND_ASSET_PREFIX = "/playground/assets/";

// The page's own script, served as a file so that the Content-Security-Policy can forbid inline
// scripts. It reads ?token= in the browser (the server never echoes it into the page).
const BOOT_SCRIPT = `(function () {
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token");
  var headers = token ? JSON.stringify({ Authorization: "Bearer " + token }, null, 2) : JSON.stringify({ Authorization: "Bearer <paste a token from: pnpm run token --tenant T --roles admin>" }, null, 2);
  // Subscriptions over WebSocket on the same path; GraphiQL sends the Headers editor's values as
  // connection_init's payload, so the Authorization header given there authenticates them too.
  var wsUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + window.location.pathname;
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname, subscriptionUrl: wsUrl });
  var props = {
    fetcher: fetcher,
    defaultHeaders: headers,
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: "headers",
    defaultQuery: "# Your bearer token goes in Headers (below).\\n{\\n  familiesByRiskTier {\\n    riskTier\\n    families\\n    avgEngagement\\n    avgRisk\\n  }\\n}\\n"
  };
  if (token) props.headers = headers;
  var query = params.get("query");
  if (query) props.query = query;
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Co-op platform · GraphQL playground</title>
<link rel="stylesheet" href="${PLAYGROUND_ASSET_PREFIX}graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="${PLAYGROUND_ASSET_PREFIX}react.production.min.js"></script>
<script src="${PLAYGROUND_ASSET_PREFIX}react-dom.production.min.js"></script>
<script src="${PLAYGROUND_ASSET_PREFIX}graphiql.min.js"></script>
<script src="${PLAYGROUND_ASSET_PREFIX}playground.js"></script>
</body>
</html>
`;

/** Everything must come from this origin; GraphiQL's styles use inline style attributes and data: fonts. */
export const PLAYGROUND_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface Asset {
  body: Buffer;
  type: string;
}

export class Playground {
  private readonly assets = new Map<string, Asset>();
  readonly page = Buffer.from(PAGE, "utf8");

  /** Reads every asset at start-up: a missing file fails the start, not a request. */
  constructor() {
    this.assets.set("playground.js", { body: Buffer.from(BOOT_SCRIPT, "utf8"), type: "text/javascript; charset=utf-8" });
    for (const [name, { packageName, file, type }] of Object.entries(ASSETS)) {
      this.assets.set(name, { body: readFileSync(join(packageDir(packageName), file)), type });
    }
  }

  /** An asset by file name, or undefined. */
  asset(name: string): Asset | undefined {
    return this.assets.get(name);
  }
}
