// The signed-in token: its secret lives in sessionStorage (gone when the tab
// closes), what it may do comes from GET /api/v1/whoami.

const KEY = 'picloud.token';

/** @typedef {{token_id: number, name: string, scopes: string[], app: string|null, expires_at: string|null}} Whoami */

class Session {
	/** @type {string} */
	token = $state('');
	/** @type {Whoami|null} */
	who = $state(null);
	/** Why the last session ended, shown on the sign-in page. */
	reason = $state('');

	constructor() {
		if (typeof sessionStorage !== 'undefined') this.token = sessionStorage.getItem(KEY) || '';
	}

	/** @param {string} token @param {Whoami} who */
	signIn(token, who) {
		this.token = token;
		this.who = who;
		this.reason = '';
		sessionStorage.setItem(KEY, token);
	}

	/** @param {string} [reason] */
	signOut(reason = '') {
		this.token = '';
		this.who = null;
		this.reason = reason;
		sessionStorage.removeItem(KEY);
	}

	/**
	 * Whether the token has scope, by the server's rule (auth.Principal.Has):
	 * admin has every scope, and x:write implies x:read.
	 * @param {string} scope
	 */
	can(scope) {
		const have = this.who?.scopes ?? [];
		return have.some(
			(s) => s === scope || s === 'admin' || (scope.endsWith(':read') && s === scope.replace(/:read$/, ':write'))
		);
	}
}

export const session = new Session();
