/**
 * The hygiene rules as pure functions (issue #13): redaction, the number rule, base URLs,
 * task ids as path segments, file names. The runs through n8n are in hygiene.test.ts.
 */
import { baseUrlProblem } from '../credentials/contract';
import { redact, redactJson, shown } from '../nodes/ZImage/http/errors';
import { pathSegment, safeFileName, taskIdProblem } from '../nodes/ZImage/taskIds';
import { parseDecimal } from '../nodes/ZImage/validation';

const KEY = 'sk-dummy-UNIT-0123456789abcdef';

describe('redact: the key, its header form, its recognisable start and end', () => {
	test.each([
		[`key ${KEY} here`, 'key *** here'],
		[`Authorization: Bearer ${KEY}`, 'Authorization: Bearer ***'],
		[`url?key=${encodeURIComponent(KEY)}`, 'url?key=***'],
		[`cut ${KEY.slice(0, 8)}`, 'cut ***'],
		[`cut ${KEY.slice(0, 15)}…`, 'cut ***…'],
		[`…${KEY.slice(-8)} end`, '…*** end'],
		[`twice ${KEY}${KEY}`, 'twice ******'],
		[
			`short ${KEY.slice(0, 7)} is not recognisable`,
			`short ${KEY.slice(0, 7)} is not recognisable`,
		],
		['nothing to hide', 'nothing to hide'],
	])('%s', (text, expected) => {
		expect(redact(text, [KEY])).toBe(expected);
	});

	test('no key, or a key too short to be one, changes nothing', () => {
		expect(redact('abc', [''])).toBe('abc');
		expect(redact('abc', ['ab'])).toBe('abc');
	});

	test('redaction comes before the cut: a key straddling the limit leaves nothing', () => {
		for (let at = 280; at <= 300; at++) {
			const text = shown(`${'x'.repeat(at)}${KEY} tail`, [KEY], 300);
			for (let i = 0; i + 4 <= KEY.length; i++) expect(text).not.toContain(KEY.slice(i, i + 4));
			expect(text.length).toBeLessThanOrEqual(301);
		}
	});

	test('JSON: every text, keys included, in nested objects and lists; the input is left alone', () => {
		const input = {
			a: KEY,
			list: [{ [KEY]: `Bearer ${KEY}` }, 3, null, true],
			nested: { deep: { x: `${KEY.slice(0, 10)}` } },
		};
		const out = redactJson(input, [KEY]);
		expect(out).toEqual({
			a: '***',
			list: [{ '***': 'Bearer ***' }, 3, null, true],
			nested: { deep: { x: '***' } },
		});
		expect(input.a).toBe(KEY);
	});
});

describe('parseDecimal: one rule for numbers given as text', () => {
	test.each([
		[4, 4],
		['4', 4],
		[' 30 ', 30],
		['-1', -1],
		['+2', 2],
		['2.5', 2.5],
		['.5', 0.5],
		['7.', 7],
	])('%p is %p', (value, expected) => {
		expect(parseDecimal(value)).toBe(expected);
	});

	test.each([
		'0x400',
		'1e3',
		'1E3',
		'0b11',
		'0o7',
		'',
		' ',
		'12abc',
		'Infinity',
		'-',
		'1,000',
		'١٢',
		true,
		null,
		undefined,
		[4],
		{ n: 4 },
	])('%p is refused (NaN)', (value) => {
		expect(parseDecimal(value)).toBeNaN();
	});
});

describe('baseUrlProblem: http(s), a host, a path; nothing else', () => {
	test.each([
		'https://api.evolink.ai',
		'http://192.168.1.26:8003',
		'https://ai.odkkk.com/apiv1',
		'http://[::1]:8003',
		'https://x.example/a@b',
	])('%s is fine', (url) => {
		expect(baseUrlProblem(url)).toBeUndefined();
	});

	test.each([
		[
			'http://user:secret@host',
			'must not contain a user name or password (user:pass@)',
			'"http://***@host"',
		],
		[
			'https://token@host/path',
			'must not contain a user name or password (user:pass@)',
			'"https://***@host/path"',
		],
		['https://host/?key=1', 'must not contain a query string (?…)', '"https://host/?key=1"'],
		['https://host?', 'must not contain a query string (?…)', '"https://host?"'],
		['https://host#x', 'must not contain a fragment (#…)', '"https://host#x"'],
		['ftp://host', 'must start with http:// or https://', '"ftp://host"'],
		['host:8003', 'must start with http:// or https://', '"host:8003"'],
		['http://', 'is not a valid URL', '"http://"'],
	])('%s: %s', (url, reason, shownUrl) => {
		expect(baseUrlProblem(url)).toEqual({ reason, shown: shownUrl });
	});
});

describe('task ids: a safe set, bounded, one path segment', () => {
	test.each([
		'abcd_1234567890abcdef',
		'task-unified-1757165031-uyujaw3d',
		'job:2024.1',
		'a..b',
		'x'.repeat(128),
	])('%s is safe', (id) => {
		expect(taskIdProblem(id)).toBeUndefined();
	});

	test.each([
		['.', 'a task ID cannot be only dots'],
		['...', 'a task ID cannot be only dots'],
		['a/b', 'a task ID is letters, digits, ".", "_", ":" or "-" only'],
		['a\\b', 'a task ID is letters, digits, ".", "_", ":" or "-" only'],
		['a%2Fb', 'a task ID is letters, digits, ".", "_", ":" or "-" only'],
		['a\nb', 'a task ID is letters, digits, ".", "_", ":" or "-" only'],
		['x'.repeat(129), 'a task ID has at most 128 characters, this one has 129'],
	])('%j: %s', (id, problem) => {
		expect(taskIdProblem(id)).toBe(problem);
	});

	test.each([
		['job:2024.1', 'job%3A2024.1'],
		['task-unified-1-a', 'task-unified-1-a'],
		['..', '%2E%2E'],
	])('%s goes out as %s', (id, segment) => {
		expect(pathSegment(id)).toBe(segment);
		expect(pathSegment(id)).not.toContain('/');
	});
});

describe('safeFileName: the task id made safe, the real extension kept', () => {
	test.each([
		['abcd_1234', 0, 'png', 'abcd_1234-0.png'],
		['task-unified-1757165031-uyujaw3d', 2, 'webp', 'task-unified-1757165031-uyujaw3d-2.webp'],
		['job:2024.1', 0, 'jpg', 'job_2024.1-0.jpg'],
		['../../etc/passwd', 0, 'png', '_._etc_passwd-0.png'],
		['..\\..\\win.ini', 1, 'gif', '_._win.ini-1.gif'],
		['.hidden', 0, 'png', 'hidden-0.png'],
		['a\r\nb\u0000c', 0, 'png', 'a__b_c-0.png'],
		['', 0, 'png', 'image-0.png'],
		['...', 0, 'png', 'image-0.png'],
		['x'.repeat(500), 0, 'png', `${'x'.repeat(100)}-0.png`],
		['id', 0, '../png', 'id-0.png'],
	])('%j → %s', (taskId, index, extension, expected) => {
		expect(safeFileName(taskId, index, extension)).toBe(expected);
	});
});
