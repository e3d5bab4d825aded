// Task ids and the names made from them: what may be sent into a URL path or a file name.

/** The longest task id the node sends or accepts from a provider. */
export const TASK_ID_MAX = 128;

/**
 * Why a task id is unsafe to send or to name files after, whatever the provider: at most 128
 * letters, digits, ".", "_", ":" or "-", and not "." or ".." (a path step). Undefined when safe.
 */
export function taskIdProblem(taskId: string): string | undefined {
	if (taskId.length > TASK_ID_MAX)
		return `a task ID has at most ${TASK_ID_MAX} characters, this one has ${taskId.length}`;
	if (!/^[A-Za-z0-9._:-]+$/.test(taskId))
		return 'a task ID is letters, digits, ".", "_", ":" or "-" only';
	if (/^\.+$/.test(taskId)) return 'a task ID cannot be only dots';
	return undefined;
}

/** A checked task id as exactly one URL path segment. */
export function pathSegment(taskId: string): string {
	const encoded = encodeURIComponent(taskId);
	return /^\.+$/.test(encoded) ? encoded.replace(/\./g, '%2E') : encoded;
}

/** Longest file-name stem kept from a task id. */
const FILE_STEM_MAX = 100;

/**
 * An output file name from a task id: letters, digits, ".", "_" and "-" only (anything else
 * becomes "_"), no leading dot or "..", at most 100 characters, then "-<index>.<extension>"
 * with the extension read from the image bytes.
 */
export function safeFileName(taskId: string, index: number, extension: string): string {
	const stem = taskId
		.replace(/[^A-Za-z0-9._-]/g, '_')
		.replace(/\.{2,}/g, '.')
		.replace(/^[.]+/, '')
		.slice(0, FILE_STEM_MAX);
	const ext = extension.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'bin';
	return `${stem || 'image'}-${index}.${ext}`;
}
