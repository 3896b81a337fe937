package server

import (
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/errcode"
)

// hostAllow decides which Host headers the server answers. A browser that
// reaches the server through a name the server does not know (DNS
// rebinding: attacker.example made to resolve to 127.0.0.1) sends that
// name, so only these are served:
//   - loopback names and addresses ("localhost", "*.localhost", 127.0.0.0/8, ::1);
//   - the host of listen_address; when it listens on every interface, any
//     address of this machine's interfaces and its host name;
//   - the host of public_url.
type hostAllow struct {
	names    map[string]bool // lower-case host names and IP literals
	anyLocal bool            // listen_address has no specific host

	mu      sync.Mutex
	ifAddrs map[string]bool // addresses of local interfaces (anyLocal)
}

func newHostAllow(cfg *config.Config) *hostAllow {
	h := &hostAllow{names: map[string]bool{"localhost": true}}
	if host, _, err := net.SplitHostPort(cfg.ListenAddress); err == nil {
		ip := net.ParseIP(host)
		switch {
		case host == "" || (ip != nil && ip.IsUnspecified()):
			h.anyLocal = true
		default:
			h.names[canonHost(host)] = true
		}
	}
	if h.anyLocal {
		if name, err := os.Hostname(); err == nil && name != "" {
			h.names[strings.ToLower(name)] = true
			short, _, _ := strings.Cut(name, ".")
			h.names[strings.ToLower(short)] = true
		}
	}
	if cfg.PublicURL != "" {
		if u, err := config.ParsePublicURL(cfg.PublicURL); err == nil {
			h.names[canonHost(u.Hostname())] = true
		}
	}
	return h
}

// canonHost lower-cases a host and writes an IP address in its canonical form.
func canonHost(host string) string {
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return host
}

// hostOf is the host part of a Host header (without port).
func hostOf(hostHeader string) string {
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		return canonHost(h)
	}
	return canonHost(hostHeader)
}

// allowed reports whether a request naming hostHeader is answered.
func (h *hostAllow) allowed(hostHeader string) bool {
	host := hostOf(hostHeader)
	if host == "" {
		return false
	}
	if h.names[host] || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	if !h.anyLocal {
		return false
	}
	return h.localAddr(ip.String())
}

// localAddr reports whether ip belongs to one of this machine's
// interfaces. The list is read again on a miss: addresses come and go.
func (h *hostAllow) localAddr(ip string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ifAddrs[ip] {
		return true
	}
	h.ifAddrs = map[string]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			h.ifAddrs[n.IP.String()] = true
		}
	}
	return h.ifAddrs[ip]
}

// checkHost refuses requests whose Host the server does not answer to,
// with 421 Misdirected Request. /healthz stays open to probes that address
// the server by any name.
func (s *Server) checkHost(next http.Handler) http.Handler {
	allow := newHostAllow(s.cfg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || allow.allowed(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		s.log.Warn("request for an unknown host refused", "host", r.Host, "remote", r.RemoteAddr)
		s.writeError(w, r, apiErr(errcode.HostNotAllowed,
			"this server does not answer to host "+quoteShort(r.Host)+": set public_url to the URL users reach it at (docs/security.md)"))
	})
}

// quoteShort shows a header value in an error, cut to a sane length.
func quoteShort(h string) string {
	if len(h) > 100 {
		h = cutUTF8(h, 100) + "..."
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, h) + `"`
}
