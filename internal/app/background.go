package app

import (
	"context"
	"sync"
	"time"
)

// background tracks work that outlives the request that started it (a
// console hotline import), so that a server being stopped lets it finish
// within its grace period, or cancels it and lets it record that it was
// interrupted, instead of leaving it to a lease running out on another
// instance half a minute later.
type background struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	running int
}

func (b *background) init() {
	if b.ctx == nil {
		b.ctx, b.cancel = context.WithCancel(context.Background())
	}
}

// Go runs fn in its own goroutine with a context that ends when Drain gives
// up waiting. Started while the app drains, fn gets a context already
// ended, so it records its interruption at once.
func (a *App) Go(fn func(ctx context.Context)) {
	a.bg.mu.Lock()
	a.bg.init()
	a.bg.running++
	ctx := a.bg.ctx
	a.bg.mu.Unlock()
	go func() {
		defer func() {
			a.bg.mu.Lock()
			a.bg.running--
			a.bg.mu.Unlock()
		}()
		fn(ctx)
	}()
}

// Running reports how many background tasks are running.
func (a *App) Running() int {
	a.bg.mu.Lock()
	defer a.bg.mu.Unlock()
	return a.bg.running
}

// Drain waits for background work to finish until ctx ends; then it cancels
// what is left and gives it up to grace to record how it ended. It reports
// whether everything finished on its own. Work started after Drain returns
// runs normally again.
func (a *App) Drain(ctx context.Context, grace time.Duration) bool {
	if a.waitIdle(ctx) {
		return true
	}
	a.bg.mu.Lock()
	a.bg.init()
	a.bg.cancel()
	a.bg.mu.Unlock()
	gctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	a.waitIdle(gctx)
	a.bg.mu.Lock()
	a.bg.ctx, a.bg.cancel = context.WithCancel(context.Background())
	a.bg.mu.Unlock()
	return false
}

func (a *App) waitIdle(ctx context.Context) bool {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if a.Running() == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return a.Running() == 0
		case <-t.C:
		}
	}
}
