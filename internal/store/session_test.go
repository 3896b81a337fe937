package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func mkSession(t *testing.T, st *Store, id, user string, cred [32]byte) [32]byte {
	t.Helper()
	h := sha256.Sum256([]byte(id))
	now := time.Now()
	if err := st.CreateSession(context.Background(), Session{IDHash: h, User: user, Cred: cred, Created: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return h
}

// mkHal creates the user hal, with a token and no password.
func mkHal(t *testing.T, st *Store) *User {
	t.Helper()
	u := &User{Name: "hal", TokenHash: "t1", MaxRunning: -1, MaxQueued: -1, CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUserChangesEndSessions: a change of a user's token or password ends
// their sessions in the same transaction, but the one kept (where they
// set their password), which gets the new credentials; other changes
// (limits) end none; an expired session is dropped at the next login.
func TestUserChangesEndSessions(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	u := mkHal(t, st)
	cred := u.Fingerprint()
	a, b, c := mkSession(t, st, "a", "hal", cred), mkSession(t, st, "b", "hal", cred), mkSession(t, st, "c", "hal", cred)
	other := mkSession(t, st, "d", "ivy", CredFingerprint("t2", ""))
	live := func(h [32]byte) bool {
		_, _, err := st.SessionUser(ctx, h)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if _, err := st.UpdateUser(ctx, "hal", func(u *User) error { u.MaxRunning = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	if !live(a) || !live(b) || !live(c) {
		t.Fatal("a change of limits ended sessions")
	}
	u2, err := st.UpdateUserKeepSession(ctx, "hal", a, func(u *User) error { u.PasswordHash = "p1"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	se, got, err := st.SessionUser(ctx, a)
	if err != nil || got == nil || se.Cred != u2.Fingerprint() || got.Fingerprint() != se.Cred {
		t.Fatalf("kept session: %+v, user %+v, %v; want the new credentials", se, got, err)
	}
	if live(b) || live(c) || !live(other) {
		t.Fatalf("after a new password: b %v, c %v (want ended), another user's %v (want live)", live(b), live(c), live(other))
	}
	if _, err := st.UpdateUser(ctx, "hal", func(u *User) error { u.TokenHash = "t3"; return nil }); err != nil {
		t.Fatal(err)
	}
	if live(a) {
		t.Fatal("a new token left a session")
	}
	if _, u, err := st.SessionUser(ctx, other); err != nil || u != nil {
		t.Fatalf("a session of a name with no user: user %+v, %v; want none", u, err)
	}
	old := sha256.Sum256([]byte("old"))
	past := time.Now().Add(-2 * time.Hour)
	if err := st.CreateSession(ctx, Session{IDHash: old, User: "ivy", Created: past, Expires: past.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	mkSession(t, st, "e", "ivy", CredFingerprint("t2", ""))
	if live(old) {
		t.Fatal("an expired session outlived the next login")
	}
}

// TestSessionReadsAreSnapshots: while a user sets their password again
// and again in the session kept, every read of that session sees it and
// the user with the same credentials: never the new password with the old
// session, or the other way round.
func TestSessionReadsAreSnapshots(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	u := mkHal(t, st)
	keep := mkSession(t, st, "a", "hal", u.Fingerprint())
	var stop atomic.Bool
	var mismatches, reads atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				se, u, err := st.SessionUser(ctx, keep)
				if err != nil || u == nil {
					mismatches.Add(1)
					continue
				}
				if se.Cred != u.Fingerprint() {
					mismatches.Add(1)
				}
				reads.Add(1)
			}
		}()
	}
	for i := range 300 {
		if _, err := st.UpdateUserKeepSession(ctx, "hal", keep, func(u *User) error { u.PasswordHash = fmt.Sprint("p", i); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if reads.Load() == 0 || mismatches.Load() != 0 {
		t.Fatalf("%d reads, %d saw the session and the user disagree (or the session gone)", reads.Load(), mismatches.Load())
	}
}
