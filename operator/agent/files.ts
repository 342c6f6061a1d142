/**
 * The agent's output: `bundle.pem`, `key.pem` (PKCS#8, mode 0600) and `cert.pem` in one directory shared
 * with the workload. Each file is replaced atomically: written to a temporary file in the same directory,
 * flushed, given its mode, then renamed over the old one, so a reader sees the old file or the new one,
 * never a partial one. The order is bundle, key, certificate: new anchors are trusted before anything
 * they signed appears, and a workload that reloads when `cert.pem` changes finds the matching key
 * already in place.
 *
 * @example
 * await writeIdentityFiles("/var/run/latticeguard.dev/identity", { bundle, keyPem, certificate });
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { access, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * File names in the output directory.
 *
 * @example
 * join(outDir, IDENTITY_FILES.certificate); // ".../cert.pem"
 */
export const IDENTITY_FILES = {
  key: "key.pem",
  certificate: "cert.pem",
  bundle: "bundle.pem",
} as const;

/**
 * Replaces `dir/name` with `content` atomically, with file mode `mode`.
 *
 * @example
 * await writeAtomically(outDir, "key.pem", keyPem, 0o600);
 */
export async function writeAtomically(
  dir: string,
  name: string,
  content: string,
  mode: number,
): Promise<void> {
  const temporary = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(temporary, "wx", mode);
    try {
      await file.chmod(mode); // the umask may have narrowed it
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(dir, name));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes a new identity: the bundle, then the key, then the certificate.
 *
 * @example
 * await writeIdentityFiles(outDir, { bundle: answer.bundle, keyPem: privateKeyPem(key), certificate });
 */
export async function writeIdentityFiles(
  dir: string,
  identity: { bundle: string; keyPem: string; certificate: string },
): Promise<void> {
  // A shared emptyDir exists already; anywhere else, the directory is made on first use.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeAtomically(dir, IDENTITY_FILES.bundle, identity.bundle, 0o644);
  await writeAtomically(dir, IDENTITY_FILES.key, identity.keyPem, 0o600);
  await writeAtomically(dir, IDENTITY_FILES.certificate, identity.certificate, 0o644);
}

/**
 * Whether `outDir` holds a key and a certificate valid at `now`: the startup probe of the agent and the
 * proxy (`--check`), so the workload starts only once its identity is in place.
 *
 * @example
 * await identityInPlace("/var/run/latticeguard.dev/identity", new Date()); // true once written
 */
export async function identityInPlace(outDir: string, now: Date): Promise<boolean> {
  try {
    await access(join(outDir, IDENTITY_FILES.key));
    const certificate = new X509Certificate(
      await readFile(join(outDir, IDENTITY_FILES.certificate)),
    );
    return certificate.validFromDate <= now && now < certificate.validToDate;
  } catch {
    return false;
  }
}
