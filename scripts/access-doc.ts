import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { withPermissionMatrix } from "../src/access/access-doc.ts";
import { renderAccessMatrixNow } from "../src/access/access-doc.render.ts";

// `npm run docs:access`: rewrites the `## Permission matrix` section of docs/access.md (the rest is left as it is).
const target = new URL("../docs/access.md", import.meta.url);
const current = existsSync(target) ? readFileSync(target, "utf8") : null;
writeFileSync(target, withPermissionMatrix(current, renderAccessMatrixNow()));
process.stdout.write(`wrote ${target.pathname}\n`);
