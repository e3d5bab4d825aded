import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

/**
 * The fields every Z-Image credential has, whatever its provider: the node's request path
 * and its redaction read only these.
 */
export interface ZImageCredential {
	/** The key or bearer token; optional for a self-hosted server. */
	apiKey?: string;
	/** The provider's base URL: the only origin the key is ever sent to. */
	baseUrl: string;
	/**
	 * A base URL picked by its region's name (Model Studio: Singapore or Beijing), the option's
	 * value being that URL; "custom" (or absent) leaves it to `baseUrl`.
	 */
	region?: string;
	/** A credential-wide request timeout, where the credential offers one. */
	requestTimeoutSeconds?: number;
	/** Accept a self-signed certificate, where the credential offers it. */
	ignoreSslIssues?: boolean;
}

/**
 * Task ids that cannot exist: looking one up costs nothing and still proves the key. The
 * credentials' Test buttons and the node's Health operation use the same ones.
 */
export const PROBE_TASK_IDS = {
	tensorsLab: 'n8n-zimage-credential-test',
	evolink: 'task-unified-0000000000-n8nprobe',
	fal: '00000000-0000-4000-8000-00006e386e70',
} as const;

/**
 * Model Studio's OpenAI-compatible model list: free, and refused (401) for a wrong key or a key
 * of another region. n8n's own Alibaba Cloud credential tests keys with it too.
 */
export const MODEL_STUDIO_MODELS_PATH = '/compatible-mode/v1/models';

/** Replicate's account of the token: free, and refused (401) for a wrong token. */
export const REPLICATE_ACCOUNT_PATH = '/v1/account';

/** The region that leaves the base URL to the Base URL field (for tests and proxies). */
export const CUSTOM_REGION = 'custom';

/** The base URL a credential points at (its region's, or its Base URL), trimmed: spaces, trailing slashes. */
export function baseUrlOf(credential: { baseUrl?: unknown; region?: unknown }): string {
	const { region } = credential;
	const chosen = typeof region === 'string' && region && region !== CUSTOM_REGION;
	return String((chosen ? region : credential.baseUrl) ?? '')
		.trim()
		.replace(/\/+$/, '');
}

/** The credential Test's base URL, chosen and trimmed as a run does (`baseUrlOf`). */
export const TEST_BASE_URL =
	'={{ String(($credentials.region && $credentials.region !== "custom" ? $credentials.region : $credentials.baseUrl) ?? "").trim().replace(/\\/+$/, "") }}';

/** What a base URL may be, in the words every refusal of one ends with. */
export const BASE_URL_RULE =
	'The Base URL is http:// or https://, a host and an optional path, e.g. https://api.example.com or http://192.168.1.26:8003: no user name or password (user:pass@), no query string (?…) and no fragment (#…). The key goes in the API Key field.';

/** The base URL as an error may show it: any user name and password replaced, cut to 200 characters. */
function shownBaseUrl(baseUrl: string): string {
	const hidden = baseUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
	return `"${hidden.length > 200 ? `${hidden.slice(0, 200)}…` : hidden}"`;
}

/**
 * Why a base URL (already trimmed) cannot be used, or undefined when it can. A user name and
 * password would be sent as Basic auth instead of the key and shown in outputs and errors.
 */
export function baseUrlProblem(baseUrl: string): { shown: string; reason: string } | undefined {
	const shown = shownBaseUrl(baseUrl);
	if (!/^https?:\/\//i.test(baseUrl))
		return { shown, reason: 'must start with http:// or https://' };
	const authority = baseUrl.slice(baseUrl.indexOf('//') + 2).split(/[/?#]/)[0];
	if (authority.includes('@'))
		return { shown, reason: 'must not contain a user name or password (user:pass@)' };
	if (baseUrl.includes('?')) return { shown, reason: 'must not contain a query string (?…)' };
	if (baseUrl.includes('#')) return { shown, reason: 'must not contain a fragment (#…)' };
	try {
		if (new URL(baseUrl).host) return undefined;
	} catch {
		// not a URL: said below
	}
	return { shown, reason: 'is not a valid URL' };
}

/**
 * The credentials' `authenticate`: refuses an unusable base URL before anything is sent (in the
 * Test button and in every run, with the same words), then adds the Authorization header the
 * credential asks for (none when `header` gives undefined).
 */
export function authenticateWith(
	header: (credentials: ICredentialDataDecryptedObject) => string | undefined,
): (
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
) => Promise<IHttpRequestOptions> {
	return async (credentials, requestOptions) => {
		const problem = baseUrlProblem(baseUrlOf(credentials));
		if (problem)
			throw new Error(`The Base URL ${problem.shown} ${problem.reason}. ${BASE_URL_RULE}`);
		const value = header(credentials);
		if (value === undefined) return requestOptions;
		return {
			...requestOptions,
			headers: { ...(requestOptions.headers ?? {}), Authorization: value },
		};
	};
}
