// This program's version: set by the build (tsup and esbuild define __VERSION__), a dev marker
// when the sources run directly (vitest).
declare const __VERSION__: string;

export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
