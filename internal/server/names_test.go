package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/drover-ml/drover/api"
)

// TestDatasetNamesCleaned: an upload named to deceive ("\u202Egpj.csv"
// reads "vsc.jpg") or long enough to be cut mid-character is stored with
// the bidi controls removed and cut at a character boundary; the listing
// stays valid UTF-8 and the server keeps serving.
func TestDatasetNamesCleaned(t *testing.T) {
	h := start(t, newConfig(t))
	long := "x" + strings.Repeat("é", 150) + ".csv" // 305 bytes: the 200-byte cut falls inside a character
	for name, want := range map[string]string{
		"report\u202Egpj.csv":                  "reportgpj.csv",
		"\u2066a\u2069b\u200e\u200f\u061c.csv": "ab.csv",
		"tab\there\x7f.csv":                    "tabhere.csv",
		long:                                   "x" + strings.Repeat("é", 99),
		"bad\xff\xfeutf8.csv":                  "badutf8.csv",
	} {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL()+"/api/v1/datasets?name="+url.QueryEscape(name), strings.NewReader("a,b\n1,2\n3,4\n"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ds api.Dataset
		err = json.NewDecoder(resp.Body).Decode(&ds)
		resp.Body.Close()
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("upload %q: %d %v", name, resp.StatusCode, err)
		}
		if ds.Name != want {
			t.Errorf("upload %q: stored name %q, want %q", name, ds.Name, want)
		}
		if !utf8.ValidString(ds.Name) || len(ds.Name) > 200 {
			t.Errorf("upload %q: stored name %q is not valid UTF-8 of at most 200 bytes", name, ds.Name)
		}
	}
	h.stillServing()
}
