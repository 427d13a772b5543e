package queue_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// MustOpenQueue opens a queue in a temporary folder (or at path when
// given), closed at the end of the test.
func MustOpenQueue(tb testing.TB, cfg queue.Config) *queue.Queue {
	tb.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(tb.TempDir(), "queue.db")
	}
	if cfg.Region == "" {
		cfg.Region = "east"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	q, err := queue.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Close() })
	return q
}

func TestQueue_EnqueueWaitingAbandon(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	q := MustOpenQueue(t, queue.Config{Path: path})
	it, err := q.Enqueue(ctx, queue.Item{Channel: o211.ChannelChat, Language: "FR", From: "chat-1"})
	if err != nil {
		t.Fatal(err)
	}
	if it.ID == "" || it.Region != "east" || it.Language != "fr" || it.Enqueued.IsZero() {
		t.Fatalf("enqueued item = %+v: want an id, region east, language fr and an enqueue time", it)
	}
	got, ok := q.Waiting(ctx, it.ID)
	if !ok || got.From != "chat-1" {
		t.Fatalf("Waiting(%s) = %+v, %v; want the item, true", it.ID, got, ok)
	}
	if err := q.Abandon(ctx, it.ID, "chat closed"); err != nil {
		t.Fatal(err)
	}
	if _, ok := q.Waiting(ctx, it.ID); ok {
		t.Fatal("an abandoned item is still waiting")
	}
	if err := q.Abandon(ctx, it.ID, "twice"); err != nil {
		t.Fatalf("abandoning twice: %v; want nil", err)
	}
	if err := q.Abandon(ctx, "east-999", ""); o211.ErrorCode(err) != o211.ENOTFOUND {
		t.Fatalf("abandoning an unknown item: %v; want not_found", err)
	}
	s := q.Stats()
	if s.Total.Arrived != 1 || s.Total.Abandoned != 1 || s.Total.AbandonRate != 1 {
		t.Fatalf("stats total = %+v; want 1 arrived, 1 abandoned, rate 1", s.Total)
	}
	q.Close()
	q2 := MustOpenQueue(t, queue.Config{Path: path})
	if s := q2.Stats(); s.Total.Abandoned != 1 || s.Waiting != 0 {
		t.Fatalf("after reopening: %+v; want the abandonment remembered and nothing waiting", s)
	}
}

func TestQueue_EnqueueBadInput(t *testing.T) {
	q := MustOpenQueue(t, queue.Config{})
	for _, tc := range []struct {
		name  string
		it    queue.Item
		field string
	}{
		{"UnknownChannel", queue.Item{Channel: "pigeon"}, "channel"},
		{"WalkInIsNotQueued", queue.Item{Channel: o211.ChannelWalkIn}, "channel"},
		{"OtherRegion", queue.Item{Channel: o211.ChannelPhone, Region: "west"}, "region"},
		{"BadLanguage", queue.Item{Channel: o211.ChannelPhone, Language: "français!"}, "language"},
		{"BadSkill", queue.Item{Channel: o211.ChannelPhone, Skills: []string{"a b"}}, "skills"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.Enqueue(context.Background(), tc.it)
			var e *o211.Error
			if !errors.As(err, &e) || e.Code != o211.EINVALID || e.Field != tc.field {
				t.Fatalf("Enqueue(%+v) = %v; want invalid %s", tc.it, err, tc.field)
			}
		})
	}
	if s := q.Stats(); s.Waiting != 0 || s.Total.Arrived != 0 {
		t.Fatalf("refused items were counted: %+v", s)
	}
}

// TestQueue_SurvivesSIGKILL enqueues contacts in a child process, kills
// it with SIGKILL right after it printed the ids Enqueue returned, and
// checks every one is waiting in the reopened file.
func TestQueue_SurvivesSIGKILL(t *testing.T) {
	if os.Getenv("O211_QUEUE_CHILD") != "" {
		t.Skip("child")
	}
	path := filepath.Join(t.TempDir(), "queue.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestQueueChild$", "-test.v")
	cmd.Env = append(os.Environ(), "O211_QUEUE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(ids) < 50 {
		if id, ok := strings.CutPrefix(sc.Text(), "enqueued "); ok {
			ids = append(ids, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(ids) < 50 {
		t.Fatalf("the child enqueued %d items before it ended; want 50", len(ids))
	}
	q := MustOpenQueue(t, queue.Config{Path: path})
	for _, id := range ids {
		if _, ok := q.Waiting(context.Background(), id); !ok {
			t.Errorf("item %s, acknowledged before the SIGKILL, is not waiting after it", id)
		}
	}
}

// TestQueueChild is the child of TestQueue_SurvivesSIGKILL: it enqueues
// until killed.
func TestQueueChild(t *testing.T) {
	path := os.Getenv("O211_QUEUE_CHILD")
	if path == "" {
		t.Skip("run by TestQueue_SurvivesSIGKILL")
	}
	q, err := queue.Open(queue.Config{Path: path, Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		it, err := q.Enqueue(context.Background(), queue.Item{Channel: o211.ChannelText, From: fmt.Sprint("+1613555", i)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("enqueued", it.ID)
	}
}
