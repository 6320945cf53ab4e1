package auth

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/xiuhua/xiuhua"
)

func TestHashPassword(t *testing.T) {
	h := HashPassword("xiuhua-demo-2026")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoding %q", h)
	}
	parts := strings.Split(h, "$")
	if salt, _ := base64.RawStdEncoding.DecodeString(parts[4]); len(salt) != 16 {
		t.Errorf("salt of %d bytes", len(salt))
	}
	if key, _ := base64.RawStdEncoding.DecodeString(parts[5]); len(key) != 32 {
		t.Errorf("key of %d bytes", len(key))
	}
	if !CheckPassword(h, "xiuhua-demo-2026") {
		t.Error("the right password does not match")
	}
	for _, wrong := range []string{"", "xiuhua-demo-2027", "Xiuhua-demo-2026", "xiuhua-demo-2026 "} {
		if CheckPassword(h, wrong) {
			t.Errorf("%q matches", wrong)
		}
	}
	if h2 := HashPassword("xiuhua-demo-2026"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if NeedsRehash(h) {
		t.Error("a default hash needs a rehash")
	}
}

// TestCheckPasswordKnownVector checks the encoding against argon2id computed
// independently here with a fixed salt, so a change in the format is caught.
func TestCheckPasswordKnownVector(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("correct horse"), salt, 1, 64, 1, 16)
	enc := "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	if !CheckPassword(enc, "correct horse") {
		t.Fatalf("known vector %s (key %s) does not match", enc, hex.EncodeToString(key))
	}
	if !NeedsRehash(enc) {
		t.Error("m=64,t=1 does not need a rehash")
	}
	cheap := HashPasswordWith("correct horse", Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 16})
	if !strings.HasPrefix(cheap, "$argon2id$v=19$m=64,t=1,p=1$") || !CheckPassword(cheap, "correct horse") {
		t.Errorf("cheap hash %q", cheap)
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good := HashPasswordWith("pw", Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 16})
	parts := strings.Split(good, "$")
	for _, enc := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=4194304,t=1,p=1$" + parts[4] + "$" + parts[5], // 4 GiB: refused, not allocated
		"$argon2id$v=19$m=64,t=99,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=0$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		good + "$extra",
	} {
		if CheckPassword(enc, "pw") {
			t.Errorf("malformed %q matches", enc)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw, user string
		ok       bool
	}{
		{"xiuhua-demo-2026", "inspector", true},
		{"abcdefghij1", "", true},
		{"ABCDEFGHIj", "", true},
		{"绣花城市管理平台2026", "", true}, // CJK counts as "other", plus digits
		{"abcdefghi", "", false},   // 9 characters
		{"abcdefghij", "", false},  // one class
		{"1234567890", "", false},
		{"ABCDEFGHIJKL", "", false},
		{"绣花绣花绣花绣花绣花", "", false}, // ten characters, one class
		{"Inspector2", "inspector2", false},
		{strings.Repeat("aB", 129), "", false}, // 258 characters
		{"abcdefghi\xff1", "", false},
	} {
		err := CheckPasswordPolicy(tc.pw, tc.user)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok=%v", tc.pw, err, tc.ok)
		}
		if err != nil {
			e := xiuhua.AsError(err)
			if e.Code != xiuhua.EInvalid || e.Message == "" || e.MessageZh == "" {
				t.Errorf("%q: error %+v lacks a code or a language", tc.pw, e)
			}
		}
	}
}
