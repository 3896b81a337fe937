package protocol

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAssignment: a worker decodes whatever payload it claims from Redis.
// An Assignment it accepts encodes again without error, and that encoding
// decodes to the same Assignment (no field lost or changed between server
// and worker builds that share this type).
func FuzzAssignment(f *testing.F) {
	for _, s := range []string{
		`{"experiment_id":"ex_1","spec":{"dataset_id":"ds_1","target":"y","params":{"a":"1"}},"max_retries":2}`,
		`{"experiment_id":"ex_1","dataset_sha256":"ff","dataset_size":-1,"data_path":"/x","artifact_dir":"/y"}`,
		`not json`, `{}`, `null`, `{"spec":null}`, `{"max_retries":1e3}`, `{"experiment_id":"\u202e\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var a Assignment
		if json.Unmarshal(payload, &a) != nil {
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", payload, err)
		}
		var back Assignment
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("encoding %s of an accepted assignment does not decode: %v", b, err)
		}
		// Equal up to empty versus absent maps and lists (omitempty): the
		// encoding is a fixed point.
		b2, err := json.Marshal(back)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the assignment:\n%s\n%s (%v)", b, b2, err)
		}
		if back.ExperimentID != a.ExperimentID || back.Spec.Command != a.Spec.Command || back.DataPath != a.DataPath {
			t.Fatalf("round trip changed what the worker acts on: %+v -> %+v", a, back)
		}
	})
}
