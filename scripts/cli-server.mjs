// The control plane's in-process parts, for the npm CLI's `ownstack local start --foreground`:
// scripts/build-cli.mjs bundles this into dist/ownstack-server.cjs, which the CLI's script loads
// with require() only for that command (see serverPartsApart in scripts/bundle.mjs).
export * as server from '../src/control-plane/server.ts';
export * as proxyRuntime from '../src/proxy/runtime.ts';
export * as edgeLoop from '../src/control-plane/edge-loop.ts';
export * as deployRunner from '../src/control-plane/deploy-runner.ts';
