package server

import (
	"context"
	"fmt"
)

func newRedisDispatcher(ctx context.Context, s *Server) (Dispatcher, error) {
	return nil, fmt.Errorf("server: worker_mode %q needs the Redis dispatcher", s.cfg.WorkerMode)
}
