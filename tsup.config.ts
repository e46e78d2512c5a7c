import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// ESM with code splitting: each command's heavy modules sit in their own chunk and are
// loaded with `await import()` only when that command runs, so --version/--help stay fast.
export default defineConfig({
  entry: {
    main: 'src/main.ts',
    'control-plane': 'src/control-plane/main.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  clean: true,
  sourcemap: false,
  minify: false,
  treeshake: true,
  outDir: 'dist',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // better-sqlite3 is a native addon: keep it external. Everything else is bundled.
  external: ['better-sqlite3'],
  noExternal: [/^(?!better-sqlite3).*/],
  banner: {
    // Bundled CommonJS dependencies call require(); give ESM chunks one.
    js: "import { createRequire as __ownstackCreateRequire } from 'node:module'; const require = __ownstackCreateRequire(import.meta.url);",
  },
});
