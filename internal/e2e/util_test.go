package e2e

import (
	osexec "os/exec"

	"github.com/redis/go-redis/v9"
)

func redisZ(member string) redis.Z { return redis.Z{Score: 0, Member: member} }

// exec runs a command and returns its combined output.
func run(name string, args ...string) (string, error) {
	out, err := osexec.Command(name, args...).CombinedOutput()
	return string(out), err
}
