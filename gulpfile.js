const path = require('path');
const { task, src, dest } = require('gulp');

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
