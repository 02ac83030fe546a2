// The family feature in the worker's test kit: random enrollments, children, payments, scores,
// contacts, coordinators, withdrawals and a few forgettings, and an independent model of family-detail, at-risk and
// payment-analytics, written from CONTRACT section 3 on purpose without any projection code.
import type { FamilyCommand, PaymentMethod } from "@coop/domain";
import type { AnyCommand, ExpectedTable, FeatureModel, StreamPlan, TestFeature, Verdict, WorkloadOptions } from "../feature";
import type { Random } from "../random";

export interface ExpectedFamilyView {
  tenant_id: string;
  family_id: string;
  family_name: string;
  status: "ENROLLED" | "WITHDRAWN" | "FORGOTTEN";
  enrollment_date: string;
  parent_name: string;
  email: string;
  phone: string | null;
  guardians: { name: string; email: string; phone: string | null }[];
  children: { name: string; birthDate: string }[];
  children_count: number;
  oldest_child_birth_date: string | null;
  total_paid_cents: number;
  payment_count: number;
  last_payment_date: string | null;
  late_payment_count: number;
  total_days_late: number;
  engagement_score: number;
  risk_score: number;
  risk_tier: string;
  risk_factors: unknown;
  assigned_coordinator: string | null;
  last_contact_date: string | null;
  search_text: string;
  version: number;
}

interface ExpectedAtRisk {
  tenant_id: string;
  family_id: string;
  family_name: string;
  risk_score: number;
  risk_tier: string;
  risk_factors: unknown;
  never_contacted: boolean;
  last_contact_date: string | null;
  assigned_coordinator: string | null;
}

interface ExpectedPaymentMonth {
  tenant_id: string;
  month: string;
  payment_count: number;
  families_paid: number;
  revenue_cents: number;
  paid_on_time: number;
  paid_late: number;
  total_days_late: number;
}

interface ExpectedPaymentMethod {
  tenant_id: string;
  month: string;
  method: string;
  count: number;
  amount_cents: number;
}

const UPDATED_AT_CHECKS: [string, string][] = [
  [
    "family_views.updated_at",
    `SELECT count(*)::int AS n FROM family_views v WHERE abs(extract(epoch FROM v.updated_at - (
       SELECT e.recorded_at FROM events e WHERE e.tenant_id = v.tenant_id AND e.stream_id = v.family_id
       ORDER BY e.stream_version DESC LIMIT 1))) >= 0.001`,
  ],
  [
    "at_risk_families.updated_at",
    `SELECT count(*)::int AS n FROM at_risk_families v WHERE abs(extract(epoch FROM v.updated_at - (
       SELECT e.recorded_at FROM events e WHERE e.tenant_id = v.tenant_id AND e.stream_id = v.family_id
         AND e.event_type IN ('FamilyEnrolled', 'RiskAssessed', 'ContactRecorded', 'CoordinatorAssigned')
       ORDER BY e.stream_version DESC LIMIT 1))) >= 0.001`,
  ],
  [
    "payment_months.updated_at",
    `SELECT count(*)::int AS n FROM payment_months m WHERE abs(extract(epoch FROM m.updated_at - (
       SELECT max(e.recorded_at) FROM events e WHERE e.tenant_id = m.tenant_id AND e.event_type = 'PaymentReceived'
         AND date_trunc('month', (e.data->>'paidOn')::date)::date = m.month))) >= 0.001`,
  ],
];

interface Payment {
  amountCents: number;
  paidOn: string;
  dueOn: string | null;
  method: string;
  transactionId: string;
}

interface Family {
  tenantId: string;
  familyId: string;
  name: string;
  enrollmentDate: string;
  parentName: string;
  email: string;
  phone: string | null;
  withdrawn: boolean;
  forgotten: boolean;
  children: { name: string; birthDate: string }[];
  payments: Payment[];
  engagement: number;
  risk: number;
  riskFactors: unknown;
  coordinator: string | null;
  contacts: string[];
  events: number;
}

function tierOf(score: number): string {
  return score >= 85 ? "CRITICAL" : score >= 70 ? "HIGH" : score >= 40 ? "MEDIUM" : "LOW";
}

function daysBetween(from: string, to: string): number {
  return Math.round((new Date(`${to}T00:00:00Z`).getTime() - new Date(`${from}T00:00:00Z`).getTime()) / 86_400_000);
}

const maxOf = (dates: string[]) => (dates.length ? dates.reduce((a, b) => (b > a ? b : a)) : null);
const minOf = (dates: string[]) => (dates.length ? dates.reduce((a, b) => (b < a ? b : a)) : null);


const METHODS: PaymentMethod[] = ["CARD", "ACH", "CASH", "CHECK", "OTHER"];
const CONTACTS = ["PHONE", "EMAIL", "VISIT", "MESSAGE"] as const;
const SURNAMES = ["Martinez", "Okafor", "Nguyen", "Schmidt", "O'Brien", "Kowalski", "Haddad", "Tanaka", "Silva", "Johansson", "Müller", "Dubois"];
const GIVEN = ["Ana", "Ben", "Chidi", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Mo", "Nia", "Omar", "Pia"];

/**
 * A random, valid mix of commands over N families: enrollments, children, payments (some late,
 * some reusing a transaction id), engagement, risk, contacts, coordinators, a few withdrawals
 * and forgettings (after which commands are refused) and a few repeated enrollments (refused too).
 */
function planFamilies(workload: { plans: StreamPlan[]; tenants: readonly string[] }, options: WorkloadOptions, rnd: Random): void {
  const tenants = workload.tenants;
  const families: ({ tenantId: string; familyId: string; commands: FamilyCommand[] } & { txIds: string[]; children: number })[] = [];
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
    } else if (roll < 0.992) {
      command = { type: "WithdrawFamily", payload: { familyId, reason: "moved away" } };
    } else if (roll < 0.996) {
      command = { type: "ForgetFamily", payload: { familyId } };
    } else {
      const enroll = f.commands[0]!;
      command = enroll; // enrolling again: refused with ALREADY_ENROLLED
    }
    f.commands.push(command);
    total++;
  }
  for (const { tenantId, familyId, commands } of families) workload.plans.push({ tenantId, streamId: familyId, commands: commands as AnyCommand[] });
}

class FamiliesModel implements FeatureModel {
  private readonly families = new Map<string, Family>();

  /**
   * Every command on a family's stream follows the family's rules: enrolment once, nothing on a
   * family never enrolled or withdrawn, a transaction id once per family.
   */
  predict(tenantId: string, anyCommand: AnyCommand): Verdict | null {
    if (typeof anyCommand.payload.familyId !== "string") return null;
    const command = anyCommand as unknown as FamilyCommand;
    const f = this.families.get(`${tenantId}/${command.payload.familyId}`);
    if (f?.forgotten) return { accepted: false, reason: "FAMILY_FORGOTTEN" }; // before anything else, enrolment included
    if (command.type === "EnrollFamily") return f ? { accepted: false, reason: "ALREADY_ENROLLED" } : { accepted: true };
    if (!f) return { accepted: false, reason: "NOT_FOUND" };
    if (command.type === "ForgetFamily") return { accepted: true }; // withdrawn or not
    if (f.withdrawn) return { accepted: false, reason: "FAMILY_WITHDRAWN" };
    if (command.type === "RecordPayment" && f.payments.some((p) => p.transactionId === command.payload.transactionId)) {
      return { accepted: false, reason: "DUPLICATE_TRANSACTION" };
    }
    return { accepted: true };
  }

  /** Records an accepted command (each accepted command appends exactly one event). */
  accept(tenantId: string, anyCommand: AnyCommand): void {
    if (typeof anyCommand.payload.familyId !== "string") return;
    const command = anyCommand as unknown as FamilyCommand;
    const key = `${tenantId}/${command.payload.familyId}`;
    if (command.type === "EnrollFamily") {
      const p = command.payload;
      this.families.set(key, {
        tenantId,
        familyId: p.familyId,
        name: p.familyName,
        enrollmentDate: p.enrollmentDate,
        parentName: p.parentName,
        email: p.email,
        phone: p.phone,
        withdrawn: false,
        forgotten: false,
        children: [],
        payments: [],
        engagement: 0,
        risk: 0,
        riskFactors: null,
        coordinator: null,
        contacts: [],
        events: 1,
      });
      return;
    }
    const f = this.families.get(key);
    if (!f) throw new Error(`model: ${command.type} accepted for unknown family ${key}`);
    f.events++;
    switch (command.type) {
      case "AddChild":
        f.children.push({ name: command.payload.childName, birthDate: command.payload.birthDate });
        break;
      case "RecordPayment":
        f.payments.push({ ...command.payload });
        break;
      case "UpdateEngagementScore":
        f.engagement = command.payload.score;
        break;
      case "AssessRisk":
        f.risk = command.payload.score;
        f.riskFactors = command.payload.factors ?? null;
        break;
      case "RecordContact":
        f.contacts.push(command.payload.contactedOn);
        break;
      case "AssignCoordinator":
        f.coordinator = command.payload.coordinator;
        break;
      case "WithdrawFamily":
        f.withdrawn = true;
        break;
      case "ForgetFamily":
        f.forgotten = true;
        break;
    }
  }

  tables(): Record<string, ExpectedTable> {
    return {
      family_views: { keys: ["tenant_id", "family_id"], rows: this.familyViews() },
      at_risk_families: { keys: ["tenant_id", "family_id"], rows: this.atRisk() },
      payment_months: { keys: ["tenant_id", "month"], rows: this.paymentMonths() },
      payment_month_methods: { keys: ["tenant_id", "month", "method"], rows: this.paymentMethods() },
      payment_month_families: { keys: ["tenant_id", "month", "family_id"], rows: this.paymentMonthFamilies() },
    };
  }

  /** updated_at: the recordedAt (to the millisecond) of the row's last contributing event. */
  async check(count: (sql: string) => Promise<number>): Promise<string[]> {
    const problems: string[] = [];
    for (const [what, sql] of UPDATED_AT_CHECKS) {
      const n = await count(sql);
      if (n > 0) problems.push(`${what}: ${n} rows do not carry the recordedAt of their last event`);
    }
    return problems;
  }

  private familyViews(): ExpectedFamilyView[] {
    return [...this.families.values()].map((f) => {
      const late = f.payments.filter((p) => p.dueOn !== null && p.paidOn > p.dueOn);
      const row = {
        tenant_id: f.tenantId,
        family_id: f.familyId,
        family_name: f.name,
        status: f.withdrawn ? "WITHDRAWN" : "ENROLLED",
        enrollment_date: f.enrollmentDate,
        parent_name: f.parentName,
        email: f.email,
        phone: f.phone,
        guardians: [{ name: f.parentName, email: f.email, phone: f.phone }],
        children: f.children,
        children_count: f.children.length,
        oldest_child_birth_date: minOf(f.children.map((c) => c.birthDate)),
        total_paid_cents: f.payments.reduce((s, p) => s + p.amountCents, 0),
        payment_count: f.payments.length,
        last_payment_date: maxOf(f.payments.map((p) => p.paidOn)),
        late_payment_count: late.length,
        total_days_late: late.reduce((s, p) => s + daysBetween(p.dueOn!, p.paidOn), 0),
        engagement_score: f.engagement,
        risk_score: f.risk,
        risk_tier: tierOf(f.risk),
        risk_factors: f.riskFactors,
        assigned_coordinator: f.coordinator,
        last_contact_date: maxOf(f.contacts),
        search_text: [f.name, ...f.children.map((c) => c.name)].join("\n"),
        version: f.events,
      } satisfies ExpectedFamilyView;
      if (!f.forgotten) return row;
      // CONTRACT section 8: nothing personal left; totals, scores and the children's count kept.
      const erased = "(erased)";
      return {
        ...row,
        family_name: erased,
        status: "FORGOTTEN",
        parent_name: erased,
        email: erased,
        phone: null,
        guardians: [{ name: erased, email: erased, phone: null }],
        children: [],
        oldest_child_birth_date: null,
        risk_factors: null,
        search_text: "",
      } satisfies ExpectedFamilyView;
    });
  }

  private atRisk(): ExpectedAtRisk[] {
    return [...this.families.values()]
      .filter((f) => !f.withdrawn && !f.forgotten)
      .map((f) => ({
        tenant_id: f.tenantId,
        family_id: f.familyId,
        family_name: f.name,
        risk_score: f.risk,
        risk_tier: tierOf(f.risk),
        risk_factors: f.riskFactors,
        never_contacted: f.contacts.length === 0,
        last_contact_date: maxOf(f.contacts),
        assigned_coordinator: f.coordinator,
      }));
  }

  private paymentMonths(): ExpectedPaymentMonth[] {
    const months = new Map<string, ExpectedPaymentMonth & { families: Set<string> }>();
    for (const f of this.families.values()) {
      for (const p of f.payments) {
        const month = `${p.paidOn.slice(0, 7)}-01`;
        const key = `${f.tenantId}/${month}`;
        let m = months.get(key);
        if (!m) {
          m = { tenant_id: f.tenantId, month, payment_count: 0, families_paid: 0, revenue_cents: 0, paid_on_time: 0, paid_late: 0, total_days_late: 0, families: new Set() };
          months.set(key, m);
        }
        m.payment_count++;
        m.revenue_cents += p.amountCents;
        m.families.add(f.familyId);
        if (p.dueOn !== null && p.paidOn > p.dueOn) {
          m.paid_late++;
          m.total_days_late += daysBetween(p.dueOn, p.paidOn);
        } else {
          m.paid_on_time++;
        }
      }
    }
    return [...months.values()].map(({ families, ...m }) => ({ ...m, families_paid: families.size }));
  }

  private paymentMethods(): ExpectedPaymentMethod[] {
    const methods = new Map<string, ExpectedPaymentMethod>();
    for (const f of this.families.values()) {
      for (const p of f.payments) {
        const month = `${p.paidOn.slice(0, 7)}-01`;
        const key = `${f.tenantId}/${month}/${p.method}`;
        const m = methods.get(key) ?? { tenant_id: f.tenantId, month, method: p.method, count: 0, amount_cents: 0 };
        m.count++;
        m.amount_cents += p.amountCents;
        methods.set(key, m);
      }
    }
    return [...methods.values()];
  }

  private paymentMonthFamilies(): { tenant_id: string; month: string; family_id: string }[] {
    const rows = new Map<string, { tenant_id: string; month: string; family_id: string }>();
    for (const f of this.families.values()) {
      for (const p of f.payments) {
        const month = `${p.paidOn.slice(0, 7)}-01`;
        rows.set(`${f.tenantId}/${month}/${f.familyId}`, { tenant_id: f.tenantId, month, family_id: f.familyId });
      }
    }
    return [...rows.values()];
  }
}

export const familiesFeature: TestFeature = {
  name: "families",
  plan: planFamilies,
  model: () => new FamiliesModel(),
};
