import type { FamilyCommand } from "@coop/domain";

// The expected read models, computed from the accepted commands alone, on purpose without any
// projection code: a second, simple implementation of CONTRACT section 3 to check the first.

export interface ExpectedFamilyView {
  tenant_id: string;
  family_id: string;
  family_name: string;
  status: "ENROLLED" | "WITHDRAWN";
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

export interface ExpectedAtRisk {
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

export interface ExpectedPaymentMonth {
  tenant_id: string;
  month: string;
  payment_count: number;
  families_paid: number;
  revenue_cents: number;
  paid_on_time: number;
  paid_late: number;
  total_days_late: number;
}

export interface ExpectedPaymentMethod {
  tenant_id: string;
  month: string;
  method: string;
  count: number;
  amount_cents: number;
}

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

export type Verdict = { accepted: true } | { accepted: false; reason: string };

export class ExpectedModel {
  private readonly families = new Map<string, Family>();
  accepted = 0;
  refused = 0;

  /** Whether the domain should accept the command, given what was accepted before. */
  predict(tenantId: string, command: FamilyCommand): Verdict {
    const f = this.families.get(`${tenantId}/${command.payload.familyId}`);
    if (command.type === "EnrollFamily") return f ? { accepted: false, reason: "ALREADY_ENROLLED" } : { accepted: true };
    if (!f) return { accepted: false, reason: "NOT_FOUND" };
    if (f.withdrawn) return { accepted: false, reason: "FAMILY_WITHDRAWN" };
    if (command.type === "RecordPayment" && f.payments.some((p) => p.transactionId === command.payload.transactionId)) {
      return { accepted: false, reason: "DUPLICATE_TRANSACTION" };
    }
    return { accepted: true };
  }

  /** Records an accepted command (each accepted command appends exactly one event). */
  accept(tenantId: string, command: FamilyCommand): void {
    this.accepted++;
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
    }
  }

  familyViews(): ExpectedFamilyView[] {
    return [...this.families.values()].map((f) => {
      const late = f.payments.filter((p) => p.dueOn !== null && p.paidOn > p.dueOn);
      return {
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
      };
    });
  }

  atRisk(): ExpectedAtRisk[] {
    return [...this.families.values()]
      .filter((f) => !f.withdrawn)
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

  paymentMonths(): ExpectedPaymentMonth[] {
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

  paymentMethods(): ExpectedPaymentMethod[] {
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

  paymentMonthFamilies(): { tenant_id: string; month: string; family_id: string }[] {
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
