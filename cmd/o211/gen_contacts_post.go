package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/o211/o211"
)

// errPostFailed stops the generator once a request of --post has failed;
// close returns the failure itself.
var errPostFailed = errors.New("a request failed")

// postSink creates contacts on a node through POST /api/v1/contacts, with
// a few requests at a time. A contact the node holds already (409, same
// id) is counted and skipped, so that a run can be repeated.
type postSink struct {
	url, token string
	client     *http.Client
	ctx        context.Context
	cancel     context.CancelFunc
	bodies     chan []byte
	wg         sync.WaitGroup

	mu      sync.Mutex
	err     error
	created int
	existed int
}

func newPostSink(ctx context.Context, base, token string, workers int) *postSink {
	url := strings.TrimSuffix(base, "/")
	if !strings.HasSuffix(url, "/api/v1/contacts") {
		url += "/api/v1/contacts"
	}
	s := &postSink{url: url, token: token, client: &http.Client{Timeout: 30 * time.Second}, bodies: make(chan []byte, 4*max(workers, 1))}
	s.ctx, s.cancel = context.WithCancel(ctx)
	for i := 0; i < max(workers, 1); i++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for body := range s.bodies {
				if s.ctx.Err() != nil {
					continue
				}
				if err := s.post(body); err != nil {
					s.fail(err)
				}
			}
		}()
	}
	return s
}

func (s *postSink) put(c *o211.Contact) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	select {
	case s.bodies <- body:
		return nil
	case <-s.ctx.Done():
		return errPostFailed
	}
}

func (s *postSink) post(body []byte) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("--post: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case resp.StatusCode == http.StatusCreated:
		s.created++
		return nil
	case resp.StatusCode == http.StatusConflict:
		s.existed++
		return nil
	}
	var p struct{ Title, Detail string }
	if json.Unmarshal(msg, &p) == nil && p.Title != "" {
		return fmt.Errorf("--post %s: %s: %s %s", s.url, resp.Status, p.Title, p.Detail)
	}
	return fmt.Errorf("--post %s: %s: %s", s.url, resp.Status, bytes.TrimSpace(msg))
}

func (s *postSink) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *postSink) close() error {
	close(s.bodies)
	s.wg.Wait()
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *postSink) done() string {
	return fmt.Sprintf("posted to %s (%d created, %d there already)", s.url, s.created, s.existed)
}
