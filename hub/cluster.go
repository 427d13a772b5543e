package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
)

// Status is the cluster as one replica sees it: the body of
// GET /api/v1/cluster.
type Status struct {
	ID           string `json:"id"`
	Leader       string `json:"leader"`
	Term         uint64 `json:"term"`
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	State        string `json:"state"`
	Peers        []Peer `json:"peers"`
}

// Peer is a server of the Raft configuration with its HTTP address as the
// replicated members table records it.
type Peer struct {
	ID       string `json:"id"`
	Raft     string `json:"raft"`
	HTTP     string `json:"http"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader,omitempty"`
}

// Status returns the cluster as this replica sees it, from local state only.
func (r *Replica) Status() (*Status, error) {
	if r.raft == nil {
		return nil, fmt.Errorf("hub: status: %w", ErrClosed)
	}
	st := &Status{
		ID:           r.cfg.ID,
		Leader:       r.Leader(),
		Term:         r.raft.CurrentTerm(),
		CommitIndex:  r.raft.CommitIndex(),
		AppliedIndex: r.raft.AppliedIndex(),
		State:        strings.ToLower(r.raft.State().String()),
	}
	peers, err := r.peers()
	st.Peers = peers
	return st, err
}

// peers returns the servers of the latest Raft configuration this replica
// knows, in configuration order, with their HTTP addresses.
func (r *Replica) peers() ([]Peer, error) {
	f := r.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, translate("hub: configuration", err)
	}
	leader := r.Leader()
	https := map[string]string{}
	err := r.fsm.View(func(s *fsm.State) error {
		ms, err := s.Members()
		for _, m := range ms {
			https[m.ID] = m.HTTP
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("hub: members: %w", err)
	}
	peers := []Peer{}
	for _, s := range f.Configuration().Servers {
		id := string(s.ID)
		p := Peer{ID: id, Raft: string(s.Address), HTTP: https[id], Suffrage: strings.ToLower(s.Suffrage.String()), Leader: id == leader}
		if id == r.cfg.ID {
			p.HTTP = r.HTTPAddr()
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// serverAddr returns the Raft address of server id in the configuration,
// or an ENOTFOUND error.
func (r *Replica) serverAddr(id string) (string, error) {
	f := r.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return "", translate("hub: configuration", err)
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id {
			return string(s.Address), nil
		}
	}
	return "", o211.Errorf(o211.ENOTFOUND, "replica %q is not a member of the cluster", id)
}

// addMember adds m as a voter (this replica must lead) and records its
// addresses. It reports whether the configuration changed. Adding a voter
// that is already there with the same address changes nothing.
func (r *Replica) addMember(ctx context.Context, m *fsm.Member) (bool, error) {
	if err := fsm.ValidateMember(m); err != nil {
		return false, err
	}
	if !r.IsLeader() {
		return false, fmt.Errorf("hub: add member: %w", ErrNotLeader)
	}
	f := r.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return false, translate("hub: add member", err)
	}
	changed := true
	for _, s := range f.Configuration().Servers {
		switch {
		case string(s.ID) == m.ID && string(s.Address) == m.Raft && s.Suffrage == raft.Voter:
			changed = false
		case string(s.ID) != m.ID && string(s.Address) == m.Raft:
			return false, o211.Errorf(o211.ECONFLICT, "replica %q already has the Raft address %s", s.ID, m.Raft)
		}
	}
	if changed {
		err := r.raft.AddVoter(raft.ServerID(m.ID), raft.ServerAddress(m.Raft), 0, r.timeout(ctx)).Error()
		if err != nil {
			return false, translate("hub: add member", err)
		}
		r.logger.Info("hub: voter added", "member", m.ID, "raft", m.Raft)
	}
	if m.HTTP == "" {
		return changed, nil
	}
	resp, _, err := r.propose(ctx, fsm.CmdSetMember, m)
	if err == nil {
		err = resp.Err
	}
	return changed, err
}

// updateMember records the addresses of a member of the configuration.
func (r *Replica) updateMember(ctx context.Context, m *fsm.Member) error {
	if err := fsm.ValidateMember(m); err != nil {
		return err
	}
	if _, err := r.serverAddr(m.ID); err != nil {
		return err
	}
	resp, _, err := r.propose(ctx, fsm.CmdSetMember, m)
	if err == nil {
		err = resp.Err
	}
	return err
}

// removeMember removes server id from the configuration (this replica must
// lead). A leader asked to remove itself hands leadership over first and
// returns ErrNotLeader, so that the request goes to the new leader.
func (r *Replica) removeMember(ctx context.Context, id string) error {
	if !fsm.ValidServerID(id) {
		return o211.FieldErrorf("id", "%q is not a valid replica id", id)
	}
	if !r.IsLeader() {
		return fmt.Errorf("hub: remove member: %w", ErrNotLeader)
	}
	if _, err := r.serverAddr(id); err != nil {
		return err
	}
	if id == r.cfg.ID {
		if r.otherVoters() == 0 {
			return o211.Errorf(o211.ECONFLICT, "replica %q is the only voter: the cluster cannot remove it", id)
		}
		if err := r.TransferLeadership(""); err != nil {
			return err
		}
		return fmt.Errorf("hub: remove member: handed leadership over: %w", ErrNotLeader)
	}
	resp, _, err := r.propose(ctx, fsm.CmdDeleteMember, &fsm.DeleteMember{ID: id})
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return err
	}
	if err := r.raft.RemoveServer(raft.ServerID(id), 0, r.timeout(ctx)).Error(); err != nil {
		return translate("hub: remove member", err)
	}
	r.logger.Info("hub: voter removed", "member", id)
	return nil
}

// timeout returns the time left before ctx's deadline, or WriteTimeout.
func (r *Replica) timeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return r.cfg.WriteTimeout
}

// announceLoop keeps this replica's entry in the members table up to date
// (its HTTP address changes with each start on ":0"): after every change of
// leader, and every few seconds.
func (r *Replica) announceLoop(ctx context.Context) {
	wait := 100 * time.Millisecond
	for {
		changed := r.LeaderChanged()
		err := r.announce(ctx)
		switch {
		case err == nil:
			wait = 5 * time.Second
		case errors.Is(err, errNotYet):
			wait = 250 * time.Millisecond
		default:
			r.logger.Debug("hub: announce failed", "error", err)
			wait = min(2*wait, 2*time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

var errNotYet = errors.New("hub: announce: no leader yet")

// announce records this replica's addresses if the state does not hold
// them, through the leader.
func (r *Replica) announce(ctx context.Context) error {
	want := fsm.Member{ID: r.cfg.ID, Raft: r.RaftAddr(), HTTP: r.HTTPAddr(), Reads: r.reads()}
	var have *fsm.Member
	if err := r.fsm.View(func(s *fsm.State) (err error) {
		have, err = s.Member(r.cfg.ID)
		return err
	}); err != nil {
		return err
	}
	if have != nil && have.Raft == want.Raft && have.HTTP == want.HTTP && have.Reads == want.Reads {
		return nil
	}
	if _, err := r.serverAddr(r.cfg.ID); err != nil {
		return errNotYet // not a member (yet, or any more)
	}
	if r.Leader() == "" {
		return errNotYet
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.WriteTimeout)
	defer cancel()
	if r.IsLeader() {
		return r.updateMember(ctx, &want)
	}
	c := &Client{BaseURL: "http://" + r.HTTPAddr(), Token: r.cfg.Token}
	err := c.UpdateMember(ctx, want)
	if o211.ErrorCode(err) == o211.EINVALID && want.Reads != 0 {
		// A leader of a release before versions were announced decodes
		// members strictly: announce the addresses alone to it (again
		// at each round, until the leader reads the version).
		want.Reads = 0
		return c.UpdateMember(ctx, want)
	}
	return err
}

// reads is the newest command version this replica reads.
func (r *Replica) reads() int {
	if r.cfg.MaxCommandVersion > 0 {
		return r.cfg.MaxCommandVersion
	}
	return fsm.CommandVersion
}

// commandVersion is the version at which this replica, leading, writes
// commands: the oldest version that every voter of the configuration
// announced it reads (1 for a voter that announced none: a release before
// versions were announced). It never exceeds its own.
func (r *Replica) commandVersion() int {
	v := r.reads()
	f := r.raft.GetConfiguration()
	if f.Error() != nil {
		return 1
	}
	_ = r.fsm.View(func(s *fsm.State) error {
		for _, sv := range f.Configuration().Servers {
			if sv.Suffrage != raft.Voter || string(sv.ID) == r.cfg.ID {
				continue
			}
			m, err := s.Member(string(sv.ID))
			if err != nil || m == nil || m.Reads == 0 {
				v = 1
			} else {
				v = min(v, m.Reads)
			}
		}
		return nil
	})
	return v
}
