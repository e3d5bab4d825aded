export interface ImageInfo {
	mimeType: string;
	extension: string;
	width?: number;
	height?: number;
}

function ascii(buffer: Buffer, start: number, end: number): string {
	return buffer.toString('latin1', start, end);
}

function jpegSize(buffer: Buffer): { width?: number; height?: number } {
	let offset = 2;
	while (offset + 9 < buffer.length) {
		if (buffer[offset] !== 0xff) return {};
		const marker = buffer[offset + 1];
		const length = buffer.readUInt16BE(offset + 2);
		// Start-of-frame markers carry the size; C4, C8 and CC are other tables.
		if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
			return { height: buffer.readUInt16BE(offset + 5), width: buffer.readUInt16BE(offset + 7) };
		}
		offset += 2 + length;
	}
	return {};
}

function webpSize(buffer: Buffer): { width?: number; height?: number } {
	const chunk = ascii(buffer, 12, 16);
	if (chunk === 'VP8 ' && buffer.length >= 30) {
		return { width: buffer.readUInt16LE(26) & 0x3fff, height: buffer.readUInt16LE(28) & 0x3fff };
	}
	if (chunk === 'VP8L' && buffer.length >= 25) {
		const bits = buffer.readUInt32LE(21);
		return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
	}
	if (chunk === 'VP8X' && buffer.length >= 30) {
		return { width: buffer.readUIntLE(24, 3) + 1, height: buffer.readUIntLE(27, 3) + 1 };
	}
	return {};
}

/** Knows an image by its bytes, not by a URL or a header that may lie. */
export function sniffImage(buffer: Buffer): ImageInfo | undefined {
	if (
		buffer.length >= 24 &&
		buffer.readUInt32BE(0) === 0x89504e47 &&
		buffer.readUInt32BE(4) === 0x0d0a1a0a
	) {
		return {
			mimeType: 'image/png',
			extension: 'png',
			width: buffer.readUInt32BE(16),
			height: buffer.readUInt32BE(20),
		};
	}
	if (buffer.length >= 4 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff) {
		return { mimeType: 'image/jpeg', extension: 'jpg', ...jpegSize(buffer) };
	}
	if (buffer.length >= 16 && ascii(buffer, 0, 4) === 'RIFF' && ascii(buffer, 8, 12) === 'WEBP') {
		return { mimeType: 'image/webp', extension: 'webp', ...webpSize(buffer) };
	}
	if (buffer.length >= 10 && ascii(buffer, 0, 4) === 'GIF8') {
		return {
			mimeType: 'image/gif',
			extension: 'gif',
			width: buffer.readUInt16LE(6),
			height: buffer.readUInt16LE(8),
		};
	}
	return undefined;
}

/**
 * What a result that is not an image was, by its declared type and its size; never its
 * content, which may be an internal page.
 */
export function describeNonImage(
	contentType: string | undefined,
	bytes: number,
	complete = true,
): string {
	const type = contentType ? `content type ${contentType.split(';')[0].trim()}` : 'no content type';
	return `${type}, ${complete ? '' : 'at least '}${bytes} bytes`;
}
