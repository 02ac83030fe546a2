import type { FamilyCommand, PaymentMethod } from "@coop/domain";
import { Random } from "./random";

export interface FamilyPlan {
  tenantId: string;
  familyId: string;
  /** In the order they are sent; some are meant to be refused (duplicates, after withdrawal). */
  commands: FamilyCommand[];
}

export interface Workload {
  seed: number;
  families: FamilyPlan[];
  totalCommands: number;
}

export interface WorkloadOptions {
  seed: number;
  families: number;
  commands: number;
  tenants?: readonly string[];
  /** A payment with this transaction id is recorded early for the first family (fault injection). */
  poisonTransactionId?: string;
}

const METHODS: PaymentMethod[] = ["CARD", "ACH", "CASH", "CHECK", "OTHER"];
const CONTACTS = ["PHONE", "EMAIL", "VISIT", "MESSAGE"] as const;
const SURNAMES = ["Martinez", "Okafor", "Nguyen", "Schmidt", "O'Brien", "Kowalski", "Haddad", "Tanaka", "Silva", "Johansson", "Müller", "Dubois"];
const GIVEN = ["Ana", "Ben", "Chidi", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Mo", "Nia", "Omar", "Pia"];

/**
 * A random, valid mix of commands over N families: enrollments, children, payments (some late,
 * some reusing a transaction id), engagement, risk, contacts, coordinators, a few withdrawals
 * (after which commands are refused) and a few repeated enrollments (refused too).
 */
export function generateWorkload(options: WorkloadOptions): Workload {
  const rnd = new Random(options.seed);
  const tenants = options.tenants ?? ["tenant-a", "tenant-b"];
  const families: (FamilyPlan & { txIds: string[]; children: number })[] = [];
  for (let i = 0; i < options.families; i++) {
    const familyId = rnd.uuid();
    const surname = `${rnd.pick(SURNAMES)}-${i}`;
    families.push({
      tenantId: tenants[i % tenants.length]!,
      familyId,
      txIds: [],
      children: 0,
      commands: [
        {
          type: "EnrollFamily",
          payload: {
            familyId,
            familyName: `${surname} family`,
            enrollmentDate: rnd.date("2023-01-01", "2025-06-30"),
            parentName: `${rnd.pick(GIVEN)} ${surname}`,
            email: `parent${i}@example.org`,
            phone: rnd.chance(0.6) ? `+1 555-${String(rnd.int(0, 9999)).padStart(4, "0")}` : null,
          },
        },
      ],
    });
  }
  const payment = (f: (typeof families)[number], transactionId: string): FamilyCommand => {
    const paidOn = rnd.date("2024-01-01", "2025-12-31");
    const due = rnd.next();
    // ~30% with no due date, ~35% paid on time or early, ~35% late by 1..40 days.
    const dueOn =
      due < 0.3
        ? null
        : due < 0.65
          ? new Date(Date.parse(`${paidOn}T00:00:00Z`) + rnd.int(0, 15) * 86_400_000).toISOString().slice(0, 10)
          : new Date(Date.parse(`${paidOn}T00:00:00Z`) - rnd.int(1, 40) * 86_400_000).toISOString().slice(0, 10);
    return {
      type: "RecordPayment",
      payload: { familyId: f.familyId, amountCents: rnd.int(100, 250_000), paidOn, dueOn, method: rnd.pick(METHODS), transactionId },
    };
  };
  if (options.poisonTransactionId && families[0]) {
    families[0].commands.push(payment(families[0], options.poisonTransactionId));
  }

  let total = families.reduce((n, f) => n + f.commands.length, 0);
  while (total < options.commands) {
    const f = rnd.pick(families);
    const familyId = f.familyId;
    const roll = rnd.next();
    let command: FamilyCommand;
    if (roll < 0.12) {
      f.children++;
      command = {
        type: "AddChild",
        payload: { familyId, childName: `${rnd.pick(GIVEN)} ${f.children}`, birthDate: rnd.date("2006-01-01", "2024-12-31") },
      };
    } else if (roll < 0.45) {
      const transactionId = `tx-${familyId.slice(0, 8)}-${f.txIds.length + 1}`;
      f.txIds.push(transactionId);
      command = payment(f, transactionId);
    } else if (roll < 0.5 && f.txIds.length > 0) {
      command = payment(f, rnd.pick(f.txIds)); // a duplicate: refused with DUPLICATE_TRANSACTION
    } else if (roll < 0.6) {
      command = { type: "UpdateEngagementScore", payload: { familyId, score: rnd.int(0, 100), factors: rnd.chance(0.5) ? { visits: rnd.int(0, 9) } : null } };
    } else if (roll < 0.75) {
      command = {
        type: "AssessRisk",
        payload: { familyId, score: rnd.int(0, 100), factors: rnd.chance(0.7) ? { reasons: [rnd.pick(["attendance", "payments", "housing", "health"])], weight: rnd.int(1, 5) } : null },
      };
    } else if (roll < 0.87) {
      command = {
        type: "RecordContact",
        payload: { familyId, method: rnd.pick(CONTACTS), contactedOn: rnd.date("2024-01-01", "2025-12-31"), note: rnd.chance(0.3) ? "called back" : null },
      };
    } else if (roll < 0.985) {
      command = { type: "AssignCoordinator", payload: { familyId, coordinator: `coordinator-${rnd.int(1, 12)}` } };
    } else if (roll < 0.995) {
      command = { type: "WithdrawFamily", payload: { familyId, reason: "moved away" } };
    } else {
      const enroll = f.commands[0]!;
      command = enroll; // enrolling again: refused with ALREADY_ENROLLED
    }
    f.commands.push(command);
    total++;
  }
  return { seed: options.seed, families: families.map(({ tenantId, familyId, commands }) => ({ tenantId, familyId, commands })), totalCommands: total };
}
