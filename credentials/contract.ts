/**
 * The fields every Z-Image credential has, whatever its provider: the node's request path
 * and its redaction read only these.
 */
export interface ZImageCredential {
	/** The key or bearer token; optional for a self-hosted server. */
	apiKey?: string;
	/** The provider's base URL: the only origin the key is ever sent to. */
	baseUrl: string;
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
} as const;
