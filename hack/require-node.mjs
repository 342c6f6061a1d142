// Fails with a clear message when the Node.js running LatticeGuard is older than the one it needs.
// Plain JavaScript on purpose: it must run, and explain itself, on any Node.js.
const required = [24, 7];
const found = process.versions.node.split(".").map(Number);
const ok = found[0] > required[0] || (found[0] === required[0] && found[1] >= required[1]);
if (!ok) {
  process.stderr.write(
    `LatticeGuard needs Node.js >= ${required.join(".")} (it uses OpenSSL 3.5's ML-KEM, ML-DSA and ` +
      `TypeScript type stripping), but ${process.execPath} is v${process.versions.node}.\n` +
      `Run 'npm ci' to install the pinned Node 24 into node_modules/.bin, then use 'make' or 'npm run', ` +
      `which put it first on PATH.\n`,
  );
  process.exit(1);
}
