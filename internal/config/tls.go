package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// ServerTLS is the HTTPS configuration of tls_cert_file and tls_key_file,
// loaded from the files; nil (and no error) when the server serves plain
// HTTP.
func (c *Config) ServerTLS() (*tls.Config, error) {
	if c.TLSCertFile == "" && c.TLSKeyFile == "" {
		return nil, nil
	}
	cert, err := loadKeyPair("tls_cert_file", c.TLSCertFile, "tls_key_file", c.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// RedisTLSConfig is the client side of redis_tls: the server's certificate
// is verified against redis_tls_ca_file (the system roots when empty) and
// must name redis_ip; redis_tls_cert_file and redis_tls_key_file, when set,
// are shown to a Redis that asks for client certificates. nil when
// redis_tls is false.
func (c *Config) RedisTLSConfig() (*tls.Config, error) {
	if !c.RedisTLS {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.RedisIP}
	if c.RedisTLSCAFile != "" {
		pool, err := loadCAPool("redis_tls_ca_file", c.RedisTLSCAFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if c.RedisTLSCertFile != "" || c.RedisTLSKeyFile != "" {
		cert, err := loadKeyPair("redis_tls_cert_file", c.RedisTLSCertFile, "redis_tls_key_file", c.RedisTLSKeyFile)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// MinioRootCAs is the pool of main_server_minio_ca_file; nil (the system
// roots) when the key is empty.
func (c *Config) MinioRootCAs() (*x509.CertPool, error) {
	if c.MainServerMinioCAFile == "" {
		return nil, nil
	}
	return loadCAPool("main_server_minio_ca_file", c.MainServerMinioCAFile)
}

// CheckTLSFiles loads every certificate, key and CA file the configuration
// names, so that `drover config check` finds a bad file before a start does.
func (c *Config) CheckTLSFiles() error {
	_, e1 := c.ServerTLS()
	_, e2 := c.RedisTLSConfig()
	_, e3 := c.MinioRootCAs()
	return errors.Join(e1, e2, e3)
}

func loadCAPool(key, path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Key: key, Msg: key + ": cannot read " + path + ": " + pathErr(err), Err: err}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &Error{Key: key, Msg: key + ": " + path + " holds no PEM certificate"}
	}
	return pool, nil
}

func loadKeyPair(certKey, certFile, keyKey, keyFile string) (tls.Certificate, error) {
	for _, f := range [][2]string{{certKey, certFile}, {keyKey, keyFile}} {
		if _, err := os.Stat(f[1]); err != nil {
			return tls.Certificate{}, &Error{Key: f[0], Msg: f[0] + ": cannot read " + f[1] + ": " + pathErr(err), Err: err}
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		// The error of crypto/tls never quotes the key's bytes.
		return tls.Certificate{}, &Error{Key: certKey, Msg: fmt.Sprintf("%s %s and %s %s: %v",
			certKey, certFile, keyKey, keyFile, err), Err: err}
	}
	return cert, nil
}

func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// TLSHint explains a certificate the other side showed and this process did
// not trust, naming the key that fixes it (caKey, e.g. "redis_tls_ca_file",
// and hostKey, the key whose host the certificate must name); "" when err
// is no certificate error.
func TLSHint(err error, caKey, hostKey string) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown):
		return "the certificate is signed by an authority this machine does not trust: set " + caKey +
			" to the PEM file of the CA that signed it"
	case errors.As(err, &host):
		return "the certificate is not for " + host.Host + ": it must name the host of " + hostKey
	case errors.As(err, &invalid):
		return "the certificate is not valid (" + invalid.Error() + ")"
	case errors.As(err, &verify):
		return "the certificate could not be verified: check " + caKey
	}
	return ""
}
