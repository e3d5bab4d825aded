/**
 * The steps a person takes in n8n's editor for the browser e2e suite (a new workflow, the
 * node panel, the NDV, the Credential select and its modal), each written once for both n8n
 * lines; the n8n they run against is ./editorServer.
 */
import type { Locator, Page } from 'playwright-core';

import { n8nLine, type N8nLine } from './n8n';

/** Text that is exactly `name`, give or take white space around it. */
function exactly(name: string): RegExp {
	return new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/** The editor as a person sees it in one browser tab. */
export class Editor {
	readonly line: N8nLine = n8nLine();

	constructor(
		readonly page: Page,
		readonly base: string,
	) {}

	byTest(id: string): Locator {
		return this.page.locator(`[data-test-id="${id}"]`);
	}

	/** A new, empty workflow. */
	async newWorkflow(): Promise<void> {
		await this.page.goto(`${this.base}/workflow/new`);
		await this.byTest('canvas-add-button').waitFor({ timeout: 60_000 });
		await this.dismissPopups();
	}

	/** Closes what n8n shows a new owner once (tours, announcements), if anything. */
	async dismissPopups(): Promise<void> {
		await this.page.keyboard.press('Escape');
	}

	get creator(): Locator {
		return this.byTest('node-creator');
	}

	get searchBar(): Locator {
		return this.byTest('node-creator-search-bar');
	}

	/** The names the node panel lists right now (nodes and actions). */
	itemNames(): Locator {
		return this.creator.locator('[data-test-id="node-creator-item-name"]');
	}

	/** Clicks the panel's item named exactly `name` (a node or one of its actions). */
	async pickItem(name: string): Promise<void> {
		await this.itemNames()
			.filter({ hasText: exactly(name) })
			.first()
			.click();
	}

	/** A new workflow with a Manual Trigger, and Z-Image added from the panel with Generate an image. */
	async addZImageGenerate(): Promise<void> {
		await this.newWorkflow();
		await this.addManualTrigger();
		await this.openNextStepPanel();
		await this.search('zimage');
		await this.pickItem('Z-Image');
		await this.pickItem('Generate an image');
		await this.ndv.waitFor();
	}

	/** The Manual Trigger, added from the canvas's "Add first step". */
	async addManualTrigger(): Promise<void> {
		await this.byTest('canvas-add-button').click();
		await this.searchBar.fill('manual');
		await this.itemNames()
			.filter({ hasText: /Trigger manually|Manual Trigger/ })
			.first()
			.click();
		await this.closeNdvIfOpen();
		await this.canvasNode(/When clicking|Manual Trigger/).waitFor();
	}

	canvasNode(name: string | RegExp): Locator {
		return this.page.locator('[data-test-id="canvas-node"]', { hasText: name });
	}

	/** The "+" after the last node: the panel "What happens next?". */
	async openNextStepPanel(): Promise<void> {
		await this.byTest('canvas-handle-plus').last().click();
		await this.searchBar.waitFor();
	}

	/** The "+" under one of a node's sub-node connectors (`ai_tool` is "Tool"): its panel. */
	async openConnectorPanel(node: string, type: string): Promise<void> {
		await this.page
			.locator(
				`[data-test-id="canvas-node-input-handle"][data-connection-type="${type}"][data-node-name="${node}"] [data-test-id="canvas-handle-plus"]`,
			)
			.first()
			.click();
		await this.searchBar.waitFor();
	}

	/** Z-Image's Generate with `credential` (its provider), `prompt` and Wait Mode "Provider Callback". */
	async addZImageCallback(credential: string, prompt: string): Promise<void> {
		await this.addZImageGenerate();
		await this.pickCredential(credential);
		await this.fillParameter('Prompt', prompt);
		await this.selectOption('Wait Mode', 'Provider Callback');
	}

	/** "If Callback Is Not Possible" → "Poll Instead", Execute step, and its notice in the JSON view. */
	async executePollingInstead(): Promise<void> {
		await this.selectOption('If Callback Is Not Possible', 'Poll Instead');
		await this.executeStep();
		await this.outputMode('JSON');
		await this.output
			.getByText(/Waited by polling, not by a provider callback/)
			.first()
			.waitFor({ timeout: 60_000 });
	}

	/** A sub-node from one of `node`'s connectors (`ai_languageModel`, `ai_tool`): searched, picked, its NDV open. */
	async addFromConnector(node: string, type: string, term: string, item: string): Promise<void> {
		await this.openConnectorPanel(node, type);
		await this.searchBar.fill(term);
		await this.pickItem(item);
		await this.ndv.waitFor();
	}

	async search(term: string): Promise<void> {
		await this.searchBar.fill('');
		// An empty search lists categories, no node: wait for the last result to leave first.
		await this.itemNames()
			.filter({ hasText: /^\s*Z-Image\s*$/ })
			.first()
			.waitFor({ state: 'hidden', timeout: 5000 })
			.catch(() => undefined);
		await this.searchBar.fill(term);
		// The list follows the input after a debounce.
		await this.page.waitForTimeout(400);
	}

	get ndv(): Locator {
		return this.byTest('ndv');
	}

	async closeNdvIfOpen(): Promise<void> {
		await this.page.waitForTimeout(500);
		if (await this.ndv.isVisible()) await this.closeNdv();
	}

	async closeNdv(): Promise<void> {
		const back = this.page.locator(
			'[data-test-id="back-to-canvas"], [data-test-id="ndv-close-button"]',
		);
		if (await back.first().isVisible()) await back.first().click();
		else await this.page.keyboard.press('Escape');
		await this.ndv.waitFor({ state: 'hidden' });
	}

	/** A parameter of the open NDV, by its label: the last item whose first line is that label. */
	async parameter(label: string): Promise<Locator> {
		const items = this.ndv.locator('[data-test-id="parameter-item"]');
		const firstLines = (await items.allInnerTexts()).map((text) => text.split('\n')[0].trim());
		const index = firstLines.lastIndexOf(label);
		if (index === -1)
			throw new Error(`the NDV shows no parameter "${label}" (it shows ${firstLines.join(', ')})`);
		return items.nth(index);
	}

	/** The labels of the parameters the open NDV shows. */
	async parameterLabels(): Promise<string[]> {
		const items = this.ndv.locator('[data-test-id="parameter-item"]');
		return (await items.allInnerTexts()).map((text) => text.split('\n')[0].trim()).filter(Boolean);
	}

	/** Picks an option of an options parameter by its label. */
	async selectOption(label: string, option: string): Promise<void> {
		await (await this.parameter(label)).locator('input').first().click();
		await this.visibleDropdownItem(option).click();
	}

	/** The options a parameter's dropdown offers, by the parameter's name (`operation`). */
	async optionsOf(name: string): Promise<string[]> {
		await this.ndv.locator(`[data-test-id="parameter-input-${name}"] input`).first().click();
		const items = this.page.locator('.el-select-dropdown:visible .el-select-dropdown__item');
		await items.first().waitFor();
		const names = (await items.allInnerTexts()).map((text) => text.split('\n')[0].trim());
		await this.page.keyboard.press('Escape');
		return names;
	}

	visibleDropdownItem(text: string | RegExp): Locator {
		return this.page
			.locator('.el-select-dropdown:visible .el-select-dropdown__item, .el-popper:visible li')
			.filter({ hasText: text })
			.first();
	}

	async fillParameter(label: string, value: string): Promise<void> {
		const input = (await this.parameter(label)).locator('input, textarea, .cm-content').first();
		await input.click();
		await this.page.keyboard.press('ControlOrMeta+a');
		await this.page.keyboard.type(value);
		await this.page.keyboard.press('Tab');
	}

	get output(): Locator {
		return this.page.locator('[data-test-id="output-panel"]');
	}

	/** Clicks the NDV's Execute step button. */
	async executeStep(): Promise<void> {
		await this.ndv.locator('[data-test-id="node-execute-button"]').first().click();
	}

	/** Picks the output panel's display mode (Table, JSON, Schema, Binary). */
	async outputMode(mode: 'JSON' | 'Binary' | 'Table' | 'Schema'): Promise<void> {
		const offered = await this.ndv
			.locator('[data-test-id="ndv-run-data-display-mode"]')
			.last()
			.getByRole('radio', { name: mode })
			.click({ timeout: 60_000 })
			.then(() => true)
			.catch(() => false);
		if (offered) return;
		// Say what the person sees instead (an execution's error, usually).
		const shown = (await this.output.innerText().catch(() => '')).replace(/\s+/g, ' ');
		throw new Error(`the output panel offers no ${mode} view; it shows: ${shown}`);
	}

	/** The text of the notification n8n shows in the corner (a toast). */
	async notification(): Promise<string> {
		const toast = this.page.locator('.el-notification').last();
		await toast.waitFor({ timeout: 30_000 });
		return await toast.innerText();
	}

	/** The natural size of the image the Binary view's "View" opens. */
	async binaryImageSize(): Promise<{ width: number; height: number }> {
		await this.output.getByRole('button', { name: 'View' }).first().click();
		// 2.x serves it from /rest/binary-data; 1.x (binary data in memory) as a data: or blob: URL.
		const image = this.page
			.locator('img[src*="/rest/binary-data"], img[src^="data:image"], img[src^="blob:"]')
			.first();
		await image.waitFor({ timeout: 30_000 });
		const size = await image.evaluate(async (element) => {
			const img = element as unknown as {
				complete: boolean;
				decode(): Promise<void>;
				naturalWidth: number;
				naturalHeight: number;
			};
			if (!img.complete) await img.decode();
			return { width: img.naturalWidth, height: img.naturalHeight };
		});
		return size;
	}

	/** Picks an existing credential in the NDV's Credential select (which sets the provider). */
	async pickCredential(name: string): Promise<void> {
		await this.ndv.locator('[data-test-id="node-credentials-select"]').click();
		await this.page
			.locator('.el-select-dropdown:visible li[data-test-id^="node-credentials-select-item-"]')
			.filter({ hasText: name })
			.first()
			.click();
		await this.page.waitForTimeout(500);
	}

	get credentialModal(): Locator {
		return this.byTest('credential-edit-dialog');
	}

	/** Credentials → Add new credential → the credential type, as the "Add new credential" list names it. */
	async openNewCredential(typeName: string): Promise<Locator> {
		await this.page.goto(`${this.base}/home/credentials/create`);
		await this.byTest('new-credential-type-select').click();
		await this.page.keyboard.type(typeName);
		await this.byTest('new-credential-type-select-option')
			.filter({
				hasText: exactly(typeName),
			})
			.first()
			.click();
		await this.byTest('new-credential-type-button').click();
		await this.credentialModal.waitFor();
		return this.credentialModal;
	}

	/** Fills the credential modal's fields by label: text inputs typed, options picked. */
	async fillCredential(fields: Record<string, string>): Promise<void> {
		for (const [label, value] of Object.entries(fields)) {
			const field = this.credentialModal
				.locator('[data-test-id="credential-connection-parameter"]')
				.filter({ has: this.page.locator('label, .n8n-input-label', { hasText: label }) })
				.first();
			const input = field.locator('input, textarea').first();
			if ((await input.getAttribute('readonly')) !== null) {
				await input.click();
				await this.visibleDropdownItem(value).click();
			} else {
				await input.fill(value);
			}
		}
	}

	/** Save: n8n saves the credential and runs its connection test. */
	async saveCredential(): Promise<void> {
		await this.byTest('credential-save-button').click();
	}

	/** The words of a failed connection test: the banner's details, below "Couldn't connect…". */
	async credentialTestFailure(): Promise<string> {
		// 2.x folds the words under "More details"; 1.x shows them in the banner.
		const banner = this.credentialModal.getByText(/Couldn.t connect with these settings/);
		await banner.first().waitFor({ timeout: 30_000 });
		const details = this.credentialModal.getByText('More details');
		if (await details.isVisible()) {
			await details.click();
			await this.page.waitForTimeout(500);
		}
		const lines = (await this.credentialModal.innerText()).split('\n').map((line) => line.trim());
		const heading = lines.findIndex((line) => line.startsWith('Couldn'));
		return lines
			.slice(heading + 1, heading + 4)
			.filter((line) => line && line !== 'Retry' && !line.endsWith('*'))
			.join('\n');
	}

	async closeCredential(): Promise<void> {
		await this.page.keyboard.press('Escape');
		await this.credentialModal.waitFor({ state: 'hidden' });
	}
}
