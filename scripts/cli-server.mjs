// The npm CLI's in-process parts: the control plane of `ownstack local start --foreground` and the
// proxy agent of `ownstack proxy agent`. scripts/build-cli.mjs bundles this into
// dist/ownstack-server.cjs, which the CLI's script loads with require() only for those commands
// (see serverPartsApart in scripts/bundle.mjs).
export * as server from '../src/control-plane/server.ts';
export * as settings from '../src/control-plane/settings.ts';
export * as agentRuntime from '../src/control-plane/runtime/agent-runtime.ts';
export * as localAgents from '../src/control-plane/runtime/local-agents.ts';
export * as edgeLoop from '../src/control-plane/runtime/edge-loop.ts';
export * as deployRunner from '../src/control-plane/service/deploy-runner.ts';
export * as agent from '../src/agent/agent.ts';
