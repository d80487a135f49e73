// Runs the real picloud binary (with its own PostgreSQL cluster in a fresh
// data directory, on free ports) and headless Chromium for the end-to-end
// tests.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, chmod, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const dashboardDir = resolve(here, '../..');
export const repoDir = resolve(dashboardDir, '..');
export const resultsDir = join(dashboardDir, 'test-results');

/** A free TCP port on the loopback interface. */
export function freePort() {
	return new Promise((ok, fail) => {
		const s = createServer();
		s.on('error', fail);
		s.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
			s.close(() => ok(port));
		});
	});
}

/**
 * Starts `picloud serve` on free ports with a private data directory and
 * an admin token, and waits until it is ready.
 */
export async function startPicloud() {
	const bin = process.env.PICLOUD_BIN || join(repoDir, 'bin/picloud');
	if (!existsSync(bin)) throw new Error(`${bin} does not exist: run make build (or set PICLOUD_BIN)`);
	// Under /tmp, world-traversable: as root the cluster runs as the
	// postgres user, who must be able to enter it.
	const data = await mkdtemp(join(tmpdir(), 'picloud-e2e-'));
	await chmod(data, 0o755);
	const [adminPort, publicPort] = [await freePort(), await freePort()];
	const token = `e2e-admin-${randomBytes(18).toString('hex')}`;
	const admin = `http://127.0.0.1:${adminPort}`;
	const pub = `http://127.0.0.1:${publicPort}`;
	const logPath = join(resultsDir, 'picloud.log');
	await mkdir(resultsDir, { recursive: true });
	const { createWriteStream } = await import('node:fs');
	const log = createWriteStream(logPath);
	const proc = spawn(bin, ['serve', '--data', data, '--addr', `127.0.0.1:${adminPort}`, '--public-addr', `127.0.0.1:${publicPort}`, '--public-url', pub], {
		env: { ...process.env, PICLOUD_ADMIN_TOKEN: token, PICLOUD_LOG_LEVEL: 'info' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	proc.stdout.pipe(log);
	proc.stderr.pipe(log);
	let exited = false;
	proc.on('exit', () => (exited = true));

	const deadline = Date.now() + 180_000;
	for (;;) {
		if (exited) throw new Error(`picloud serve exited during start; its log:\n${await readFile(logPath, 'utf8')}`);
		try {
			const r = await fetch(`${admin}/readyz`);
			if (r.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) throw new Error(`picloud serve not ready in 180 s; its log:\n${await readFile(logPath, 'utf8')}`);
		await new Promise((r) => setTimeout(r, 250));
	}

	return {
		admin,
		pub,
		token,
		/**
		 * Calls the admin API as the admin.
		 * @param {string} method @param {string} path @param {any} [body]
		 */
		async api(method, path, body) {
			const r = await fetch(`${admin}/api/v1${path}`, {
				method,
				headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
				body: body ? JSON.stringify(body) : undefined
			});
			const text = await r.text();
			return { status: r.status, body: text ? JSON.parse(text) : null };
		},
		async stop() {
			if (!exited) {
				const done = new Promise((r) => proc.once('exit', r));
				proc.kill('SIGTERM');
				const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
				await done;
				clearTimeout(timer);
			}
			await new Promise((r) => log.end(r));
			await rm(data, { recursive: true, force: true });
		}
	};
}

/** Launches headless Chromium (Debian's) with a fresh profile. */
export async function startBrowser() {
	const profile = await mkdtemp(join(tmpdir(), 'picloud-e2e-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: [
			'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'
		],
		viewport: { width: 1360, height: 860 },
		deviceScaleFactor: 1
	});
	context.setDefaultTimeout(30_000);
	context.setDefaultNavigationTimeout(60_000);
	return {
		context,
		async stop() {
			await context.close();
			await rm(profile, { recursive: true, force: true });
		}
	};
}

/** Saves a full-page screenshot as test-results/<name>.png. @param {import('playwright-core').Page} page @param {string} name */
export async function shot(page, name) {
	await page.screenshot({ path: join(resultsDir, `${name}.png`), fullPage: true });
}
