// The write path every mutation shares: the command's id, the envelope from the viewer's token,
// the dispatch, and the mapping of a rejection to the contract's error. Resolvers stay thin: shape
// and range rules are the domain's (the bus answers InvalidInput naming the field).
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { CommandInfrastructureError } from "@coop/command-bus";
import type { CoordinatorCommand, FamilyCommand } from "@coop/domain";
import type { GatewayContext } from "../context";
import { badUserInput, ErrorCode, rejectionToError } from "../errors/errors";
import { viewerOf } from "./arguments";
import type { CommandReceipt } from "./command-receipt";
import { isUuid } from "./values";

/** A command of any aggregate, as a resolver builds it. */
export type DomainCommand = FamilyCommand | CoordinatorCommand;

export interface CommandIdentity {
  commandId: string;
}

/** The input's command id (a UUID, lower-cased as PostgreSQL prints it) or a new one. */
export function commandIdOf(input: { commandId?: string | null }): CommandIdentity {
  const given = input.commandId;
  if (given === undefined || given === null) return { commandId: randomUUID() };
  if (!isUuid(given)) throw badUserInput("commandId", "commandId must be a UUID");
  return { commandId: given.toLowerCase() };
}

/** Sends the command as the viewer; the receipt, or the rejection as the contract's error. */
export async function dispatch(ctx: GatewayContext, identity: CommandIdentity, command: DomainCommand): Promise<CommandReceipt> {
  const viewer = viewerOf(ctx);
  const { bus, metrics } = ctx.services;
  const started = performance.now();
  let outcome = "ok";
  try {
    const result = await bus.dispatch({
      ...identity,
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      correlationId: ctx.correlationId,
      ...command,
    });
    if (!result.ok) {
      const error = rejectionToError(result.rejection);
      outcome = String(error.extensions.code);
      throw error;
    }
    if (result.repeated) outcome = "repeated";
    return result.receipt;
  } catch (error) {
    if (outcome === "ok") outcome = error instanceof CommandInfrastructureError ? ErrorCode.INTERNAL_SERVER_ERROR : "error";
    throw error;
  } finally {
    metrics.commandDuration.observe({ command: command.type, outcome }, (performance.now() - started) / 1000);
  }
}
