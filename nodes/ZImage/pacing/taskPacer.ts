import type { RunControl } from '../run';

import type { CredentialBudget } from './budget';
import type { TaskDurations } from './durations';
import type { Sent } from './submitRate';

/** Never wait longer than this on one Retry-After (as the retry loop). */
const MAX_RETRY_AFTER_SECONDS = 60;

/** A task's slot in the provider key's window: ended once the task is finished or given up. */
export interface TaskSlot {
	end(): void;
}

/**
 * One item's side of its provider key's budget: its task's slot, its status looks' turns,
 * and what to do when the provider does not take its submission.
 */
export class TaskPacer {
	private holding = false;
	private deadline = 0;
	private refusals = 0;
	private submitted = false;
	/** This item's task was taken and is counted in the key's tasks in flight. */
	private counted = false;
	/** This item's latest submission in the key's record of them (until answered). */
	private sent?: Sent;
	/** The one answered last: its acceptance or refusal is read against it. */
	private answeredSent?: Sent;

	constructor(
		private readonly budget: CredentialBudget,
		private readonly run: RunControl,
		private readonly itemIndex: number,
	) {}

	/** Whether this item holds a slot: its submission's "not accepted" answers are then paced here. */
	get holdsSlot(): boolean {
		return this.holding;
	}

	/** Waits for a slot for a new task; "not accepted" answers are retried until `maxWaitSeconds` from now. */
	async startTask(maxWaitSeconds: number): Promise<TaskSlot> {
		await this.budget.window.acquire(this.run, this.itemIndex);
		this.holding = true;
		this.deadline = Date.now() + maxWaitSeconds * 1000;
		return {
			end: () => {
				if (this.holding) this.budget.window.release();
				this.holding = false;
				if (this.counted) this.budget.tasks--;
				this.counted = false;
			},
		};
	}

	async statusTurn(): Promise<void> {
		await this.budget.status.turn(this.run, this.itemIndex);
	}

	/** Waits for this submission's turn in the key's submit rate (each try of it). */
	async submitTurn(): Promise<void> {
		const { submits } = this.budget;
		// A rate on trial lets a submission go with fewer tasks in flight than at its refusal.
		this.sent = await submits.turn(this.run, this.itemIndex, () => this.budget.tasks);
	}

	/** The submission was answered (or came to nothing): from now on it counts from this moment. */
	submitAnswered(): void {
		if (this.sent) this.budget.submits.answered(this.sent);
		this.answeredSent = this.sent;
		this.sent = undefined;
	}

	/** The provider took the submission. */
	accepted(): void {
		this.submitted = true;
		const { window, submits } = this.budget;
		if (this.holding && !this.counted) {
			this.counted = true;
			this.budget.tasks++;
		}
		// Counted when the answer came: a first request's own set-up time is not part of the provider's window.
		const trial = submits.trial;
		if (!submits.accept(this.answeredSent, this.budget.tasks) && trial !== undefined)
			// A submission the rate on trial held was taken with fewer tasks in flight: the tasks were the limit.
			window.narrowTo(trial);
		if (this.holding && window.accepted()) {
			// It took more than it refused with no task finished between: the refusals were about the rate.
			submits.confirm();
			if (submits.pacing) window.reopen();
		}
	}

	/**
	 * The provider did not take the submission (429/503): the slot goes back (others may use
	 * it meanwhile), the submission waits out its Retry-After, then waits for a turn in the
	 * window and may be sent again. False when max wait would run out first.
	 */
	async notAccepted(retryAfterSeconds: number | undefined): Promise<boolean> {
		const { window, submits } = this.budget;
		const reading = submits.refuse(retryAfterSeconds, this.answeredSent, this.budget.tasks);
		// The rate paces and explains the refusal: the window of tasks is not the limit, it stays open.
		if (reading === 'rate') window.reopen();
		window.notAccepted(retryAfterSeconds, Math.min(2 ** this.refusals++, 16), reading === 'rate');
		this.holding = false;
		const now = Date.now();
		const resumeAt = Math.max(
			now + Math.min(retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS) * 1000,
			window.heldUntil,
		);
		if (resumeAt >= this.deadline) return false;
		await this.run.wait(resumeAt - now, this.itemIndex);
		await window.acquire(this.run, this.itemIndex);
		this.holding = true;
		return Date.now() < this.deadline;
	}

	/** A status look was answered "too many requests": hold the key's looks. */
	statusRateLimited(seconds: number): void {
		this.budget.status.hold(seconds);
	}

	/** What the key's finished tasks took, for a task this item submitted (not one looked up later). */
	get durations(): TaskDurations | undefined {
		return this.submitted ? this.budget.durations : undefined;
	}
}
