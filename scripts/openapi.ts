// Writes docs/openapi.json from the contract (src/api/routes.ts + schemas). Run as a script
// (`node dist/openapi-write.js [path]` once bundled) or through the freshness test:
// `UPDATE_OPENAPI=1 npx vitest run test/api/openapi.test.ts`.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openApiJson } from '../src/api/openapi.js';

/** The committed document's path, relative to the repository root. */
export const OPENAPI_PATH = 'docs/openapi.json';

/** Writes the generated document and returns where it went. */
export function writeOpenApi(path = OPENAPI_PATH): string {
  const target = resolve(path);
  writeFileSync(target, openApiJson());
  return target;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const target = writeOpenApi(process.argv[2]);
  process.stdout.write(`wrote ${target}\n`);
}
