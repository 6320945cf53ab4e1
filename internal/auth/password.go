package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/xiuhua/xiuhua"
)

// Argon2Params are the argon2id cost parameters. They are stored in every
// hash, so they can be raised later without breaking existing passwords.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultArgon2 follows the OWASP password storage recommendation for
// argon2id (19 MiB, two passes, one lane): about 30 ms per hash on one core.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password length bounds, in characters. The upper bound keeps one login
// from costing more than it should.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// HashPassword returns the PHC-style argon2id encoding of a password:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(password string) string {
	return HashPasswordWith(password, DefaultArgon2)
}

// HashPasswordWith hashes with explicit parameters (tests use cheap ones).
func HashPasswordWith(password string, p Argon2Params) string {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Bounds on parameters read back from a stored hash, so that a corrupted or
// hostile row cannot make one login allocate gigabytes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxKeyLen    = 128
)

// CheckPassword reports whether password matches the encoded hash. The
// comparison is constant-time; a malformed hash never matches.
func CheckPassword(encoded, password string) bool {
	p, salt, key, ok := parseHash(encoded)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// NeedsRehash reports whether a stored hash uses weaker parameters than the
// defaults, so a successful login can upgrade it.
func NeedsRehash(encoded string) bool {
	p, _, _, ok := parseHash(encoded)
	return !ok || p.Memory < DefaultArgon2.Memory || p.Time < DefaultArgon2.Time
}

func parseHash(encoded string) (p Argon2Params, salt, key []byte, ok bool) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, false
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || n != 3 {
		return p, nil, nil, false
	}
	if p.Memory == 0 || p.Memory > maxMemoryKiB || p.Time == 0 || p.Time > maxTime || threads == 0 || threads > 255 {
		return p, nil, nil, false
	}
	p.Threads = uint8(threads)
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > maxKeyLen {
		return p, nil, nil, false
	}
	return p, salt, key, true
}

// CheckPasswordPolicy enforces the password policy: at least MinPasswordLen
// characters (at most MaxPasswordLen), and not all of one class (lower-case
// letters, upper-case letters, digits, other characters), nor the username.
func CheckPasswordPolicy(password, username string) error {
	n := utf8.RuneCountInString(password)
	if !utf8.ValidString(password) {
		return xiuhua.Errorf(xiuhua.EInvalid, "the password is not valid UTF-8 text", "密码包含无效字符")
	}
	if n < MinPasswordLen {
		return xiuhua.Errorf(xiuhua.EInvalid, "the password must have at least %d characters", "密码至少需要 %d 个字符", MinPasswordLen)
	}
	if n > MaxPasswordLen {
		return xiuhua.Errorf(xiuhua.EInvalid, "the password must have at most %d characters", "密码不能超过 %d 个字符", MaxPasswordLen)
	}
	var lower, upper, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 2 {
		return xiuhua.Errorf(xiuhua.EInvalid,
			"the password must mix at least two kinds of character: lower-case letters, upper-case letters, digits, symbols",
			"密码须包含至少两类字符：小写字母、大写字母、数字、符号")
	}
	if username != "" && strings.EqualFold(strings.TrimSpace(password), username) {
		return xiuhua.Errorf(xiuhua.EInvalid, "the password must not be the username", "密码不能与用户名相同")
	}
	return nil
}
