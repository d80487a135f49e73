// The run panel's starting events, one per trigger kind: the shape each
// kind hands a script as ctx.event (docs in DESIGN.md §2).

/** @param {string} kind */
export function sampleEvent(kind) {
	const now = new Date().toISOString();
	const id = '01890000-0000-7000-8000-000000000001';
	switch (kind) {
		case 'http':
			return { kind, http: { method: 'GET', path: '/', params: {}, query: { name: 'Ada' }, headers: { accept: '*/*' }, body: '' } };
		case 'cron':
			return { kind, cron: { schedule: '*/5 * * * *', fired_at: now }, attempt: 1 };
		case 'pubsub':
			return { kind, pubsub: { topic: 'orders.created', message: { order_id: 42 }, message_id: id, published_at: now }, attempt: 1 };
		case 'queue':
			return { kind, queue: { queue: 'emails', payload: { to: 'ada@example.com' }, message_id: id }, attempt: 1 };
		case 'kv':
			return { kind, kv: { key: 'users:42', op: 'set', value: { name: 'Ada' } }, attempt: 1 };
		case 'deadletter':
			return {
				kind,
				deadletter: { event: { kind: 'pubsub', pubsub: { topic: 'orders.created', message: { order_id: 42 } } }, error: 'script error: boom', attempts: 10 },
				attempt: 1
			};
		default:
			return { kind: 'manual' };
	}
}

export const eventKinds = ['http', 'cron', 'pubsub', 'queue', 'kv', 'deadletter', 'manual'];
