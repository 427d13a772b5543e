package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/o211/o211"
	"github.com/o211/o211/hub"
	"github.com/o211/o211/node/store"
)

// runReconcile brings a stopped node's store back into agreement with the
// hub after it was restored from an older backup (the node's status says
// "diverged"): what the hub holds newer is taken, what only the node holds
// is pushed again after the hub's mark (store.Store.Reconcile).
func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flagSet("reconcile", "reconcile --data DIR --hub URL --token TOKEN", stderr)
	data := fl.String("data", "", "the stopped node's data folder (required)")
	hubURL := fl.String("hub", "http://127.0.0.1:8201", "HTTP address of any hub replica")
	token := fl.String("token", "", "the hub's API token, or a provincial administrator's personal token (required)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if *data == "" || *token == "" {
		fl.Usage()
		return fmt.Errorf("--data and --token are required")
	}
	path := filepath.Join(*data, "node.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s holds no node store (node.db)", *data)
	}
	st, err := store.Open(path, store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%s is in use: stop the node first, then reconcile", path)
	} else if err != nil {
		return err
	}
	defer st.Close()
	cl := &hub.Client{BaseURL: strings.TrimRight(*hubURL, "/"), Token: *token}
	recs, err := cl.RegionRecords(ctx, st.Region())
	if err != nil {
		return fmt.Errorf("reading region %s from the hub at %s: %w", st.Region(), *hubURL, err)
	}
	before, _ := st.Seq()
	res, err := st.Reconcile(o211.WithActor(ctx, o211.System("reconcile")), recs.Records, recs.Mark)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "region %s: the hub held %d records up to change %d, this node up to %d; "+
		"%d taken from the hub, %d to push again, %d alike; the node's changes now continue from %d: start it\n",
		st.Region(), len(recs.Records), recs.Mark, before, res.Taken, res.Pushed, res.Same, res.Seq)
	return nil
}
