/**
 * Preloaded into the tslab kernel (`node --require`, see setup-kernel.sh).
 *
 * Why: tslab compiles every local module a notebook imports (e.g. ./src/figures/plotly.ts) to a
 * CommonJS string and runs it through Module.prototype._compile under a virtual file name ending in
 * `.js` (src/figures/plotly.js, which does not exist on disk). Node >= 20.19 looks up the nearest
 * package.json for that name, finds `"type": "module"` (this project is ESM), and refuses the
 * CommonJS code: "ReferenceError: exports is not defined in ES module scope".
 *
 * The fix is narrow: only for a `.js` file that does not exist on disk (i.e. tslab's in-memory
 * output) and only when the caller gave no format, tell Node it is CommonJS. Real files on disk,
 * node_modules and ESM imports are untouched.
 *
 * Second problem, same cause: our ESM sources use `import.meta.url` (src/core/backend.ts,
 * src/core/manifest.ts), which is a SyntaxError in CommonJS ("Cannot use 'import.meta' outside a
 * module"). In those in-memory outputs only, `import.meta` is replaced by an equivalent object built
 * from the CommonJS `__filename` (the virtual path sits where the .ts file does, so paths resolved
 * relative to it are right).
 *
 * Third: tslab type-checks with its own TypeScript 5.0 in NON-strict mode and with lib es2020, while
 * the project compiles strict with lib ES2023 (tsconfig.json). Non-strict mode turns off
 * strictNullChecks, which breaks discriminated-union narrowing (`if (r.ok) return; r.reason` fails
 * with "Property 'reason' does not exist"), and es2020 lacks Array.prototype.at, findLast, Object.hasOwn.
 * So tslab's compiler options are aligned with tsconfig.json: strict on, lib es2023 (output target
 * is left as tslab sets it). Only tslab's own require of its TypeScript is intercepted.
 */
'use strict';
const fs = require('node:fs');
const Module = require('node:module');

// resolve() too, so that a module using import.meta.resolve (src/experiments/runner.ts) loads if a
// notebook ever imports it: resolved with CommonJS rules from the module's own path.
const IMPORT_META_SHIM =
  '({ url: require("node:url").pathToFileURL(__filename).href, filename: __filename, dirname: __dirname, ' +
  'resolve: (specifier) => require("node:url").pathToFileURL(require.resolve(specifier)).href })';

const TSLAB_TYPESCRIPT = '@tslab/typescript-for-tslab';
/** tslab's lib names look like 'lib.es2020.d.ts'; the project's tsconfig uses ES2023. */
const PROJECT_LIB = 'lib.es2023.d.ts';

function alignWithProjectOptions(options) {
  const lib = Array.isArray(options.lib)
    ? options.lib.map((name) => (/^lib\.es20\d\d\.d\.ts$/.test(name) ? PROJECT_LIB : name))
    : options.lib;
  return { ...options, strict: true, lib };
}

let typescriptProxy = null;
function projectAlignedTypescript(ts) {
  if (typescriptProxy === null) {
    const createWatchCompilerHost = (rootFiles, options, ...rest) =>
      ts.createWatchCompilerHost(rootFiles, alignWithProjectOptions(options), ...rest);
    // A Proxy, because the bundle's exports are non-configurable getters that cannot be reassigned.
    typescriptProxy = new Proxy(ts, {
      get: (target, key) => (key === 'createWatchCompilerHost' ? createWatchCompilerHost : target[key]),
    });
  }
  return typescriptProxy;
}

const originalLoad = Module._load;
Module._load = function loadWithAlignedTypescript(request, parent, isMain) {
  const loaded = originalLoad.call(this, request, parent, isMain);
  const fromTslab = parent && typeof parent.filename === 'string' && /[\\/]tslab[\\/]dist[\\/]/.test(parent.filename);
  return request === TSLAB_TYPESCRIPT && fromTslab ? projectAlignedTypescript(loaded) : loaded;
};

const originalCompile = Module.prototype._compile;
Module.prototype._compile = function compileTslabSideOutput(content, filename, format) {
  if (format === undefined && typeof filename === 'string' && filename.endsWith('.js') && !fs.existsSync(filename)) {
    const source = typeof content === 'string' ? content.replace(/\bimport\.meta\b/g, IMPORT_META_SHIM) : content;
    return originalCompile.call(this, source, filename, 'commonjs');
  }
  return originalCompile.call(this, content, filename, format);
};
