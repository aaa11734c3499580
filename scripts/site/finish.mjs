// Finishes the built site for serving: minifies the JS glue, names the bundle files
// after a hash of their content (listed in pkg/assets.json for the server), and writes a
// brotli (quality 11) and a gzip (level 9) copy of every compressible file beside it.
// Usage: node scripts/site/finish.mjs <site dir>
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, unlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { transformSync } from 'esbuild';

const site = process.argv[2];
if (!site) {
  console.error('usage: finish.mjs <site dir>');
  process.exit(2);
}
const pkg = join(site, 'pkg');

// Files from earlier builds: hashed names and compressed copies are made anew.
const HASHED = /\.[0-9a-f]{16}\.[a-z]+$/;
for (const name of readdirSync(pkg)) {
  if (HASHED.test(name) || name.endsWith('.br') || name.endsWith('.gz')) unlinkSync(join(pkg, name));
}

const minify = (file) =>
  transformSync(readFileSync(join(pkg, file), 'utf8'), { minify: true, format: 'esm', target: 'es2020', legalComments: 'none' }).code;

const names = {};
const place = (plain, contents) => {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const dot = plain.indexOf('.');
  const hashed = `${plain.slice(0, dot)}.${hash}${plain.slice(dot)}`;
  writeFileSync(join(pkg, hashed), contents);
  names[plain] = hashed;
};
for (const bundle of ['attune', 'attune_workspace']) {
  place(`${bundle}.js`, minify(`${bundle}.js`));
  place(`${bundle}_bg.wasm`, readFileSync(join(pkg, `${bundle}_bg.wasm`)));
}
place('attune.css', readFileSync(join(pkg, 'attune.css')));
writeFileSync(join(pkg, 'assets.json'), JSON.stringify(names, null, 2) + '\n');

const COMPRESSIBLE = /\.(js|wasm|css|svg|json|txt|html)$/;
const compressAll = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      compressAll(path);
      continue;
    }
    if (!COMPRESSIBLE.test(name)) continue;
    const raw = readFileSync(path);
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    // A compressed copy that is not smaller is not worth serving.
    if (br.length < raw.length) writeFileSync(path + '.br', br);
    if (gz.length < raw.length) writeFileSync(path + '.gz', gz);
  }
};
compressAll(pkg);
console.log(Object.entries(names).map(([p, h]) => `${p} -> ${h}`).join('\n'));
