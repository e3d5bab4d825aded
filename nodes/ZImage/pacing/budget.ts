import type { NodeContext } from '../types';

import { TaskDurations } from './durations';
import { DEFAULT_STATUS_PER_SECOND, StatusPace } from './statusPace';
import type { DeclaredRate } from './submitRate';
import { SubmitRate } from './submitRate';
import { TaskWindow } from './taskWindow';

/** What one execution asks of the provider key it uses. */
export interface PacingSettings {
	/** Max Concurrent Items: the window never grows past the largest of these. */
	maxConcurrent: number;
	/** Status requests per second: the smallest of these holds. */
	statusPerSecond: number;
}

/** One provider key's allowance, shared by every execution of this process that uses it. */
export class CredentialBudget {
	readonly window: TaskWindow;
	readonly status: StatusPace;
	/** Submissions per time window: learned from refusals, or the provider's documented rate to start from. */
	readonly submits: SubmitRate;
	readonly durations = new TaskDurations();
	/** Tasks the provider took that have not ended yet (slots of items still waiting for a turn not counted). */
	tasks = 0;
	private readonly users = new Map<object, PacingSettings>();

	constructor(settings: PacingSettings, declaredRate?: DeclaredRate) {
		// Without a documented rate the first submissions go in a slow start: a refusal then costs a few, not a whole batch.
		this.window = new TaskWindow(settings.maxConcurrent, declaredRate === undefined);
		this.status = new StatusPace(settings.statusPerSecond);
		this.submits = new SubmitRate(declaredRate);
	}

	get idle(): boolean {
		return this.users.size === 0;
	}

	join(user: object, settings: PacingSettings): void {
		this.users.set(user, settings);
		this.settle();
	}

	leave(user: object): void {
		this.users.delete(user);
		if (this.users.size > 0) this.settle();
	}

	private settle(): void {
		const all = [...this.users.values()];
		this.window.ceiling = Math.max(...all.map((s) => s.maxConcurrent));
		this.status.perSecond = Math.min(...all.map((s) => s.statusPerSecond));
	}
}

/** Module-level on purpose: executions in one process share a key's budget; an idle one is dropped. */
const budgets = new Map<string, CredentialBudget>();

/** How many provider keys have a budget right now (for tests: none once every execution ended). */
export function activeBudgets(): number {
	return budgets.size;
}

/** A short, non-reversible tag of a secret: budgets are told apart without keeping the key. */
function fingerprint(secret: string): string {
	let hash = 0x811c9dc5;
	for (let i = 0; i < secret.length; i++) {
		hash ^= secret.charCodeAt(i);
		hash = Math.imul(hash, 0x01000193) >>> 0;
	}
	return `${secret.length}:${hash.toString(36)}`;
}

/** Which provider key a request goes to: credential type and id, base URL, and the key's tag. */
export function budgetKey(
	ctx: NodeContext,
	credentialType: string,
	baseUrl: string,
	apiKey: string,
): string {
	const id = ctx.getNode().credentials?.[credentialType]?.id ?? '';
	return [credentialType, id, baseUrl, fingerprint(apiKey)].join('\n');
}

/** One execution's part in the shared budgets: joined on first use, left when it ends. */
export class ExecutionPacing {
	private readonly joined = new Set<string>();

	constructor(private readonly settings: PacingSettings) {}

	/** The key's budget; `declaredRate` (the provider's documented submit rate) is read when it is created. */
	budget(key: string, declaredRate?: DeclaredRate): CredentialBudget {
		let budget = budgets.get(key);
		if (!budget) {
			budget = new CredentialBudget(this.settings, declaredRate);
			budgets.set(key, budget);
		}
		if (!this.joined.has(key)) {
			this.joined.add(key);
			budget.join(this, this.settings);
		}
		return budget;
	}

	/** The execution ended: its budgets are dropped once no other execution uses them. */
	release(): void {
		for (const key of this.joined) {
			const budget = budgets.get(key);
			budget?.leave(this);
			if (budget?.idle) budgets.delete(key);
		}
		this.joined.clear();
	}
}

export function pacingSettings(maxConcurrent: number, statusPerSecond?: number): PacingSettings {
	return { maxConcurrent, statusPerSecond: statusPerSecond ?? DEFAULT_STATUS_PER_SECOND };
}
