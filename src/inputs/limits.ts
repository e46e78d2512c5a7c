// Documented caps on what one request or one cluster may hold (docs/server.md, limits).
// They keep every change small enough to process while the control plane keeps answering.

/** Hostnames one cluster fronts (create and domain add). */
export const MAX_HOSTNAMES_PER_CLUSTER = 1_000;
/** Upstreams (URL or app, every variant) one cluster holds. */
export const MAX_UPSTREAMS_PER_CLUSTER = 2_000;
/** Addresses one local app lists. */
export const MAX_APP_ADDRESSES = 100;
