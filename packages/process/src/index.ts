// Process-level concerns the gateway and the worker share: fault nets, logs, signals, ports, and
// the event store with personal data sealed (the keys' channel included).
export { installFaultNets, type FaultNetOptions, type NetLogger } from "./fault-nets";
export { throttledWarn, type WarnFn } from "./log-throttle";
export { exitOnSignals } from "./signals";
export { freePort } from "./ports";
export { announceForgottenKey, followForgottenKeys, personalDataEventStore, type PersonalDataStoreOptions } from "./personal-data";
