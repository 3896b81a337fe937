package minioserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// MinIO's health endpoints: the process answers HTTP (live); its object
// layer is up, so S3 requests no longer get 503 XMinioServerNotInitialized
// (cluster).
const (
	HealthPath        = "/minio/health/live"
	ClusterHealthPath = "/minio/health/cluster"
)

// WaitReady polls http://address/minio/health/live, then
// /minio/health/cluster, until both answer 200 or ctx is done. exited, when
// not nil, aborts the wait as soon as it is closed (the process died).
func WaitReady(ctx context.Context, address string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	paths := []string{HealthPath, ClusterHealthPath}
	delay := 20 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+address+paths[0], nil)
		if err != nil {
			return fmt.Errorf("blob: minio health: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if paths = paths[1:]; len(paths) == 0 {
					return nil
				}
				continue
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("blob: minio at %s not ready: %w", address, ctx.Err())
		case <-exited:
			return fmt.Errorf("blob: minio at %s exited before it was ready", address)
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// IsLocalAddress reports whether host:port names this machine: localhost, a
// loopback address, an unspecified address, or an address of one of this
// machine's network interfaces (host names are resolved).
func IsLocalAddress(ctx context.Context, address string) (bool, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false, fmt.Errorf("blob: minio address %q: %w", address, err)
	}
	if host == "" || host == "localhost" {
		return true, nil
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return false, fmt.Errorf("blob: minio address %q: %w", address, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, fmt.Errorf("blob: list interface addresses: %w", err)
	}
	for _, ip := range ips {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true, nil
		}
		for _, a := range ifAddrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return true, nil
			}
		}
	}
	return false, nil
}

// ListenAddress returns the address the local MinIO listens on: the host of
// main_server_minio_address (so that workers on other machines reach it) with
// local_minio_port. A host name that is not an IP literal becomes 0.0.0.0.
func ListenAddress(mainServerMinioAddress string, localPort int) (string, error) {
	host, _, err := net.SplitHostPort(mainServerMinioAddress)
	if err != nil {
		return "", fmt.Errorf("blob: main_server_minio_address %q: %w", mainServerMinioAddress, err)
	}
	if localPort <= 0 || localPort > 65535 {
		return "", fmt.Errorf("blob: local_minio_port %d out of range", localPort)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	} else if net.ParseIP(host) == nil {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, fmt.Sprint(localPort)), nil
}

// Wanted reports whether a main server must run MinIO itself: worker_mode is
// "multinode", local_minio_port is not 0 and main_server_minio_address names
// this machine.
func Wanted(ctx context.Context, workerMode, mainServerMinioAddress string, localMinioPort int) (bool, error) {
	if workerMode != "multinode" || localMinioPort == 0 {
		return false, nil
	}
	return IsLocalAddress(ctx, mainServerMinioAddress)
}
