export {
  CommandBus,
  CommandInfrastructureError,
  type BusRejection,
  type CommandBusOptions,
  type CommandEnvelope,
  type DispatchResult,
  type EnvelopeMeta,
} from "./command-bus";
export { payloadHash, streamIdFor } from "./payload-hash";
