package egress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPolicy is the test-only policy: loopback allowed so that requests reach
// an httptest server, and nothing else leaves the machine.
func testPolicy() Policy { return Policy{AllowLoopback: true} }

func TestCheckAddrDenied(t *testing.T) {
	for _, a := range []string{
		"127.0.0.1", "127.1.2.3", "::1",
		"10.0.0.1", "10.255.255.255",
		"172.16.0.1", "172.31.255.255",
		"192.168.0.1", "192.168.255.255",
		"100.64.0.1", "100.127.255.255",
		"169.254.169.254", "169.254.0.1", "fe80::1",
		"fd00::1", "fc00::1",
		"0.0.0.0", "0.1.2.3", "::",
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2",
		"255.255.255.255", "240.0.0.1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.1.1", "::ffff:0.0.0.0",
		"64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
	} {
		err := Policy{}.CheckAddr(netip.MustParseAddr(a))
		if KindOf(err) != KindBlocked {
			t.Errorf("%s: err = %v, want blocked", a, err)
		}
	}
}

func TestCheckAddrAllowed(t *testing.T) {
	for _, a := range []string{"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"} {
		if err := (Policy{}).CheckAddr(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
}

func TestAllowPrivate(t *testing.T) {
	p := Policy{AllowPrivate: true}
	for _, a := range []string{"10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd00::1", "::ffff:10.1.1.1"} {
		if err := p.CheckAddr(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s with AllowPrivate: %v", a, err)
		}
	}
	// The opt-in does not open loopback, link-local or the metadata service.
	for _, a := range []string{"127.0.0.1", "::1", "169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1"} {
		if KindOf(p.CheckAddr(netip.MustParseAddr(a))) != KindBlocked {
			t.Errorf("%s with AllowPrivate: not blocked", a)
		}
	}
}

func TestAllowlist(t *testing.T) {
	p := Policy{Allowlist: []string{"api.example.com", "*.stripe.com", "203.0.113.7"}}
	for host, want := range map[string]bool{
		"api.example.com":   true,
		"API.Example.COM.":  true,
		"example.com":       false,
		"x.api.example.com": false,
		"a.stripe.com":      true,
		"a.b.stripe.com":    true,
		"stripe.com":        false,
		"evilstripe.com":    false,
		"stripe.com.evil":   false,
		"203.0.113.7":       true,
		"203.0.113.8":       false,
		"":                  false,
	} {
		if got := p.HostAllowed(host); got != want {
			t.Errorf("HostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
	if !(Policy{}).HostAllowed("anything.example") {
		t.Error("an empty allowlist refuses a host")
	}
	for _, bad := range []string{"", "*.", "a/b", "x:80"} {
		if ValidatePattern(bad) == nil {
			t.Errorf("ValidatePattern(%q) accepted", bad)
		}
	}
	for _, good := range []string{"api.example.com", "*.example.com", "10.0.0.1", "::1"} {
		if err := ValidatePattern(good); err != nil {
			t.Errorf("ValidatePattern(%q): %v", good, err)
		}
	}
}

// fakeResolver answers every name from a table; it never queries DNS.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestDoDeniedURLs(t *testing.T) {
	// Requests to refused literals fail before any dial; names resolve
	// through the fake resolver to refused addresses and fail in the dial.
	// No traffic leaves the process.
	p := Policy{Resolver: fakeResolver{
		"internal.example": {"10.0.0.5"},
		"meta.example":     {"169.254.169.254"},
		"local.example":    {"127.0.0.1"},
		"mixed.example":    {"::1", "127.0.0.2"},
	}}
	for _, u := range []string{
		"http://127.0.0.1/", "http://[::1]/", "http://10.1.2.3/", "http://172.16.0.1/",
		"http://192.168.0.1/", "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/",
		"http://[fd00::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
		"http://internal.example/", "http://meta.example/", "http://local.example:8080/", "http://mixed.example/",
		"file:///etc/passwd", "gopher://x/",
	} {
		c := p.NewClient(time.Time{})
		_, err := c.Do(context.Background(), Request{URL: u})
		c.Close()
		if KindOf(err) != KindBlocked {
			t.Errorf("%s: err = %v, want blocked", u, err)
		}
	}
}

func TestDoDNSFailure(t *testing.T) {
	c := Policy{Resolver: fakeResolver{}}.NewClient(time.Time{})
	defer c.Close()
	_, err := c.Do(context.Background(), Request{URL: "http://nowhere.invalid/"})
	if KindOf(err) != KindDNS {
		t.Fatalf("err = %v, want dns", err)
	}
}

func TestDoRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := testPolicy().NewClient(time.Time{})
	defer c.Close()
	_, err = c.Do(context.Background(), Request{URL: "http://" + addr + "/"})
	if KindOf(err) != KindRefused {
		t.Fatalf("err = %v, want refused", err)
	}
}

func TestDoGetAndRecords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q,"h":%q}`, r.Method, r.Header.Get("X-Test"))
	}))
	defer srv.Close()
	c := testPolicy().NewClient(time.Now().Add(5 * time.Second))
	defer c.Close()
	resp, err := c.Do(context.Background(), Request{Method: "post", URL: srv.URL, Header: http.Header{"X-Test": {"v"}}, Body: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != `{"method":"POST","h":"v"}` {
		t.Fatalf("resp = %d %s", resp.Status, resp.Body)
	}
	recs := c.Records()
	if len(recs) != 1 || recs[0].Method != "POST" || recs[0].Host != "127.0.0.1" || recs[0].Status != 200 || recs[0].Bytes != int64(len(resp.Body)) {
		t.Fatalf("records = %+v", recs)
	}
}

func TestDoHostnameToPrivateRefused(t *testing.T) {
	// A name resolving to a private address is refused in the dial even
	// though the allowlist admits it.
	p := Policy{Allowlist: []string{"api.example.com"}, Resolver: fakeResolver{"api.example.com": {"192.168.1.10"}}}
	c := p.NewClient(time.Time{})
	defer c.Close()
	_, err := c.Do(context.Background(), Request{URL: "https://api.example.com/x"})
	if KindOf(err) != KindBlocked || !strings.Contains(err.Error(), "private") {
		t.Fatalf("err = %v, want blocked (private)", err)
	}
}

func TestAllowlistRefusesOtherHosts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := testPolicy()
	p.Allowlist = []string{"api.example.com"}
	c := p.NewClient(time.Time{})
	defer c.Close()
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if KindOf(err) != KindBlocked || !strings.Contains(err.Error(), "allowlist") {
		t.Fatalf("err = %v, want blocked (allowlist)", err)
	}
	// Through the allowlist by name: the fake resolver maps it to loopback.
	p.Resolver = fakeResolver{"api.example.com": {"127.0.0.1"}}
	c2 := p.NewClient(time.Time{})
	defer c2.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if _, err := c2.Do(context.Background(), Request{URL: "http://api.example.com:" + port + "/"}); err != nil {
		t.Fatal(err)
	}
}

func TestRedirectToPrivateRefused(t *testing.T) {
	// allowed.example (loopback, allowed by the test policy) redirects to a
	// private address, to the metadata service and to a name resolving to a
	// private address: each hop is refused.
	for _, target := range []string{"http://10.0.0.1/", "http://169.254.169.254/latest/", "http://internal.example/", "http://[::ffff:192.168.0.1]/"} {
		srv := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
		p := testPolicy()
		p.Resolver = fakeResolver{"internal.example": {"192.168.0.7"}}
		c := p.NewClient(time.Time{})
		_, err := c.Do(context.Background(), Request{URL: srv.URL})
		c.Close()
		srv.Close()
		if KindOf(err) != KindBlocked {
			t.Errorf("redirect to %s: err = %v, want blocked", target, err)
		}
	}
}

func TestRedirectOffAllowlistRefused(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://elsewhere.example/", http.StatusFound))
	defer srv.Close()
	p := testPolicy()
	p.Allowlist = []string{"127.0.0.1"}
	p.Resolver = fakeResolver{"elsewhere.example": {"127.0.0.1"}}
	c := p.NewClient(time.Time{})
	defer c.Close()
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if KindOf(err) != KindBlocked || !strings.Contains(err.Error(), "allowlist") {
		t.Fatalf("err = %v, want blocked (allowlist)", err)
	}
}

func TestRedirectLimit(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/again", http.StatusFound)
	}))
	defer srv.Close()
	p := testPolicy()
	p.MaxRedirects = 2
	p.MaxRequests = 100
	c := p.NewClient(time.Time{})
	defer c.Close()
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if KindOf(err) != KindTooManyRequests || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("err = %v, want too_many_requests (redirects)", err)
	}
	// A followed redirect lands: two hops within the limit.
	hops := 0
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hops < 2 {
			hops++
			http.Redirect(w, r, "/next", http.StatusFound)
			return
		}
		fmt.Fprint(w, "done")
	}))
	defer srv2.Close()
	c2 := p.NewClient(time.Time{})
	defer c2.Close()
	resp, err := c2.Do(context.Background(), Request{URL: srv2.URL})
	if err != nil || string(resp.Body) != "done" {
		t.Fatalf("resp = %v, err = %v", resp, err)
	}
}

func TestMaxRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := testPolicy()
	p.MaxRequests = 3
	c := p.NewClient(time.Time{})
	defer c.Close()
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if KindOf(err) != KindTooManyRequests {
		t.Fatalf("err = %v, want too_many_requests", err)
	}
	if n := len(c.Records()); n != 4 {
		t.Fatalf("%d records, want 4 (the refused one too)", n)
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	// The request's own timeout.
	c := testPolicy().NewClient(time.Time{})
	defer c.Close()
	start := time.Now()
	_, err := c.Do(context.Background(), Request{URL: srv.URL, Timeout: 50 * time.Millisecond})
	if KindOf(err) != KindTimeout {
		t.Fatalf("err = %v, want timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}

	// The invocation's remaining wall time bounds a longer request timeout.
	c2 := testPolicy().NewClient(time.Now().Add(80 * time.Millisecond))
	defer c2.Close()
	start = time.Now()
	_, err = c2.Do(context.Background(), Request{URL: srv.URL, Timeout: time.Minute})
	if KindOf(err) != KindTimeout {
		t.Fatalf("err = %v, want timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v, the deadline did not bound it", d)
	}
	// Past the deadline nothing is sent.
	_, err = c2.Do(context.Background(), Request{URL: srv.URL})
	if KindOf(err) != KindTimeout {
		t.Fatalf("err = %v, want timeout", err)
	}
}

func TestSizeCaps(t *testing.T) {
	big := strings.Repeat("x", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		fmt.Fprint(w, big)
	}))
	defer srv.Close()
	p := testPolicy()
	p.MaxResponseBytes = 1000
	p.MaxRequestBytes = 10
	c := p.NewClient(time.Time{})
	defer c.Close()
	for _, u := range []string{srv.URL, srv.URL + "?chunked=1"} {
		_, err := c.Do(context.Background(), Request{URL: u})
		if KindOf(err) != KindTooLarge {
			t.Errorf("%s: err = %v, want too_large", u, err)
		}
	}
	_, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL, Body: []byte(strings.Repeat("y", 11))})
	if KindOf(err) != KindTooLarge {
		t.Errorf("request body: err = %v, want too_large", err)
	}
	p.MaxResponseBytes = 5000
	c2 := p.NewClient(time.Time{})
	defer c2.Close()
	resp, err := c2.Do(context.Background(), Request{URL: srv.URL + "?chunked=1"})
	if err != nil || len(resp.Body) != 5000 {
		t.Fatalf("exactly at the cap: %v", err)
	}
}

func TestForApp(t *testing.T) {
	server := Policy{MaxRequests: 5, AllowLoopback: true}
	p := server.ForApp([]string{"a.example"}, true, 3)
	if p.MaxRequests != 3 || !p.AllowPrivate || p.Allowlist[0] != "a.example" || !p.AllowLoopback {
		t.Fatalf("ForApp = %+v", p)
	}
	if p := server.ForApp(nil, false, 50); p.MaxRequests != 5 {
		t.Fatalf("the app's cap over the server's: %d", p.MaxRequests)
	}
	if p := (Policy{}).ForApp(nil, false, 0); p.MaxRequests != DefaultMaxRequests {
		t.Fatalf("defaults: %d", p.MaxRequests)
	}
	var none *Policy
	c := none.AppClient(nil, false, 0)
	if c != nil || c.Records() != nil {
		t.Fatal("a nil policy gives a client")
	}
	c.Close()
}

func TestSecretInjection(t *testing.T) {
	const secret = "sk_TOPSECRET"
	var mu sync.Mutex
	var seen []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host+" "+r.Header.Get("Authorization")+"|"+r.Header.Get("X-Key"))
		mu.Unlock()
		if r.URL.Path == "/hop" {
			_, port, _ := net.SplitHostPort(r.Host)
			http.Redirect(w, r, "http://other.example:"+port+"/landed", http.StatusFound)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	sec := map[string]string{"TOKEN": secret}
	p := testPolicy()
	p.Allowlist = []string{"api.example.com", "other.example"}
	p.Resolver = fakeResolver{"api.example.com": {"127.0.0.1"}, "other.example": {"127.0.0.1"}, "evil.example": {"127.0.0.1"}}
	do := func(p Policy, url string, h http.Header) error {
		c := p.NewClient(time.Time{}).WithSecrets(sec)
		defer c.Close()
		_, err := c.Do(context.Background(), Request{URL: url, Header: h})
		return err
	}
	hdr := func() http.Header {
		return http.Header{"Authorization": {"Bearer ${secret:TOKEN}"}, "X-Key": {"k=${secret:TOKEN};v=${secret:TOKEN}"}}
	}

	if err := do(p, "http://api.example.com:"+port+"/x", hdr()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := seen[len(seen)-1]
	mu.Unlock()
	if got != "api.example.com:"+port+" Bearer "+secret+"|k="+secret+";v="+secret {
		t.Fatalf("the server saw %q", got)
	}

	// Not on the allowlist, or no allowlist at all: refused before sending.
	n := len(seen)
	if err := do(p, "http://evil.example:"+port+"/", hdr()); KindOf(err) != KindBlocked || strings.Contains(err.Error(), secret) {
		t.Fatalf("off the allowlist: %v", err)
	}
	open := testPolicy()
	open.Resolver = p.Resolver
	if err := do(open, "http://evil.example:"+port+"/", hdr()); KindOf(err) != KindBlocked {
		t.Fatalf("no allowlist: %v", err)
	}
	if err := do(p, "http://api.example.com:"+port+"/", http.Header{"X": {"${secret:NOPE}"}}); KindOf(err) != KindInvalid {
		t.Fatalf("unknown secret: %v", err)
	}
	if len(seen) != n {
		t.Fatal("a refused request was sent")
	}

	// A redirect to another host, even an allowlisted one, does not carry
	// the injected headers.
	if err := do(p, "http://api.example.com:"+port+"/hop", hdr()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	if last != "other.example:"+port+" |" {
		t.Fatalf("the redirect's target saw %q", last)
	}
}
