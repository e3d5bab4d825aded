const fs = require('fs');
const path = require('path');
const { task, src, dest } = require('gulp');

// A file removed from the sources must not live on in dist/ (and in the published package).
task('clean', async () => {
	for (const target of ['dist', '.tsbuildinfo'])
		fs.rmSync(target, { recursive: true, force: true });
});

// tsc emits only JavaScript: n8n also needs the SVG icons and the codex (*.node.json) in dist/.
task('build:icons', copyAssets);

function copyAssets() {
	const nodeAssets = path.resolve('nodes', '**', '*.{png,svg,json}');
	const nodeDestination = path.resolve('dist', 'nodes');
	src(nodeAssets).pipe(dest(nodeDestination));

	const credAssets = path.resolve('credentials', '**', '*.{png,svg}');
	const credDestination = path.resolve('dist', 'credentials');
	return src(credAssets).pipe(dest(credDestination));
}
