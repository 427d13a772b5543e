package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/o211/o211/hub"
	"github.com/o211/o211/node"
	"github.com/o211/o211/replication"
)

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("status", "status --url URL [--json]", stderr)
	url := fs.String("url", "http://127.0.0.1:8211", "HTTP address of a node or a hub replica")
	asJSON := fs.Bool("json", false, "print the status as JSON, as the server gives it")
	if err := parse(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*url, "/")+"/api/v1/status", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s cannot be reached: %w", *url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", *url, resp.Status, strings.TrimSpace(string(body)))
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var role struct {
		Role string `json:"role"`
	}
	if err := json.Unmarshal(body, &role); err != nil {
		return fmt.Errorf("%s gave a status that is not JSON: %w", *url, err)
	}
	switch role.Role {
	case "hub":
		var st hub.ReplicationStatus
		if err := json.Unmarshal(body, &st); err != nil {
			return err
		}
		printHubStatus(stdout, &st)
	case "node":
		var st node.Status
		if err := json.Unmarshal(body, &st); err != nil {
			return err
		}
		printNodeStatus(stdout, &st)
	default:
		return fmt.Errorf("%s gave a status of an unknown role %q", *url, role.Role)
	}
	return nil
}

func printHubStatus(w io.Writer, st *hub.ReplicationStatus) {
	lead := "follower"
	if st.Leading {
		lead = "leader, answering the regions' pushes"
	}
	fmt.Fprintf(w, "hub replica %s (%s; leader %s), applied index %d, directory seq %d\n", st.ID, lead, st.Leader, st.AppliedIndex, st.DirectorySeq)
	fmt.Fprintf(w, "NATS: %d route connections, %d region nodes linked here; leaf listener %s\n\n", st.NATS.Routes, st.NATS.Leafs, st.NATS.Leaf)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tMARK\tNODE HEAD\tLAG (changes)\tLAG (s)\tLAST HEARD")
	for _, r := range st.Regions {
		heard := "never"
		if r.Reported != nil {
			heard = fmt.Sprintf("%s ago", st.Now.Sub(*r.Reported).Round(100*time.Millisecond))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%s\n", r.Region, r.Mark, r.NodeHead, r.Lag.Records, r.Lag.Seconds, heard)
	}
	tw.Flush()
	printConflicts(w, st.Conflicts, st.Now)
}

// printConflicts says how many records the hub skipped because another
// region owns them, and lists the latest.
func printConflicts(w io.Writer, c replication.Conflicts, now time.Time) {
	if c.Count == 0 {
		fmt.Fprintln(w, "conflicts: none (no record was skipped because another region owns it)")
		return
	}
	fmt.Fprintf(w, "conflicts: %d records skipped because another region owns them; the latest:\n", c.Count)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TABLE\tID\tFROM REGION\tOWNED BY\tWHEN")
	for _, x := range c.Latest {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s ago\n", x.Table, x.ID, x.Region, x.Owner, now.Sub(x.At).Round(time.Second))
	}
	tw.Flush()
}

func printNodeStatus(w io.Writer, st *node.Status) {
	fmt.Fprintf(w, "node %s, directory seq %d\n", st.Region, st.Seq)
	rs := st.Replication
	if rs == nil {
		fmt.Fprintln(w, "not linked to a hub (no --hub-nats)")
		return
	}
	link := "down"
	if rs.Linked {
		link = "up"
	}
	fmt.Fprintf(w, "link to the hub: %s\n", link)
	fmt.Fprintf(w, "push: %s; %d changes waiting (lag %d changes, %.1f s); hub mark %d of %d\n",
		rs.Push.State, rs.Backlog, rs.PushLag.Records, rs.PushLag.Seconds, rs.Push.Mark, rs.Head)
	if rs.Push.LastError != "" {
		fmt.Fprintf(w, "  last error: %s\n", rs.Push.LastError)
	}
	synced := "not received yet"
	if rs.Pull.Synced {
		synced = fmt.Sprintf("at %d of %d (lag %d changes, %.1f s)", rs.Pull.Position, rs.Pull.Head, rs.PullLag.Records, rs.PullLag.Seconds)
	}
	fmt.Fprintf(w, "provincial copy: %s\n", synced)
	if rs.Pull.LastError != "" {
		fmt.Fprintf(w, "  last error: %s\n", rs.Pull.LastError)
	}
	printConflicts(w, rs.Push.Conflicts, st.Now)
}
