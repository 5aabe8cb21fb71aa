#!/usr/bin/env node
// solc command-line adapter over the npm `solc` (emscripten) build.
//
// forge and foundry-compilers call a native solc as:
//   solc --version
//   solc [--base-path P] [--include-path P]... [--allow-paths P] --standard-json   (input on stdin)
// This adapter answers both. It never prints anything but the compiler's JSON on stdout.
//
// Why not `require('solc').compile`: it passes the whole input as a JS string through
// emscripten's ccall, which copies it onto the wasm stack and overflows once a project has a
// few hundred sources. Here the input is copied into the wasm heap with _malloc and the exported
// `solidity_compile` is called with that pointer.
'use strict';

const fs = require('fs');
const path = require('path');

function loadSoljson() {
  const soljsonPath = require.resolve('solc/soljson.js', { paths: [path.join(__dirname, '..', '..')] });
  return require(soljsonPath);
}

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: null, includePaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--version') opts.version = true;
    else if (arg === '--standard-json') opts.standardJson = true;
    else if (arg === '--base-path') opts.basePath = argv[++i];
    else if (arg === '--include-path') opts.includePaths.push(argv[++i]);
    else if (arg === '--allow-paths') i++; // solcjs has no file-system sandbox to configure
    else if (arg.startsWith('--base-path=')) opts.basePath = arg.slice('--base-path='.length);
    else if (arg.startsWith('--include-path=')) opts.includePaths.push(arg.slice('--include-path='.length));
    else if (arg.startsWith('--allow-paths=')) continue;
    else {
      process.stderr.write(`solc adapter: unsupported argument ${arg}\n`);
      process.exit(2);
    }
  }
  return opts;
}

function versionString(soljson) {
  return soljson.cwrap('solidity_version', 'string', [])();
}

// Import callback: the compiler asks for a source it was not given; read it from disk,
// relative to the base path and then each include path.
function makeReader(opts) {
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths];
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      try {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (_) {
        // try the next root
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function compileStandardJson(soljson, input, reader) {
  const compile = soljson.cwrap('solidity_compile', 'number', ['number', 'number', 'number']);
  const reset = soljson.cwrap('solidity_reset', null, []);

  // Memory handed to the compiler must come from its own allocator (solidity_alloc): it frees
  // callback results itself, and solidity_reset releases the rest.
  const alloc = soljson.cwrap('solidity_alloc', 'number', ['number']);
  const copyToHeap = (str) => {
    const length = soljson.lengthBytesUTF8(str);
    const ptr = alloc(length + 1);
    soljson.stringToUTF8(str, ptr, length + 1);
    return ptr;
  };

  const callback = (context, kindPtr, dataPtr, contentsOutPtr, errorOutPtr) => {
    const kind = soljson.UTF8ToString(kindPtr);
    const data = soljson.UTF8ToString(dataPtr);
    const result = kind === 'source' ? reader(data) : { error: `callback kind ${kind} not supported` };
    if (typeof result.contents === 'string') soljson.setValue(contentsOutPtr, copyToHeap(result.contents), '*');
    if (typeof result.error === 'string') soljson.setValue(errorOutPtr, copyToHeap(result.error), '*');
  };

  const callbackPtr = soljson.addFunction(callback, 'viiiii');
  const inputPtr = copyToHeap(input);
  try {
    const outputPtr = compile(inputPtr, callbackPtr, 0);
    return soljson.UTF8ToString(outputPtr);
  } finally {
    soljson.removeFunction(callbackPtr);
    reset(); // frees every allocation the compile made, including inputPtr
  }
}

function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const soljson = loadSoljson();
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${versionString(soljson)}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc adapter: only --version and --standard-json are supported\n');
    process.exit(2);
  }
  const output = compileStandardJson(soljson, readStdin(), makeReader(opts));
  process.stdout.write(output);
  process.stdout.write('\n');
}

main();
