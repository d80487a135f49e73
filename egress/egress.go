// Package egress is the policy for outbound HTTP from scripts: an http.Client
// per invocation that refuses loopback, private, link-local, multicast and
// unspecified addresses by default, checks every redirect hop, bounds each
// request by the invocation's remaining wall time and caps the number of
// requests and the bytes read.
//
// The address check happens in the dialer: the host is resolved once and the
// connection goes to an address that passed the check, so a DNS answer that
// changes between check and connect (DNS rebinding) cannot reach a refused
// address. Redirects are re-checked twice: CheckRedirect applies the scheme
// and allowlist rules and the redirect limit, and the dial of the next hop
// applies the address rules again.
//
// The transport ignores the process's proxy environment (HTTP_PROXY and the
// like): a proxy would dial on the script's behalf where no check applies.
package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Kind classifies an outbound request's failure. Scripts see it as the first
// word of the error message.
type Kind string

// Failure kinds.
const (
	// KindBlocked: the policy refuses the destination (address class, host not
	// on the allowlist, scheme, a secret for a host off the allowlist).
	KindBlocked Kind = "blocked"
	// KindDNS: the host name does not resolve.
	KindDNS Kind = "dns"
	// KindRefused: the connection failed (refused, reset, TLS handshake).
	KindRefused Kind = "refused"
	// KindTimeout: the request ran past its timeout or the invocation's
	// remaining wall time.
	KindTimeout Kind = "timeout"
	// KindTooLarge: the response (or request) body is over its cap.
	KindTooLarge Kind = "too_large"
	// KindTooManyRequests: the invocation made its maximum number of requests,
	// or a request followed too many redirects.
	KindTooManyRequests Kind = "too_many_requests"
	// KindInvalid: the request itself is malformed (bad URL, method, header).
	KindInvalid Kind = "invalid"
)

// Error is an outbound request's failure.
type Error struct {
	Kind   Kind
	Detail string
	Err    error
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Kind)
	}
	return string(e.Kind) + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err, or "" when err is not an egress failure.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Resolver looks up a host's addresses; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Defaults for a zero Policy field.
const (
	DefaultMaxRedirects     = 5
	DefaultMaxRequests      = 10
	DefaultMaxResponseBytes = 1 << 20
	DefaultMaxRequestBytes  = 1 << 20
	DefaultTimeout          = 10 * time.Second
)

// Policy is what an app may reach. The zero Policy refuses non-public
// addresses, allows any public host and uses the defaults above.
type Policy struct {
	// Allowlist, when not empty, limits requests to these hosts: exact names
	// ("api.example.com", or an IP literal) or "*.example.com", which matches
	// any subdomain of example.com but not example.com itself. Matching
	// ignores case and a trailing dot.
	Allowlist []string
	// AllowPrivate is the app's opt-in to private addresses: RFC 1918,
	// CGNAT (100.64.0.0/10) and IPv6 ULA (fc00::/7). Loopback, link-local
	// (including the 169.254.169.254 metadata service), multicast and
	// unspecified addresses stay refused.
	AllowPrivate bool
	// AllowLoopback admits 127.0.0.0/8 and ::1. For tests against an
	// httptest server only; never set from an app's settings.
	AllowLoopback bool

	MaxRedirects     int           // per request; negative: none followed
	MaxRequests      int           // per invocation, redirect hops included
	MaxResponseBytes int64         // body bytes read per response
	MaxRequestBytes  int64         // body bytes sent per request
	Timeout          time.Duration // per request, before the wall-time bound

	// Resolver replaces net.DefaultResolver (tests inject one).
	Resolver Resolver
}

func (p Policy) maxRedirects() int {
	switch {
	case p.MaxRedirects < 0:
		return 0
	case p.MaxRedirects == 0:
		return DefaultMaxRedirects
	}
	return p.MaxRedirects
}

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")
	reserved = netip.MustParsePrefix("240.0.0.0/4") // includes 255.255.255.255
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
)

// CheckAddr reports why the policy refuses addr, or nil. IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d) and NAT64 addresses (64:ff9b::a.b.c.d) are
// checked as the IPv4 address they carry.
func (p Policy) CheckAddr(addr netip.Addr) error {
	addr = addr.Unmap()
	if addr.Is6() && nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	addr = addr.WithZone("")
	switch {
	case !addr.IsValid():
		return errorf(KindBlocked, "invalid address")
	case addr.IsUnspecified() || thisNet.Contains(addr):
		return errorf(KindBlocked, "%s is an unspecified address", addr)
	case addr.IsLoopback():
		if p.AllowLoopback {
			return nil
		}
		return errorf(KindBlocked, "%s is a loopback address", addr)
	case addr.IsLinkLocalUnicast():
		return errorf(KindBlocked, "%s is a link-local address", addr)
	case addr.IsMulticast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast():
		return errorf(KindBlocked, "%s is a multicast address", addr)
	case reserved.Contains(addr):
		return errorf(KindBlocked, "%s is a reserved address", addr)
	case addr.IsPrivate() || cgnat.Contains(addr):
		if p.AllowPrivate {
			return nil
		}
		return errorf(KindBlocked, "%s is a private address", addr)
	}
	return nil
}

// HostAllowed reports whether host (a name or IP literal, without port) is on
// the allowlist; an empty allowlist allows every host.
func (p Policy) HostAllowed(host string) bool {
	if len(p.Allowlist) == 0 {
		return true
	}
	return OnList(p.Allowlist, host)
}

// OnList reports whether host matches one of the patterns of list (exact or
// "*.suffix").
func OnList(list []string, host string) bool {
	host = normHost(host)
	if host == "" {
		return false
	}
	for _, pat := range list {
		pat = normHost(pat)
		if suffix, ok := strings.CutPrefix(pat, "*."); ok {
			if suffix != "" && strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if pat != "" && pat == host {
			return true
		}
	}
	return false
}

func normHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

// ValidatePattern reports whether pat is a usable allowlist entry.
func ValidatePattern(pat string) error {
	h := normHost(pat)
	h = strings.TrimPrefix(h, "*.")
	if h == "" || strings.ContainsAny(h, "*/:@ ?#") && !isIP(h) {
		return fmt.Errorf("egress: %q is not a host name or *.suffix pattern", pat)
	}
	return nil
}

func isIP(h string) bool { _, err := netip.ParseAddr(h); return err == nil }

// checkURL applies the scheme and allowlist rules to u.
func (p Policy) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return errorf(KindBlocked, "scheme %q is not http or https", u.Scheme)
	}
	if u.User != nil {
		return errorf(KindInvalid, "credentials in the URL are not allowed; use a header")
	}
	host := u.Hostname()
	if host == "" {
		return errorf(KindInvalid, "the URL has no host")
	}
	if !p.HostAllowed(host) {
		return errorf(KindBlocked, "%s is not on the app's allowlist", host)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := p.CheckAddr(a); err != nil {
			return err
		}
	}
	return nil
}

// Record is one outbound request, as kept with the invocation.
type Record struct {
	Method     string `json:"method"`
	Host       string `json:"host"`
	Status     int    `json:"status,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	Bytes      int64  `json:"bytes"`
	Error      string `json:"error,omitempty"` // the Kind, when it failed
}

// Client is one invocation's outbound HTTP. It is safe for concurrent use.
type Client struct {
	policy   Policy
	deadline time.Time // zero: none
	hc       *http.Client
	tr       *http.Transport

	secrets map[string]string // for ${secret:NAME} in header values

	mu      sync.Mutex
	count   int
	records []Record
}

// WithSecrets lets requests name the app's secrets in header values as
// ${secret:NAME}: the client substitutes them when it sends, so the script
// never holds them. Only requests to a host on the app's (non-empty)
// allowlist may; for any other the request is refused, kind blocked. It
// returns c (nil stays nil).
func (c *Client) WithSecrets(secrets map[string]string) *Client {
	if c != nil {
		c.secrets = secrets
	}
	return c
}

const secretRef = "${secret:"

// inject substitutes the ${secret:NAME} references of h's values for host,
// and returns the names of the headers that now hold a secret.
func (c *Client) inject(h http.Header, host string) ([]string, *Error) {
	var injected []string
	for name, vs := range h {
		for i, v := range vs {
			if !strings.Contains(v, secretRef) {
				continue
			}
			if len(c.policy.Allowlist) == 0 || !OnList(c.policy.Allowlist, host) {
				return nil, errorf(KindBlocked, "secrets are injected only into requests to hosts on the app's allowlist, and %s is not on it", host)
			}
			var b strings.Builder
			rest := v
			for {
				at := strings.Index(rest, secretRef)
				if at < 0 {
					b.WriteString(rest)
					break
				}
				b.WriteString(rest[:at])
				end := strings.IndexByte(rest[at:], '}')
				if end < 0 {
					return nil, errorf(KindInvalid, "header %s: an unterminated ${secret:…} reference", name)
				}
				ref := rest[at+len(secretRef) : at+end]
				val, ok := c.secrets[ref]
				if !ok {
					return nil, errorf(KindInvalid, "header %s: the app has no secret %q", name, ref)
				}
				b.WriteString(val)
				rest = rest[at+end+1:]
			}
			vs[i] = b.String()
			injected = append(injected, name)
		}
	}
	return injected, nil
}

type injectedKey struct{}

// NewClient returns a client under p for an invocation that must finish by
// deadline (zero: no bound besides the policy's timeout). Close it when the
// invocation ends.
func (p Policy) NewClient(deadline time.Time) *Client {
	c := &Client{policy: p, deadline: deadline}
	c.tr = &http.Transport{
		Proxy:                  nil,
		DialContext:            c.dial,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           4,
		IdleConnTimeout:        30 * time.Second,
		ResponseHeaderTimeout:  0,
		DisableCompression:     false,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.hc = &http.Client{Transport: c.tr, CheckRedirect: c.checkRedirect}
	return c
}

// Close releases the client's idle connections. A nil Client is a no-op.
func (c *Client) Close() {
	if c != nil {
		c.tr.CloseIdleConnections()
	}
}

// Records returns the requests made so far, one per Do with its final host
// and status (a redirect hop counts against MaxRequests but has no record; nil
// for a nil Client).
func (c *Client) Records() []Record {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Record(nil), c.records...)
}

// take counts one request against MaxRequests.
func (c *Client) take() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if max := orDefault(c.policy.MaxRequests, DefaultMaxRequests); c.count >= max {
		return errorf(KindTooManyRequests, "the invocation made its %d outbound requests", max)
	}
	c.count++
	return nil
}

func (c *Client) record(r Record) {
	c.mu.Lock()
	c.records = append(c.records, r)
	c.mu.Unlock()
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.policy.maxRedirects() {
		return errorf(KindTooManyRequests, "stopped after %d redirects", c.policy.maxRedirects())
	}
	if err := c.policy.checkURL(req.URL); err != nil {
		return err
	}
	// A redirect to another host must not carry the script's (or an
	// injected secret's) Authorization and Cookie headers; net/http drops
	// them for a different domain already, this also covers subdomains.
	if req.URL.Hostname() != via[len(via)-1].URL.Hostname() {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
		req.Header.Del("Proxy-Authorization")
		// Injected secrets go only to the host the script named.
		injected, _ := req.Context().Value(injectedKey{}).([]string)
		for _, h := range injected {
			req.Header.Del(h)
		}
	}
	return c.take()
}

func (c *Client) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, errorf(KindInvalid, "bad address %q", address)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		var r Resolver = net.DefaultResolver
		if c.policy.Resolver != nil {
			r = c.policy.Resolver
		}
		addrs, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &Error{Kind: KindTimeout, Detail: "resolving " + host, Err: ctx.Err()}
			}
			return nil, &Error{Kind: KindDNS, Detail: host + " does not resolve", Err: err}
		}
		if len(addrs) == 0 {
			return nil, errorf(KindDNS, "%s has no addresses", host)
		}
	}
	var blocked error
	var lastErr error
	d := net.Dialer{Timeout: 10 * time.Second}
	for _, a := range addrs {
		if err := c.policy.CheckAddr(a); err != nil {
			if blocked == nil {
				blocked = err
			}
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	if host != "" && blocked != nil {
		if _, err := netip.ParseAddr(host); err != nil {
			return nil, &Error{Kind: KindBlocked, Detail: host + " resolves to a refused address (" + strings.TrimPrefix(blocked.Error(), "blocked: ") + ")", Err: blocked}
		}
	}
	return nil, blocked
}

// Request is one outbound request.
type Request struct {
	Method  string
	URL     string
	Header  http.Header
	Body    []byte
	Timeout time.Duration // zero: the policy's; never past the deadline
}

// Response is a completed request, its body read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req under the policy, follows redirects and reads the body. Its
// error is always an *Error.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	rec := Record{Method: method}
	fail := func(err *Error) (*Response, error) {
		rec.Error = string(err.Kind)
		rec.DurationMS = time.Since(start).Milliseconds()
		c.record(rec)
		return nil, err
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return fail(errorf(KindInvalid, "bad URL: %v", err))
	}
	rec.Host = u.Hostname()
	if err := c.policy.checkURL(u); err != nil {
		return fail(err.(*Error))
	}
	if max := orDefault(c.policy.MaxRequestBytes, DefaultMaxRequestBytes); int64(len(req.Body)) > max {
		return fail(errorf(KindTooLarge, "the request body is over %d bytes", max))
	}
	if err := c.take(); err != nil {
		return fail(err.(*Error))
	}

	timeout := orDefault(c.policy.Timeout, DefaultTimeout)
	if req.Timeout > 0 && req.Timeout < timeout {
		timeout = req.Timeout
	}
	if !c.deadline.IsZero() {
		left := time.Until(c.deadline)
		if left <= 0 {
			return fail(errorf(KindTimeout, "the invocation has no time left"))
		}
		if left < timeout {
			timeout = left
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var body io.Reader
	if req.Body != nil {
		body = strings.NewReader(string(req.Body))
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fail(errorf(KindInvalid, "%v", err))
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "picloud")
	}
	injected, ierr := c.inject(hr.Header, u.Hostname())
	if ierr != nil {
		return fail(ierr)
	}
	if len(injected) > 0 {
		hr = hr.WithContext(context.WithValue(hr.Context(), injectedKey{}, injected))
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return fail(classify(ctx, err, timeout))
	}
	defer resp.Body.Close()
	rec.Status = resp.StatusCode
	rec.Host = resp.Request.URL.Hostname()
	max := orDefault(c.policy.MaxResponseBytes, DefaultMaxResponseBytes)
	if resp.ContentLength > max {
		return fail(errorf(KindTooLarge, "the response body is %d bytes, over %d", resp.ContentLength, max))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	rec.Bytes = int64(len(data))
	if err != nil {
		return fail(classify(ctx, err, timeout))
	}
	if int64(len(data)) > max {
		rec.Bytes = max
		return fail(errorf(KindTooLarge, "the response body is over %d bytes", max))
	}
	rec.DurationMS = time.Since(start).Milliseconds()
	c.record(rec)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// classify turns a transport error into an *Error.
func classify(ctx context.Context, err error, timeout time.Duration) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Detail: "no response within " + timeout.Round(time.Millisecond).String(), Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: KindTimeout, Detail: "no response within " + timeout.Round(time.Millisecond).String(), Err: err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &Error{Kind: KindDNS, Detail: dnsErr.Name + " does not resolve", Err: err}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &Error{Kind: KindRefused, Detail: "connection refused", Err: err}
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	return &Error{Kind: KindRefused, Detail: msg, Err: err}
}

// ForApp returns the policy of one app under the server's policy p: the
// app's allowlist and private opt-in, and its request cap when it is lower
// than p's (0: p's). Loopback stays as p has it.
func (p Policy) ForApp(allowlist []string, allowPrivate bool, maxRequests int) Policy {
	p.Allowlist = allowlist
	p.AllowPrivate = allowPrivate
	if server := orDefault(p.MaxRequests, DefaultMaxRequests); maxRequests <= 0 || maxRequests > server {
		p.MaxRequests = server
	} else {
		p.MaxRequests = maxRequests
	}
	return p
}

// AppClient is ForApp(...).NewClient(zero deadline) on a server policy
// that may be nil (outbound HTTP off): then it returns nil. The invocation's
// wall time bounds each request through the context the host functions
// pass.
func (p *Policy) AppClient(allowlist []string, allowPrivate bool, maxRequests int) *Client {
	if p == nil {
		return nil
	}
	return p.ForApp(allowlist, allowPrivate, maxRequests).NewClient(time.Time{})
}
