// A single-page app: every page renders in the browser, from the API.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
