// Process-level concerns the gateway and the worker share.
export { installFaultNets, type FaultNetOptions, type NetLogger } from "./fault-nets";
export { throttledWarn, type WarnFn } from "./log-throttle";
export { exitOnSignals } from "./signals";
export { freePort } from "./ports";
