/**
 * Bad input is refused before anything is sent: each case names the field, the value and
 * what is allowed, and the simulator sees no request at all.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { failureOf, imageItem, runNode } from './harness';
import { EvolinkSimulator } from './simulators/evolink';
import { TensorsLabSimulator } from './simulators/tensorsLab';
import { ZImageServerSimulator } from './simulators/zImageServer';

interface Case {
	name: string;
	parameters: IDataObject;
	items?: INodeExecutionData[];
	message: RegExp;
}

const tensorsLab = (parameters: IDataObject): IDataObject => ({
	provider: 'tensorsLab',
	operation: 'generate',
	model: 'zimage',
	prompt: 'a cat',
	...parameters,
});

const TENSORSLAB_CASES: Case[] = [
	{
		name: 'empty prompt',
		parameters: tensorsLab({ prompt: '' }),
		message: /^Invalid Prompt "": a prompt is required/,
	},
	{
		name: 'blank prompt',
		parameters: tensorsLab({ prompt: '   ' }),
		message: /^Invalid Prompt " {3}": a prompt is required/,
	},
	{
		name: 'z-image custom size below 512×512 pixels',
		parameters: tensorsLab({ resolution: 'custom', width: 256, height: 256 }),
		message:
			/^Invalid Resolution "256x256": 256×256 is 65,536 pixels; Z-Image Turbo accepts .*between 512×512 and 2048×2048 pixels in total/,
	},
	{
		name: 'z-image custom size above 2048×2048 pixels',
		parameters: tensorsLab({ resolution: 'custom', width: 4096, height: 2048 }),
		message: /^Invalid Resolution "4096x2048": .*between 512×512 and 2048×2048/,
	},
	{
		name: 'z-image ratio it does not offer (from an expression)',
		parameters: tensorsLab({ resolution: '2:3' }),
		message:
			/^Invalid Resolution "2:3": Z-Image Turbo accepts 1024\*1024, 1:1, 16:9, 9:16, 4:3, 3:4/,
	},
	{
		name: 'SeeDream 4.5 1500x1500 (below its pixel minimum)',
		parameters: tensorsLab({ model: 'seedreamv45', resolution: '1500x1500' }),
		message:
			/^Invalid Resolution "1500x1500": 1500×1500 is 2,250,000 pixels; SeeDream 4.5 accepts .*between 3,686,400 and 16,777,216/,
	},
	{
		name: 'SeeDream 4 has no 2K level',
		parameters: tensorsLab({ model: 'seedreamv4', resolution: '2K' }),
		message:
			/^Invalid Resolution "2K": SeeDream 4 accepts 1:1, 16:9, 9:16, 4:3, 3:4 \(no custom sizes\)/,
	},
	{
		name: 'SeeDream 4 has no custom sizes',
		parameters: tensorsLab({ model: 'seedreamv4', resolution: '2048x2048' }),
		message: /^Invalid Resolution "2048x2048": SeeDream 4 accepts/,
	},
	{
		name: 'batch size 0',
		parameters: tensorsLab({ model: 'seedreamv45', resolution: '2K', batchSize: 0 }),
		message: /^Invalid Batch Size 0: a whole number from 1 to 15 is allowed/,
	},
	{
		name: 'batch size 16',
		parameters: tensorsLab({ model: 'seedreamv45', resolution: '2K', batchSize: 16 }),
		message: /^Invalid Batch Size 16: a whole number from 1 to 15/,
	},
	{
		name: 'seed out of range',
		parameters: tensorsLab({ seed: 2147483648 }),
		message: /^Invalid Seed 2147483648: a whole number from -1 to 2147483647/,
	},
	{
		name: 'unknown model',
		parameters: tensorsLab({ model: 'dalle' }),
		message: /^Invalid Model "dalle": allowed: zimage, seedreamv45, seedreamv4/,
	},
	{
		name: 'Edit with the Z-Image model',
		parameters: tensorsLab({
			operation: 'edit',
			model: 'zimage',
			imageUrl: 'https://example.com/a.png',
			inputImageFields: '',
		}),
		message:
			/^Invalid Model "zimage": allowed for Edit \(only SeeDream models take images\): seedreamv45, seedreamv4/,
	},
	{
		name: 'Edit without any source image',
		parameters: tensorsLab({
			operation: 'edit',
			model: 'seedreamv45',
			resolution: '2K',
			inputImageFields: '',
			imageUrl: '',
		}),
		message: /^Invalid Input Image Fields "": Edit needs a source image/,
	},
	{
		name: 'Edit naming a binary field the item does not have',
		parameters: tensorsLab({
			operation: 'edit',
			model: 'seedreamv45',
			resolution: '2K',
			inputImageFields: 'photo',
		}),
		items: [
			imageItem({
				data: Buffer.from([
					0x89,
					0x50,
					0x4e,
					0x47,
					0x0d,
					0x0a,
					0x1a,
					0x0a,
					...new Array(20).fill(0),
				]),
			}),
		],
		message:
			/^Invalid Input Image Fields "photo": the input item has no binary field "photo"; it has: data/,
	},
	{
		name: 'Edit with a binary that is not an image',
		parameters: tensorsLab({
			operation: 'edit',
			model: 'seedreamv45',
			resolution: '2K',
			inputImageFields: 'data',
		}),
		items: [imageItem({ data: Buffer.from('%PDF-1.7 not an image') })],
		message:
			/^Invalid Input Image Fields "data": binary field "data" \(application\/octet-stream\) is not a PNG, JPEG, WebP or GIF image/,
	},
	{
		name: 'Edit with an image URL that is not http(s)',
		parameters: tensorsLab({
			operation: 'edit',
			model: 'seedreamv45',
			resolution: '2K',
			inputImageFields: '',
			imageUrl: 'ftp://x/y.png',
		}),
		message:
			/^Invalid Source Image URL "ftp:\/\/x\/y.png": an http:\/\/ or https:\/\/ URL is required/,
	},
	{
		name: 'max wait 0',
		parameters: tensorsLab({ options: { maxWaitSeconds: 0 } }),
		message: /^Invalid Max Wait \(Seconds\) 0: a whole number from 1 to 86400/,
	},
	{
		name: 'max concurrent 0',
		parameters: tensorsLab({ options: { maxConcurrent: 0 } }),
		message: /^Invalid Max Concurrent Items 0: a whole number from 1 to 100/,
	},
	{
		name: 'Get Task without an id',
		parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: '' },
		message: /^Invalid Task ID "": a task ID is required/,
	},
	{
		name: 'Get Task with a malformed id',
		parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: 'abc def/../x' },
		message: /^Invalid Task ID "abc def\/..\/x": a TensorsLab task id is letters, digits/,
	},
	{
		name: 'Delete Task with one malformed id among good ones',
		parameters: { provider: 'tensorsLab', operation: 'deleteTask', taskId: 'abcd_1, x/y' },
		message: /^Invalid Task IDs "x\/y": a TensorsLab task id/,
	},
	{
		name: 'prompt over 2000 characters',
		parameters: tensorsLab({ prompt: 'p'.repeat(2001) }),
		message: /^Invalid Prompt "p{80}…": at most 2000 characters are allowed, this one has 2001/,
	},
	{
		name: 'prompt that is an object (from an expression)',
		parameters: tensorsLab({ prompt: { a: 1 } }),
		message: /^Invalid Prompt \{"a":1\}: text is expected, this is an object/,
	},
	{
		name: 'hex width',
		parameters: tensorsLab({ resolution: 'custom', width: '0x400', height: 1024 }),
		message: /^Invalid Width "0x400": a whole number from 1 to 16384/,
	},
	{
		name: 'Get Task id of only dots',
		parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: '..' },
		message: /^Invalid Task ID "\.\.": a task ID cannot be only dots/,
	},
	{
		name: 'Get Task id over 128 characters',
		parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: 'a'.repeat(129) },
		message: /^Invalid Task ID "a{80}…": a TensorsLab task id/,
	},
	{
		name: 'an operation the provider does not have',
		parameters: { provider: 'tensorsLab', operation: 'unloadModel' },
		message: /^TensorsLab cannot do the "unloadModel" operation/,
	},
];

describe('TensorsLab input checks', () => {
	let sim: TensorsLabSimulator;
	beforeAll(async () => {
		sim = await new TensorsLabSimulator().start();
	});
	afterAll(async () => {
		await sim.stop();
	});

	test.each(TENSORSLAB_CASES)('$name', async ({ parameters, items, message }) => {
		const before = sim.api.requests.length;
		const error = await failureOf(
			runNode({
				parameters,
				items,
				credentials: {
					tensorsLabApi: { apiKey: sim.apiKey, baseUrl: sim.url, authHeaderFormat: 'bearer' },
				},
			}),
		);
		expect(error.message).toMatch(message);
		expect(sim.api.requests.length).toBe(before);
	});

	test('one bad item stops the run before any item is sent', async () => {
		const before = sim.api.requests.length;
		const error = await failureOf(
			runNode({
				parameters: tensorsLab({ prompt: '={{ $json.prompt }}' }),
				items: [{ json: { prompt: 'fine' } }, { json: { prompt: '' } }],
				credentials: {
					tensorsLabApi: { apiKey: sim.apiKey, baseUrl: sim.url, authHeaderFormat: 'bearer' },
				},
			}),
		);
		expect(error.message).toMatch(/^Invalid Prompt ""/);
		expect(sim.api.requests.length).toBe(before);
	});
});

const selfHosted = (parameters: IDataObject): IDataObject => ({
	provider: 'selfHosted',
	operation: 'generate',
	prompt: 'a cat',
	size: '1024x1024',
	...parameters,
});

const SELF_HOSTED_CASES: Case[] = [
	{
		name: 'empty prompt',
		parameters: selfHosted({ prompt: '' }),
		message: /^Invalid Prompt "": a prompt is required/,
	},
	{
		name: 'size not a multiple of 32 (reject is the default)',
		parameters: selfHosted({ size: '1000x1000' }),
		message:
			/^Invalid Size "1000x1000": width and height must be multiples of 32; the nearest valid sizes are 992x992 and 1024x1024 \(or set "Size Not a Multiple of 32" to Round Down\)/,
	},
	{
		name: 'size below 512×512 pixels',
		parameters: selfHosted({ size: '256x256' }),
		message:
			/^Invalid Size "256x256": 65,536 pixels is outside width x height, both multiples of 32, 512×512 to 2048×2048 pixels in total/,
	},
	{
		name: 'size above 2048×2048 pixels',
		parameters: selfHosted({ size: '4096x2048' }),
		message: /^Invalid Size "4096x2048": 8,388,608 pixels is outside/,
	},
	{
		name: 'size that is not WxH',
		parameters: selfHosted({ size: '16:9' }),
		message: /^Invalid Size "16:9": width x height, both multiples of 32/,
	},
	{
		name: 'number of images 0',
		parameters: selfHosted({ numberOfImages: 0 }),
		message: /^Invalid Number of Images 0: a whole number from 1 to 8/,
	},
	{
		name: 'inference steps 0',
		parameters: selfHosted({ numInferenceSteps: 0 }),
		message: /^Invalid Inference Steps 0: a whole number from 1 to 200/,
	},
	{
		name: 'negative guidance',
		parameters: selfHosted({ guidanceScale: -1 }),
		message: /^Invalid Guidance Scale -1: a number from 0 to 30/,
	},
	{
		name: 'unknown response format',
		parameters: selfHosted({ responseFormat: 'png' }),
		message: /^Invalid Response Format "png": allowed: b64_json, url/,
	},
	{
		name: 'Edit with two image fields',
		parameters: selfHosted({ operation: 'edit', inputImageFields: 'a, b' }),
		message: /^Invalid Input Image Fields "a, b": the self-hosted server edits exactly one image/,
	},
	{
		name: 'Edit without input binary data',
		parameters: selfHosted({ operation: 'edit', inputImageFields: 'data', size: '' }),
		message: /^Invalid Input Image Fields "data": the input item has no binary data/,
	},
	{
		name: 'Get Task with a malformed id',
		parameters: { provider: 'selfHosted', operation: 'getTask', taskId: '../health' },
		message: /^Invalid Task ID "..\/health"/,
	},
	{
		name: 'prompt over 4000 characters',
		parameters: selfHosted({ prompt: 'p'.repeat(4001) }),
		message: /^Invalid Prompt "p{80}…": at most 4000 characters are allowed, this one has 4001/,
	},
	{
		name: 'negative prompt that is a list',
		parameters: selfHosted({ negativePrompt: ['blurry'] }),
		message: /^Invalid Negative Prompt \["blurry"\]: text is expected, this is a list/,
	},
	{
		name: 'exponent steps',
		parameters: selfHosted({ numInferenceSteps: '5e1' }),
		message: /^Invalid Inference Steps "5e1": a whole number from 1 to 200/,
	},
	{
		name: 'Get Task id with CR/LF',
		parameters: { provider: 'selfHosted', operation: 'getTask', taskId: 'a\r\nb' },
		message: /^Invalid Task ID "a\\x0d\\x0ab"/,
	},
];

describe('Z-Image Server input checks', () => {
	let sim: ZImageServerSimulator;
	beforeAll(async () => {
		sim = await new ZImageServerSimulator().start();
	});
	afterAll(async () => {
		await sim.stop();
	});

	test.each(SELF_HOSTED_CASES)('$name', async ({ parameters, items, message }) => {
		const before = sim.server.requests.length;
		const error = await failureOf(
			runNode({ parameters, items, credentials: { zImageServerApi: { baseUrl: sim.url } } }),
		);
		expect(error.message).toMatch(message);
		expect(sim.server.requests.length).toBe(before);
	});
});

const evolink = (parameters: IDataObject): IDataObject => ({
	provider: 'evolink',
	operation: 'generate',
	prompt: 'a cat',
	size: '1:1',
	...parameters,
});

const EVOLINK_CASES: Case[] = [
	{
		name: 'prompt over 2000 characters',
		parameters: evolink({ prompt: 'x'.repeat(2001) }),
		message: /^Invalid Prompt "x{80}…": at most 2000 characters are allowed, this one has 2001/,
	},
	{
		name: 'width below 376',
		parameters: evolink({ size: 'custom', width: 300, height: 512 }),
		message: /^Invalid Width 300: a whole number from 376 to 1536/,
	},
	{
		name: 'height above 1536',
		parameters: evolink({ size: 'custom', width: 512, height: 2048 }),
		message: /^Invalid Height 2048: a whole number from 376 to 1536/,
	},
	{
		name: 'size that is neither a preset nor WxH',
		parameters: evolink({ size: '5:4' }),
		message:
			/^Invalid Size "5:4": allowed: 1:1, 2:3, 3:2, 3:4, 4:3, 9:16, 16:9, 1:2, 2:1, or WxH with each side from 376 to 1536/,
	},
	{
		name: 'seed 0',
		parameters: evolink({ seed: 0 }),
		message: /^Invalid Seed 0: a whole number from 1 to 2147483647/,
	},
	{
		name: 'seed too large',
		parameters: evolink({ seed: 2147483648 }),
		message: /^Invalid Seed 2147483648: a whole number from 1 to 2147483647/,
	},
	{
		name: 'callback URL over plain HTTP',
		parameters: evolink({ callbackUrl: 'http://hooks.example.com/x' }),
		message:
			/^Invalid Callback URL "http:\/\/hooks.example.com\/x": only HTTPS is accepted; an https:\/\/ address on the public internet/,
	},
	{
		name: 'callback URL on loopback',
		parameters: evolink({ callbackUrl: 'https://127.0.0.1:5678/webhook/x' }),
		message:
			/^Invalid Callback URL "https:\/\/127.0.0.1:5678\/webhook\/x": 127.0.0.1 is a private or loopback address/,
	},
	{
		name: 'callback URL on a private network',
		parameters: evolink({ callbackUrl: 'https://192.168.1.20/webhook' }),
		message: /192.168.1.20 is a private or loopback address/,
	},
	{
		name: 'callback URL to localhost',
		parameters: evolink({ callbackUrl: 'https://localhost/webhook' }),
		message: /localhost is a private or loopback address/,
	},
	{
		name: 'callback URL to an IPv6 loopback',
		parameters: evolink({ callbackUrl: 'https://[::1]/webhook' }),
		message: /\[::1\] is a private or loopback address/,
	},
	{
		name: 'callback URL over 2048 characters',
		parameters: evolink({ callbackUrl: `https://example.com/${'a'.repeat(2100)}` }),
		message: /^Invalid Callback URL "https:\/\/example.com\/a+…": 2120 characters is too long/,
	},
	{
		name: 'callback that is not a URL',
		parameters: evolink({ callbackUrl: 'not a url' }),
		message: /^Invalid Callback URL "not a url": not a URL/,
	},
	{
		name: 'unknown model',
		parameters: evolink({ model: 'flux' }),
		message: /^Invalid Model "flux": allowed: z-image-turbo/,
	},
	{
		name: 'prompt that is a number (from an expression)',
		parameters: evolink({ prompt: 42 }),
		message: /^Invalid Prompt 42: text is expected, this is a number/,
	},
	{
		name: 'width as garbage text',
		parameters: evolink({ size: 'custom', width: '512px', height: 512 }),
		message: /^Invalid Width "512px": a whole number from 376 to 1536/,
	},
	{
		name: 'Get Task id over 128 characters',
		parameters: {
			provider: 'evolink',
			operation: 'getTask',
			taskId: `task-unified-${'1'.repeat(200)}`,
		},
		message:
			/^Invalid Task ID "task-unified-1+…": a task ID has at most 128 characters, this one has 213/,
	},
	{
		name: 'Get Task id that is not task-unified-…',
		parameters: { provider: 'evolink', operation: 'getTask', taskId: 'abcd_123' },
		message:
			/^Invalid Task ID "abcd_123": Evolink task IDs look like task-unified-1757165031-uyujaw3d/,
	},
	{
		name: 'ODKKK Get Task id that is not task-unified-…',
		parameters: { provider: 'odkkk', operation: 'getTask', taskId: '12345' },
		message: /^Invalid Task ID "12345": ODKKK task IDs look like task-unified-/,
	},
];

describe('Evolink and ODKKK input checks', () => {
	let sim: EvolinkSimulator;
	beforeAll(async () => {
		sim = await new EvolinkSimulator().start();
	});
	afterAll(async () => {
		await sim.stop();
	});

	test.each(EVOLINK_CASES)('$name', async ({ parameters, items, message }) => {
		const before = sim.api.requests.length;
		const credentials = {
			evolinkApi: { apiKey: sim.apiKey, baseUrl: sim.url },
			odkkkApi: { apiKey: sim.apiKey, baseUrl: sim.url },
		};
		const error = await failureOf(runNode({ parameters, items, credentials }));
		expect(error.message).toMatch(message);
		expect(sim.api.requests.length).toBe(before);
	});
});
